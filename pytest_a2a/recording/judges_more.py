"""Stream-level judges, continued: ids, envelope, timing, closure, artifacts, errors.

Same contract as :mod:`pytest_a2a.recording.judges_stream`: fail only on what the recording
proves; say "not judged" (and why) for what it cannot show.
"""

from __future__ import annotations

import json
from typing import Any

from pytest_a2a import script as scripts
from pytest_a2a.judge import stream_rules as rules
from pytest_a2a.judge import verifiers
from pytest_a2a.recording.judges_stream import (
    Judgement,
    bad,
    error_answer,
    judged,
    na,
    script_of,
    skip,
    stream_events,
    task_events,
    verdict,
    whole,
)
from pytest_a2a.recording.replay import Replayed


def ids_consistent(r: Replayed) -> Judgement:
    _events, nj = task_events(r)
    return nj or whole(r, judged(rules.ids_consistent(r.result)))


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
    return whole(r, judged(rules.rpc_id(r.result, r.facts.rpc_id)))


def no_message_in_task(r: Replayed) -> Judgement:
    _events, nj = task_events(r)
    return nj or whole(r, judged(rules.no_message_in_task(r.result)))


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
    j = judged(rules.incremental(r.result, pairs), skip)
    if j.outcome != "not-judged":
        j.observations = {"spacing": j.actual.split("; ")}  # the rule shows every spacing
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
    return judged(verifiers.closed(r.result, after=f"the terminal {terminal[0].state} status",
                                   grace=r.budget.close_grace))


def final_flag(r: Replayed) -> Judgement:
    _events, nj = task_events(r)
    if nj:
        return nj
    return whole(r, judged(rules.final_flag(r.result)))


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


def append_announced(r: Replayed) -> Judgement:
    _events, nj = task_events(r)
    return nj or whole(r, judged(rules.append_announced(r.result)))


def nothing_after_last_chunk(r: Replayed) -> Judgement:
    _events, nj = task_events(r)
    return nj or whole(r, judged(rules.nothing_after_last_chunk(r.result)))


def exception_ends_stream(r: Replayed) -> Judgement:
    plan = script_of(r)
    if plan is None or not any(isinstance(s, scripts.Raise) for s in plan.steps):
        return na("judged only for a2a-conformance/1 scripts that raise (the recording "
                  "cannot tell an agent exception from a normal end otherwise)")
    reported = verifiers.failure_reported(r.result)
    if not reported.passed:
        return whole(r, judged(reported)) if r.result.end == "closed" or r.timed else skip(
            "the recording ends before the failure could be reported")
    return whole(r, judged(verifiers.ended(r.result)))


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
