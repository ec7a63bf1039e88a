"""Stream-level requirements judged from one replayed exchange (a function of its result).

Each judge mirrors its live scenario's check on a ``StreamResult``, but a recording did not
choose what the agent was asked: where a scenario knows its script, a judge reads the
recorded request (an ``a2a-conformance/1`` script when there is one), and where the capture
cannot show something (no events, no headers, no arrival times, cut at the size cap) the
judge says "not judged" and why. A judge fails only on what the recording proves.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from pytest_a2a import script as scripts
from pytest_a2a.judge import stream_rules as rules
from pytest_a2a.judge.verifiers import Verdict
from pytest_a2a.recording.replay import Replayed
from pytest_a2a.wire.models import StreamEvent
from pytest_a2a.wire.results import StreamResult

#: ``n/a``: the requirement is about another kind of exchange (no test is generated);
#: ``not-judged``: it applies, but the capture cannot show it (the test is skipped, saying why)
Outcome = Literal["pass", "fail", "not-judged", "n/a"]


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


def judged(v: Verdict, unseen: Callable[[str], Judgement] | None = None) -> Judgement:
    """A shared rule's verdict as a judgement; one that saw nothing to judge is ``n/a`` (or
    what ``unseen`` makes of its reason)."""
    if not v.observed:
        return (unseen or na)(v.actual)
    return verdict(v.passed, v.expected_text, v.actual)


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
    return judged(rules.content_type(res))


def _each_event(rule: Callable[[StreamResult], Verdict]) -> Callable[[Replayed], Judgement]:
    """A judge applying a rule about every event of a stream (none: not judged)."""
    def judge(r: Replayed) -> Judgement:
        _events, nj = stream_events(r)
        return nj or whole(r, judged(rule(r.result)))
    judge.__doc__ = rule.__doc__
    return judge


schema_valid = _each_event(rules.schema_valid)
proto_json = _each_event(rules.proto_json)
no_kind = _each_event(rules.no_kind)
timestamp_utc = _each_event(rules.timestamps_utc)


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
    return whole(r, judged(rules.script_order(r.result, expected, texts)))


def artifacts_before_terminal(r: Replayed) -> Judgement:
    _events, nj = task_events(r)
    return nj or judged(rules.artifacts_before_terminal(r.result))


def single_terminal(r: Replayed) -> Judgement:
    _events, nj = task_events(r)
    if nj:
        return nj
    v = rules.single_terminal(r.result)
    if not v.observed:
        plan = script_of(r)
        promised = plan is not None and isinstance(plan.steps[-1], scripts.Status) \
            and plan.steps[-1].state in scripts.TERMINAL_STATES
        if promised and r.result.end == "closed" and not r.truncated:
            return bad("exactly one terminal status update (the script ends in one)",
                       f"none: {r.result.describe()}")
        return na("no terminal status update in the recording")
    return whole(r, judged(v))


def state_machine(r: Replayed) -> Judgement:
    _events, nj = task_events(r)
    return nj or whole(r, judged(rules.state_machine(r.result)))
