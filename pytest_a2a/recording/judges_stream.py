"""Stream-level requirements judged from one replayed exchange (a function of its result).

Each judge mirrors its live scenario's check on a ``StreamResult``, but a recording did not
choose what the agent was asked: where a scenario knows its script, a judge reads the
recorded request (an ``a2a-conformance/1`` script when there is one), and where the capture
cannot show something (no events, no headers, no arrival times, cut at the size cap) the
judge says "not judged" and why. A judge fails only on what the recording proves.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal

from pytest_a2a import script as scripts
from pytest_a2a.recording.replay import Replayed
from pytest_a2a.wire.models import StreamEvent

#: ``n/a``: the requirement is about another kind of exchange (no test is generated);
#: ``not-judged``: it applies, but the capture cannot show it (the test is skipped, saying why)
Outcome = Literal["pass", "fail", "not-judged", "n/a"]
UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$")
SNAKE = {"task_id", "context_id", "message_id", "artifact_id", "last_chunk", "status_update",
         "artifact_update", "reference_task_ids", "media_type"}
WRAPPERS = ("task", "message", "statusUpdate", "artifactUpdate")
OPAQUE = {"metadata", "data"}
_RANK = {"submitted": 0, "working": 1, "input-required": 1, "auth-required": 1,
         "completed": 2, "failed": 2, "canceled": 2, "rejected": 2}


@dataclass
class Judgement:
    outcome: Outcome
    expected: str = ""
    actual: str = ""
    observations: dict[str, Any] = field(default_factory=dict)


def ok(expected: str, actual: str = "as expected") -> Judgement:
    return Judgement("pass", expected, actual)


def bad(expected: str, actual: str) -> Judgement:
    return Judgement("fail", expected, actual)


def skip(why: str) -> Judgement:
    return Judgement("not-judged", actual=why)


def na(why: str) -> Judgement:
    return Judgement("n/a", actual=why)


def verdict(cond: object, expected: str, actual: str) -> Judgement:
    return ok(expected, actual) if cond else bad(expected, actual)


def whole(r: Replayed, j: Judgement) -> Judgement:
    """A pass needs the whole stream: on a truncated recording only a failure stands."""
    if j.outcome == "pass" and r.truncated:
        return skip("the recording stops at its size cap; the rest of the stream was not kept "
                    f"({j.expected}: true of the recorded part)")
    return j


def error_answer(r: Replayed) -> str | None:
    """Why the exchange is not a stream (an error answer), or None."""
    res = r.result
    if res.end in ("http-error", "json-error") or res.error is not None:
        return f"answered with an error, not a stream ({res.describe()})"
    return None


def stream_events(r: Replayed) -> tuple[list[StreamEvent], Judgement | None]:
    """The events, or why there are none to judge."""
    why = error_answer(r)
    if why:
        return [], na(why)
    if not r.result.events:
        return [], skip(f"no events to judge (end={r.result.end})")
    return r.result.events, None


def task_events(r: Replayed) -> tuple[list[StreamEvent], Judgement | None]:
    events, nj = stream_events(r)
    if nj is None and events[0].kind == "message":
        return [], na("a message stream (its first event is a Message): "
                      "ordering.message-only judges it")
    return events, nj


def script_of(r: Replayed) -> scripts.Script | None:
    """The ``a2a-conformance/1`` script the recorded request sent, if any."""
    try:
        return scripts.parse(r.facts.text)
    except scripts.ScriptError:
        return None


# -- framing --------------------------------------------------------------------------------


def content_type(r: Replayed) -> Judgement:
    if not r.headers_known:
        return skip("the status line and headers were not captured (curl -N without -i)")
    res = r.result
    if res.error is not None:
        return na(f"answered with an error, not a stream ({res.describe()})")
    return verdict(res.status_code == 200 and res.content_type_ok,
                   "HTTP 200, Content-Type: text/event-stream",
                   f"HTTP {res.status_code}, Content-Type: {res.content_type!r}")


def _is_kind_rule(error: str) -> bool:
    return "'kind'" in error and "should not be valid" in error


def schema_valid(r: Replayed) -> Judgement:
    events, nj = stream_events(r)
    if nj:
        return nj
    problems = []
    for ev in events:
        errors = [e for e in ev.schema_errors if not _is_kind_rule(e)]
        if ev.kind == "invalid" and not errors:
            errors = [ev.reason or "undecodable event"]
        problems += [f"#{ev.index} {ev.describe()}: {e}" for e in errors[:3]]
    return whole(r, verdict(not problems, f"every event valid for {r.exchange.dialect}",
                            "; ".join(problems[:6]) or "all valid"))


def _body(r: Replayed, ev: StreamEvent) -> Any:
    payload = ev.payload
    if not r.exchange.dialect or not r.exchange.dialect.endswith("rest"):
        return payload.get("result") if isinstance(payload, dict) else None
    return payload


def _walk(obj: Any, path: str = "") -> Any:
    if isinstance(obj, dict):
        for key, value in obj.items():
            yield path, key, value
            if key not in OPAQUE:
                yield from _walk(value, f"{path}.{key}" if path else key)
    elif isinstance(obj, list):
        for i, value in enumerate(obj):
            yield from _walk(value, f"{path}[{i}]")


def proto_json(r: Replayed) -> Judgement:
    events, nj = stream_events(r)
    if nj:
        return nj
    problems = []
    for ev in events:
        body = _body(r, ev)
        if not isinstance(body, dict) or ev.kind == "error":
            continue
        if not any(w in body for w in WRAPPERS):
            problems.append(f"#{ev.index}: no task/message/statusUpdate/artifactUpdate member "
                            f"(members {sorted(body)[:6]})")
        for path, key, value in _walk(body):
            if key in SNAKE:
                problems.append(f"#{ev.index} {path}.{key}: snake_case member")
            elif key == "state" and path.endswith("status") and isinstance(value, str) \
                    and not value.startswith("TASK_STATE_"):
                problems.append(f"#{ev.index} {path}.state = {value!r}")
            elif key == "role" and isinstance(value, str) and not value.startswith("ROLE_"):
                problems.append(f"#{ev.index} {path}.role = {value!r}")
    return whole(r, verdict(not problems, "camelCase members and TASK_STATE_*/ROLE_* values",
                            "; ".join(problems[:6]) or "as expected"))


def no_kind(r: Replayed) -> Judgement:
    events, nj = stream_events(r)
    if nj:
        return nj
    found = [f"#{ev.index} {path or '(root)'}.kind = {value!r}" for ev in events
             for path, key, value in _walk(_body(r, ev)) if key == "kind"]
    return whole(r, verdict(not found, "no 'kind' member", "; ".join(found[:6]) or "none"))


def timestamp_utc(r: Replayed) -> Judgement:
    events, nj = stream_events(r)
    if nj:
        return nj
    stamps = [(ev.index, st.timestamp) for ev in events
              for st in (ev.task.status if ev.task else None,
                         ev.status_update.status if ev.status_update else None)
              if st is not None and st.timestamp is not None]
    if not stamps:
        return na("no status carries a timestamp (optional): nothing to judge")
    bad_ = [f"#{i}: {ts!r}" for i, ts in stamps if not UTC.match(ts)]
    return whole(r, verdict(not bad_, "timestamps like 2025-01-31T12:00:00.123Z",
                            "; ".join(bad_[:6]) or "all UTC"))


def anti_buffering(r: Replayed) -> Judgement:
    if not r.headers_known or r.exchange.response_headers is None:
        return skip("response headers were not captured")
    if error_answer(r):
        return na("an error answer, not a stream")
    headers = {k.lower(): v for k, v in r.exchange.response_headers}
    cache, accel = headers.get("cache-control"), headers.get("x-accel-buffering")
    j = verdict(cache is not None and "no-cache" in cache.lower()
                and accel is not None and accel.strip().lower() == "no",
                "Cache-Control: no-cache and X-Accel-Buffering: no",
                f"Cache-Control: {cache!r}, X-Accel-Buffering: {accel!r}")
    j.observations = {"Cache-Control": cache, "X-Accel-Buffering": accel}
    return j


# -- ordering -------------------------------------------------------------------------------


def task_first(r: Replayed, *, follow_up: bool) -> Judgement:
    if r.exchange.op != "stream":
        return na(f"a {r.exchange.op} stream, not a message stream")
    if r.facts.follow_up != follow_up:
        other = "ordering.followup-task-first" if r.facts.follow_up else "ordering.task-first"
        return na(f"{'a' if r.facts.follow_up else 'not a'} follow-up message: {other} "
                  "judges it")
    events, nj = task_events(r)
    if nj:
        return nj
    return verdict(events[0].kind == "task", "the first event is a Task",
                   r.result.describe())


def message_only(r: Replayed) -> Judgement:
    events, nj = stream_events(r)
    if nj:
        return nj
    if events[0].kind != "message":
        return na("a task stream (its first event is not a Message)")
    kinds = [ev.kind for ev in events]
    if kinds != ["message"]:
        return bad("exactly one Message event", r.result.describe())
    if not r.timed or r.truncated:
        return skip("one Message event; whether the stream then closed promptly needs "
                    "arrival times, which this recording lacks")
    if r.result.end == "closed-by-client":
        return skip(r.result.end_reason)
    return verdict(r.result.end == "closed", "the stream closes right after the Message",
                   f"stream ended: {r.result.end} ({r.result.end_reason})")


def _markers(events: list[StreamEvent], texts: set[str]) -> list[str]:
    out: list[str] = []
    ended = False
    for ev in events:
        if ev.kind == "artifact" and ev.artifact_update is not None:
            out.append(f"art:{ev.artifact_update.artifact.artifact_id}")
        elif ev.kind == "status" and ev.is_terminal:
            if not ended:
                out.append(f"end:{ev.state}")
            ended = True
        elif ev.kind == "status" and ev.status_update is not None:
            msg = ev.status_update.status.message
            if msg is not None and msg.text in texts:
                out.append(f"msg:{msg.text}")
        elif ev.kind == "message" and ev.message is not None and ev.message.text in texts:
            out.append(f"msg:{ev.message.text}")
    return out


def script_order(r: Replayed) -> Judgement:
    plan = script_of(r)
    if plan is None:
        return na("needs the order the agent produced events in: judged only for "
                  "a2a-conformance/1 scripts")
    allowed = (scripts.Artifact, scripts.Message, scripts.Status, scripts.Sleep)
    if not all(isinstance(s, allowed) for s in plan.steps):
        return na("the script has steps without a fixed event (burst, raise, wait_cancel)")
    last = plan.steps[-1]
    if not isinstance(last, scripts.Status) or last.state not in scripts.TERMINAL_STATES:
        return na("the script does not end in a terminal state")
    expected = []
    for s in plan.steps:
        if isinstance(s, scripts.Artifact):
            expected.append(f"art:{s.id}")
        elif isinstance(s, scripts.Message):
            expected.append(f"msg:{s.text}")
        elif isinstance(s, scripts.Status) and s.state in scripts.TERMINAL_STATES:
            expected.append(f"end:{s.state}")
    if not r.result.terminal_events() and r.result.end == "closed-by-client":
        return skip(f"the client left the stream before it ended ({r.result.end_reason})")
    texts = {s.text for s in plan.steps if isinstance(s, scripts.Message)}
    got = _markers(r.result.events, texts)
    return whole(r, verdict(got == expected, " → ".join(expected), " → ".join(got) or "nothing"))


def artifacts_before_terminal(r: Replayed) -> Judgement:
    events, nj = task_events(r)
    if nj:
        return nj
    first = next((i for i, ev in enumerate(events) if ev.kind == "status" and ev.is_terminal),
                 None)
    if first is None:
        return na("no terminal status update in the recording")
    late = [f"#{ev.index} {ev.describe()}" for ev in events[first + 1:]
            if ev.kind in ("artifact", "message")
            or (ev.kind == "status" and not ev.is_terminal and ev.status_update is not None
                and ev.status_update.status.message is not None)]
    return verdict(not late, "every artifact update and agent message before the terminal "
                   "status", f"after the terminal status #{events[first].index}: "
                   + ", ".join(late[:6]) if late else "none after it")


def single_terminal(r: Replayed) -> Judgement:
    events, nj = task_events(r)
    if nj:
        return nj
    terminals = [ev for ev in events if ev.kind == "status" and ev.is_terminal]
    if not terminals:
        plan = script_of(r)
        promised = plan is not None and isinstance(plan.steps[-1], scripts.Status) \
            and plan.steps[-1].state in scripts.TERMINAL_STATES
        if promised and r.result.end == "closed" and not r.truncated:
            return bad("exactly one terminal status update (the script ends in one)",
                       f"none: {r.result.describe()}")
        return na("no terminal status update in the recording")
    return whole(r, verdict(len(terminals) == 1, "exactly one terminal status update",
                            f"{len(terminals)}: {r.result.describe()}"))


def regressions(events: list[StreamEvent]) -> list[str]:
    problems: list[str] = []
    best, final = -1, None
    for ev in events:
        state = ev.state
        if ev.kind not in ("task", "status") or state not in _RANK:
            continue
        if final is not None and state != final:
            problems.append(f"{state} after terminal {final}")
        elif _RANK[state] < best:
            problems.append(f"{state} after a later state")
        best = max(best, _RANK[state])
        if _RANK[state] == 2:
            final = state
    return problems


def state_machine(r: Replayed) -> Judgement:
    events, nj = task_events(r)
    if nj:
        return nj
    if not any(ev.kind in ("task", "status") for ev in events):
        return na("no task or status event: no states to judge")
    problems = regressions(events)
    return whole(r, verdict(not problems, "states never move backwards",
                            f"{'; '.join(problems)} in {r.result.describe()}"))
