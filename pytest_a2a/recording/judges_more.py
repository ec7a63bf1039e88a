"""Stream-level judges, continued: ids, envelope, timing, closure, artifacts, errors.

Same contract as :mod:`pytest_a2a.recording.judges_stream`: fail only on what the recording
proves; say "not judged" (and why) for what it cannot show.
"""

from __future__ import annotations

import json
from typing import Any

from pytest_a2a import script as scripts
from pytest_a2a.judge import verifiers
from pytest_a2a.recording.judges_stream import (
    Judgement,
    bad,
    error_answer,
    na,
    script_of,
    skip,
    stream_events,
    task_events,
    verdict,
    whole,
)
from pytest_a2a.recording.replay import Replayed
from pytest_a2a.wire.models import StreamEvent


def _from(v: verifiers.Verdict) -> Judgement:
    return verdict(v.passed, v.expected_text, v.actual)


def ids_consistent(r: Replayed) -> Judgement:
    events, nj = task_events(r)
    if nj:
        return nj
    ref = next((ev for ev in events if ev.kind == "task"), None) or next(
        (ev for ev in events if ev.kind in ("status", "artifact")), None)
    if ref is None:
        return na("no task, status or artifact event to take the ids from")
    want = (ref.task_id, ref.context_id)
    problems = [f"reference event {ref.describe()} has taskId={want[0]!r} "
                f"contextId={want[1]!r}"] if not all(want) else []
    for ev in events:
        if ev.kind in ("task", "status", "artifact"):
            got = (ev.task_id, ev.context_id)
        elif ev.kind == "message" and ev.message is not None:
            got = (ev.message.task_id or want[0], ev.message.context_id or want[1])
        else:
            continue
        if got != want:
            problems.append(f"#{ev.index} {ev.describe()}: taskId={got[0]!r} "
                            f"contextId={got[1]!r}")
    return whole(r, verdict(not problems, "every event carries the Task's non-empty ids",
                            "; ".join(problems[:5]) or "consistent"))


def rpc_id(r: Replayed) -> Judgement:
    events, nj = stream_events(r)
    if nj:
        return nj
    if not r.facts.has_rpc_id:
        ids = {json.dumps(ev.rpc_id) for ev in events if ev.has_rpc_id}
        if len(ids) > 1 or any(not ev.has_rpc_id for ev in events):
            return bad("every event carries the request's id (one id for all)",
                       f"ids {sorted(ids)[:4]}" + ("; an event without id" if any(
                           not ev.has_rpc_id for ev in events) else ""))
        return skip("the request was not captured: its id is unknown (the events agree)")
    want = r.facts.rpc_id
    wrong = [ev for ev in events if not ev.has_rpc_id or ev.rpc_id != want]
    return whole(r, verdict(not wrong, f"every event has id {want!r}", "; ".join(
        f"#{ev.index} {ev.describe()} id={ev.rpc_id!r}" if ev.has_rpc_id
        else f"#{ev.index} {ev.describe()} without id" for ev in wrong[:5]) or "all match"))


def no_message_in_task(r: Replayed) -> Judgement:
    events, nj = task_events(r)
    if nj:
        return nj
    messages = [ev for ev in events if ev.kind == "message"]
    return whole(r, verdict(not messages, "no standalone Message event in the task stream",
                            r.result.describe()))


def _message_event(ev: StreamEvent, text: str) -> bool:
    msg = ev.status_update.status.message if ev.status_update is not None else ev.message
    return msg is not None and msg.text == text


def incremental(r: Replayed) -> Judgement:
    """Timed on two agent messages the script spaces by a sleep (the live scenario's measure:
    the later one arrives at least half the sleep after the earlier one)."""
    plan = script_of(r)
    if plan is None:
        return na("needs the agent's production times: judged only for a2a-conformance/1 "
                  "scripts with a sleep between two messages")
    pairs: list[tuple[str, str, float]] = []
    before: str | None = None
    gap = 0.0
    for s in plan.steps:
        if isinstance(s, scripts.Message):
            if before is not None and gap > 0:
                pairs.append((before, s.text, gap))
            before, gap = s.text, 0.0
        elif isinstance(s, scripts.Sleep):
            gap += s.seconds
    if not pairs:
        return na("the script has no sleep between two messages: nothing to time")
    if not r.timed:
        return skip("no arrival times in this recording: delivery timing is not judged")
    problems, seen = [], []
    for a, b, g in pairs:
        ea = next((ev for ev in r.result.events if _message_event(ev, a)), None)
        eb = next((ev for ev in r.result.events if _message_event(ev, b)), None)
        if ea is None or eb is None:
            return skip(f"messages {a!r} and {b!r} are not both in the stream")
        spacing = eb.t - ea.t
        seen.append(f"{a} at +{ea.t:.3f}s, {b} at +{eb.t:.3f}s (spacing {spacing:.3f}s)")
        if spacing < g / 2:
            problems.append(f"{b} only {spacing:.3f}s after {a} (agent waited {g}s)")
    j = verdict(not problems, "each message arrives at least half the agent's wait before "
                "the next", "; ".join(problems or seen))
    j.observations = {"spacing": seen}
    return j


def closes_after_terminal(r: Replayed) -> Judgement:
    _events, nj = task_events(r)
    if nj:
        return nj
    terminal = r.result.terminal_events()
    if not terminal:
        return na("no terminal status in the recording")
    if not r.timed:
        return skip("no arrival times in this recording: how promptly it closed is not judged")
    if r.truncated:
        return skip("the recording stops at its size cap: its end is unknown")
    if r.result.end == "closed-by-client":
        return skip(f"the recording client left before the close grace ended "
                    f"({r.result.end_reason})")
    return _from(verifiers.closed(r.result, after=f"the terminal {terminal[0].state} status",
                                  grace=r.budget.close_grace))


def final_flag(r: Replayed) -> Judgement:
    events, nj = task_events(r)
    if nj:
        return nj
    statuses = [ev for ev in events if ev.kind == "status"]
    terminal = [ev for ev in statuses if ev.is_terminal]
    if not terminal:
        return na("no terminal status update in the recording")
    early = [ev for ev in statuses if not ev.is_terminal and ev.final]
    if not all(ev.final is True for ev in terminal):
        return bad("the terminal status update has final: true",
                   ", ".join(f"#{ev.index} final={ev.final}" for ev in terminal))
    return whole(r, verdict(not early, "no non-terminal status update has final: true",
                            ", ".join(f"#{ev.index} {ev.describe()}" for ev in early) or "none"))


def final_on_interrupted(r: Replayed) -> Judgement:
    events, nj = task_events(r)
    if nj:
        return nj
    reached = [ev for ev in events if ev.kind == "status" and ev.is_interrupted]
    if not reached or events[-1] is not reached[-1]:
        return na("the stream does not end on an input-required/auth-required status")
    if r.truncated or r.result.end != "closed":
        return skip(f"the stream did not end there (end={r.result.end}); R7 lets it stay open")
    last = reached[-1]
    return verdict(last.final is True,
                   f"the {last.state} status update that ends the stream has final: true",
                   f"#{last.index} {last.describe()} final={last.final}")


def interrupted(r: Replayed) -> Judgement:
    events, nj = task_events(r)
    if nj:
        return nj
    last = events[-1]
    if not last.is_interrupted:
        return na("the stream does not end on an interrupted state")
    j = Judgement("pass", "recorded", f"{last.state}: end={r.result.end}")
    j.observations = {f"{last.state}: stream": r.result.end}
    if last.final is not None:
        j.observations[f"{last.state}: 0.3 final"] = last.final
    return j


def _artifact_updates(r: Replayed) -> tuple[list[StreamEvent], Judgement | None]:
    events, nj = task_events(r)
    if nj:
        return [], nj
    updates = [ev for ev in events if ev.kind == "artifact" and ev.artifact_update is not None]
    return updates, None if updates else na("no artifact update in the recording")


def append_announced(r: Replayed) -> Judgement:
    updates, nj = _artifact_updates(r)
    if nj:
        return nj
    seen: set[str | None] = set()
    problems = []
    for ev in updates:
        assert ev.artifact_update is not None
        aid = ev.artifact_update.artifact.artifact_id
        if ev.artifact_update.append and aid not in seen:
            problems.append(f"#{ev.index} append: true for unannounced {aid!r}")
        seen.add(aid)
    return whole(r, verdict(not problems, "the first chunk of every artifact has append: false",
                            "; ".join(problems) or "as expected"))


def nothing_after_last_chunk(r: Replayed) -> Judgement:
    updates, nj = _artifact_updates(r)
    if nj:
        return nj
    sealed: set[str | None] = set()
    problems = []
    for ev in updates:
        assert ev.artifact_update is not None
        aid = ev.artifact_update.artifact.artifact_id
        if aid in sealed:
            problems.append(f"#{ev.index} {ev.describe()} after the last chunk of {aid!r}")
        if ev.artifact_update.last_chunk:
            sealed.add(aid)
    return whole(r, verdict(not problems, "no chunk after lastChunk: true",
                            "; ".join(problems) or "as expected"))


def exception_ends_stream(r: Replayed) -> Judgement:
    plan = script_of(r)
    if plan is None or not any(isinstance(s, scripts.Raise) for s in plan.steps):
        return na("judged only for a2a-conformance/1 scripts that raise (the recording "
                  "cannot tell an agent exception from a normal end otherwise)")
    reported = verifiers.failure_reported(r.result)
    if not reported.passed:
        return whole(r, _from(reported)) if r.result.end == "closed" or r.timed else skip(
            "the recording ends before the failure could be reported")
    return whole(r, _from(verifiers.ended(r.result)))


def json_errors(r: Replayed) -> Judgement:
    res = r.result
    status = res.status_code
    if status is None or 200 <= status < 300:
        return na("not an HTTP error answer")
    rest = (r.exchange.dialect or "").endswith("rest")
    body: Any = res.json_body
    problems = []
    ctype = (res.content_type or "").split(";")[0].strip().lower()
    if not (ctype == "application/json" or ctype.endswith("+json")):
        problems.append(f"Content-Type {res.content_type!r}")
    err = body.get("error") if isinstance(body, dict) else None
    if not isinstance(err, dict):
        problems.append(f"body is not a JSON error object: {r.exchange.body[:120]!r}")
    elif not isinstance(err.get("code"), int) or not isinstance(err.get("message"), str):
        problems.append("error lacks an integer code and a string message")
    elif not rest and (body.get("jsonrpc") != "2.0" or "id" not in body):
        problems.append('not a JSON-RPC 2.0 envelope ("jsonrpc": "2.0" and "id")')
    form = "a google.rpc.Status JSON body" if rest else "a JSON-RPC error"
    return verdict(not problems, f"{form} (application/json)",
                   f"HTTP {status}: " + ("; ".join(problems) or "as expected"))


def pre_stream_error_form(r: Replayed) -> Judgement:
    res = r.result
    if error_answer(r) is None and not any(ev.kind == "error" for ev in res.events[:1]):
        return na("no error before the first event")
    if res.end == "json-error":
        form = "JSON body (HTTP 2xx)"
    elif res.end == "http-error":
        form = f"HTTP {res.status_code} {res.content_type}"
    else:
        form = f"SSE error event (HTTP {res.status_code}, then end={res.end})"
    err = res.rpc_error
    j = Judgement("pass", "recorded", form)
    j.observations = {"form": form, "code": err.code if err is not None else None}
    return j
