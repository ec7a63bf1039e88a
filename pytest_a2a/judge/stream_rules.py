"""Stream-level rules, written once for live scenarios and replayed recordings.

Each rule is a pure function of a :class:`StreamResult` (its dialect is ``res.dialect``)
returning a :class:`~pytest_a2a.judge.verifiers.Verdict`: a live scenario judges the stream it
read with ``a2a.verify(rule(res))``, a replay judge a recorded stream with the same rule, so
the two cannot drift apart (tests/recording/test_agreement.py). Callers add only their
precondition. A rule that finds nothing to judge (no timestamp, no artifact) returns
``observed=False``: never a pass, so a scenario that must see the evidence fails, and one that
may lawfully see nothing (a black-box answer, a recording) says "not observable" instead.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import Any

from pytest_a2a.judge.verifiers import Verdict
from pytest_a2a.wire.models import StreamEvent
from pytest_a2a.wire.results import CallResult, StreamResult
from pytest_a2a.wire.schema import is_kind_rule

#: RFC 3339 in UTC with ``Z`` (R23), fractional seconds optional
UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$")
#: snake_case spellings of 1.0 members (ProtoJSON emits camelCase)
SNAKE = frozenset({"task_id", "context_id", "message_id", "artifact_id", "last_chunk",
                   "status_update", "artifact_update", "reference_task_ids", "media_type"})
WRAPPERS = ("task", "message", "statusUpdate", "artifactUpdate")
#: subtrees holding user content, whose member names are not A2A's
OPAQUE = frozenset({"metadata", "data"})
#: lifecycle rank; interrupted states rank with working (a follow-up resumes them)
RANK = {"submitted": 0, "working": 1, "input-required": 1, "auth-required": 1,
        "completed": 2, "failed": 2, "canceled": 2, "rejected": 2}


def _unobserved(res: StreamResult, expected: str, why: str) -> Verdict:
    return Verdict(False, (expected,), why, res, observed=False)


def _shown(problems: Sequence[str], most: int, none: str) -> str:
    return "; ".join(problems[:most]) or none


# -- the JSON of each event (R1, R14, R15, R23) ---------------------------------------------


def content_type(res: StreamResult) -> Verdict:
    """R1: the stream is answered HTTP 200 with ``Content-Type: text/event-stream``."""
    return Verdict(res.status_code == 200 and res.content_type_ok,
                   ("HTTP 200, Content-Type: text/event-stream",),
                   f"HTTP {res.status_code}, Content-Type: {res.content_type!r}", res)


def schema_valid(res: StreamResult) -> Verdict:
    """R1/R14/R15: every event is one JSON document valid for the dialect's schema. The 1.0
    ``kind`` rule is left to :func:`no_kind` (a SHOULD): one cause, one finding."""
    expected = f"every event valid for {res.dialect}"
    if not res.events:
        return _unobserved(res, expected, f"no events: {res.describe()}")
    problems: list[str] = []
    for ev in res.events:
        errors = [e for e in ev.schema_errors if not is_kind_rule(e)]
        if ev.kind == "invalid" and not errors:
            errors = [ev.reason or "undecodable event"]
        problems += [f"#{ev.index} {ev.describe()}: {e}" for e in errors[:3]]
    return Verdict(not problems, (expected,), _shown(problems, 6, "all valid"), res)


def event_body(ev: StreamEvent) -> Any:
    """The StreamResponse object of an event (JSON-RPC: its ``result``; REST: the payload)."""
    payload = ev.payload
    if ev.dialect.endswith("rest"):
        return payload
    return payload.get("result") if isinstance(payload, dict) else None


def members(obj: Any, path: str = "") -> Iterator[tuple[str, str, Any]]:
    """(path, key, value) of every member, skipping user-content subtrees (:data:`OPAQUE`)."""
    if isinstance(obj, dict):
        for key, value in obj.items():
            yield path, key, value
            if key not in OPAQUE:
                yield from members(value, f"{path}.{key}" if path else key)
    elif isinstance(obj, list):
        for i, value in enumerate(obj):
            yield from members(value, f"{path}[{i}]")


def proto_json(res: StreamResult) -> Verdict:
    """R23: 1.0 JSON is ProtoJSON: a StreamResponse wrapper, camelCase members,
    ``TASK_STATE_*`` and ``ROLE_*`` enum names."""
    expected = "camelCase members and TASK_STATE_*/ROLE_* values"
    if not res.events:
        return _unobserved(res, expected, f"no events: {res.describe()}")
    problems: list[str] = []
    for ev in res.events:
        body = event_body(ev)
        if not isinstance(body, dict) or ev.kind == "error":
            continue
        if not any(w in body for w in WRAPPERS):
            problems.append(f"#{ev.index}: no task/message/statusUpdate/artifactUpdate member "
                            f"(members {sorted(body)[:6]})")
        for path, key, value in members(body):
            if key in SNAKE:
                problems.append(f"#{ev.index} {path}.{key}: snake_case member")
            elif key == "state" and path.endswith("status") and isinstance(value, str) \
                    and not value.startswith("TASK_STATE_"):
                problems.append(f"#{ev.index} {path}.state = {value!r}")
            elif key == "role" and isinstance(value, str) and not value.startswith("ROLE_"):
                problems.append(f"#{ev.index} {path}.role = {value!r}")
    return Verdict(not problems, (expected,), _shown(problems, 6, "as expected"), res)


def no_kind(res: StreamResult) -> Verdict:
    """R23: the 0.3 ``kind`` discriminator does not appear in 1.0 events."""
    if not res.events:
        return _unobserved(res, "no 'kind' member", f"no events: {res.describe()}")
    found = [f"#{ev.index} {path or '(root)'}.kind = {value!r}" for ev in res.events
             for path, key, value in members(event_body(ev)) if key == "kind"]
    return Verdict(not found, ("no 'kind' member",), _shown(found, 6, "none"), res)


def timestamps_utc(res: StreamResult) -> Verdict:
    """R23: status timestamps are RFC 3339 in UTC with ``Z`` (judged when there are any)."""
    expected = "timestamps like 2025-01-31T12:00:00.123Z"
    stamps = [(ev.index, st.timestamp) for ev in res.events
              for st in (ev.task.status if ev.task else None,
                         ev.status_update.status if ev.status_update else None)
              if st is not None and st.timestamp is not None]
    if not stamps:
        return _unobserved(res, expected, "no status carries a timestamp (optional): "
                           "nothing to judge")
    bad = [f"#{i}: {ts!r}" for i, ts in stamps if not UTC.match(ts)]
    return Verdict(not bad, (expected,), _shown(bad, 6, "all UTC"), res)


# -- order and content of a task stream (R1, R4, R5, R8, R9, R16) ---------------------------


def regressions(events: Sequence[StreamEvent]) -> list[str]:
    """Backward moves along the lifecycle; after a terminal state only that state may follow."""
    problems: list[str] = []
    best, final = -1, None
    for ev in events:
        state = ev.state
        if ev.kind not in ("task", "status") or state is None or state not in RANK:
            continue
        if final is not None and state != final:
            problems.append(f"#{ev.index} {state} after terminal {final}")
        elif RANK[state] < best:
            problems.append(f"#{ev.index} {state} after a later state")
        best = max(best, RANK[state])
        final = state if RANK[state] == 2 else final
    return problems


def state_machine(res: StreamResult) -> Verdict:
    """S10 §4.1.3: the states of one stream never move backwards."""
    expected = "states never move backwards"
    if not any(ev.kind in ("task", "status") for ev in res.events):
        return _unobserved(res, expected, f"no task or status event: {res.describe()}")
    problems = regressions(res.events)
    return Verdict(not problems, (expected,), f"{_shown(problems, 5, 'none')} in "
                   f"{res.describe()}", res)


def single_terminal(res: StreamResult) -> Verdict:
    """R5/R8: exactly one terminal status update (a final Task snapshot is not one)."""
    expected = "exactly one terminal status update"
    terminals = [ev for ev in res.events if ev.kind == "status" and ev.is_terminal]
    if not terminals:
        return _unobserved(res, expected, f"none: {res.describe()}")
    return Verdict(len(terminals) == 1, (expected,), f"{len(terminals)}: {res.describe()}", res)


def ids_consistent(res: StreamResult) -> Verdict:
    """R16: every event carries the Task's non-empty taskId and contextId (a Message's ids are
    optional in the schema: judged when present)."""
    expected = "every event carries the Task's non-empty ids"
    events = res.events
    ref = next((ev for ev in events if ev.kind == "task"), None) or next(
        (ev for ev in events if ev.kind in ("status", "artifact")), None)
    if ref is None:
        return _unobserved(res, expected, "no task, status or artifact event to take the ids "
                           f"from: {res.describe()}")
    want = (ref.task_id, ref.context_id)
    problems = [f"reference event #{ref.index} {ref.describe()} has taskId={want[0]!r} "
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
    return Verdict(not problems, (expected,), _shown(problems, 5, "consistent"), res)


def rpc_id(res: StreamResult, want: object) -> Verdict:
    """R1: every JSON-RPC event carries the request's id."""
    expected = f"every event has id {want!r}"
    if not res.events:
        return _unobserved(res, expected, f"no events: {res.describe()}")
    wrong = [ev for ev in res.events if not ev.has_rpc_id or ev.rpc_id != want]
    return Verdict(not wrong, (expected,), _shown(
        [f"#{ev.index} {ev.describe()} id={ev.rpc_id!r}" if ev.has_rpc_id
         else f"#{ev.index} {ev.describe()} without id" for ev in wrong], 5, "all match"), res)


def no_message_in_task(res: StreamResult) -> Verdict:
    """R5 (1.0): a task stream carries agent messages in ``status.message``, never as
    standalone Message events."""
    messages = [ev for ev in res.events if ev.kind == "message"]
    return Verdict(not messages, ("no standalone Message event in the task stream",),
                   res.describe(), res)


def markers(events: Sequence[StreamEvent], texts: set[str]) -> list[str]:
    """What a script produced, in arrival order: ``art:ID``, ``msg:TEXT``, ``end:STATE``.

    Agent messages count in either form (``status.message`` or a standalone Message event):
    which form is legal is ``ordering.no-message-in-task``'s business. Task events (the first
    snapshot, a final snapshot) are not script output; repeated terminals are reduced to the
    first (``ordering.single-terminal`` owns duplicates).
    """
    out: list[str] = []
    ended = False
    for ev in events:
        if ev.artifact_update is not None:
            out.append(f"art:{ev.artifact_update.artifact.artifact_id}")
        elif ev.status_update is not None and ev.is_terminal:
            if not ended:
                out.append(f"end:{ev.state}")
            ended = True
        elif ev.status_update is not None:
            msg = ev.status_update.status.message
            if msg is not None and msg.text in texts:
                out.append(f"msg:{msg.text}")
        elif ev.kind == "message" and ev.message is not None and ev.message.text in texts:
            out.append(f"msg:{ev.message.text}")
    return out


def script_order(res: StreamResult, expected: Sequence[str], texts: set[str]) -> Verdict:
    """R4: the script's artifacts, messages and terminal status arrive in production order
    (``expected``: :func:`markers` of the script; ``texts``: its message texts)."""
    got = markers(res.events, texts)
    return Verdict(got == list(expected), (" → ".join(expected),),
                   " → ".join(got) or "nothing", res)


def artifacts_before_terminal(res: StreamResult) -> Verdict:
    """R9: every artifact update and agent message arrives before the terminal state."""
    expected = "every artifact update and agent message before the terminal status"
    end = next((i for i, ev in enumerate(res.events) if ev.is_terminal), None)
    if end is None:
        return _unobserved(res, expected, f"no terminal state: {res.describe()}")
    late = [f"#{ev.index} {ev.describe()}" for ev in res.events[end + 1:]
            if ev.kind in ("artifact", "message")
            or (ev.kind == "status" and not ev.is_terminal and ev.status_update is not None
                and ev.status_update.status.message is not None)]
    return Verdict(not late, (expected,), f"after the terminal state #{res.events[end].index}: "
                   + ", ".join(late[:6]) if late else "none after it", res)


def message_event(res: StreamResult, text: str) -> StreamEvent | None:
    """The first event carrying agent message ``text`` (``status.message`` or a Message)."""
    for ev in res.events:
        msg = ev.status_update.status.message if ev.status_update is not None else ev.message
        if msg is not None and msg.text == text:
            return ev
    return None


def spacing(res: StreamResult, a: str, b: str) -> float | None:
    """Seconds from agent message ``a``'s arrival to ``b``'s (None: not both in the stream)."""
    ea, eb = message_event(res, a), message_event(res, b)
    return None if ea is None or eb is None else eb.t - ea.t


def incremental(res: StreamResult, pairs: Sequence[tuple[str, str, float]]) -> Verdict:
    """S10 §3.1.2: each pair ``(a, b, wait)`` of agent messages, produced ``wait`` seconds
    apart, arrives at least half that wait apart (a server holding events back shows none)."""
    expected = " and ".join(f"{b} arrives at least {wait / 2:.2f}s after {a} (the agent "
                            f"waited {wait}s between them)" for a, b, wait in pairs)
    seen, passed = [], True
    for a, b, wait in pairs:
        gap = spacing(res, a, b)
        if gap is None:
            return _unobserved(res, expected, f"messages {a!r} and {b!r} are not both in the "
                               f"stream: {res.describe()}")
        seen.append(f"{b} {gap:.3f}s after {a}")
        passed = passed and gap >= wait / 2
    return Verdict(passed, (expected,), "; ".join(seen), res)


# -- artifacts (R13) ------------------------------------------------------------------------


def append_announced(res: StreamResult) -> Verdict:
    """R13: ``append: true`` only for an artifactId the stream announced before."""
    expected = "the first chunk of every artifact has append: false"
    seen: set[str | None] = set()
    problems, updates = [], 0
    for ev in res.events:
        if (au := ev.artifact_update) is None:
            continue
        updates += 1
        aid = au.artifact.artifact_id
        if au.append and aid not in seen:
            problems.append(f"#{ev.index} append: true for unannounced {aid!r}")
        seen.add(aid)
    if not updates:
        return _unobserved(res, expected, "no artifact update in the stream")
    return Verdict(not problems, (expected,), _shown(problems, 4, "as expected"), res)


def nothing_after_last_chunk(res: StreamResult) -> Verdict:
    """R13: after ``lastChunk: true`` no further chunk of that artifact, to the stream's end
    (judged only when some chunk was marked last)."""
    expected = "no chunk after lastChunk: true"
    sealed: dict[str | None, int] = {}
    problems = []
    for ev in res.events:
        if (au := ev.artifact_update) is None:
            continue
        aid = au.artifact.artifact_id
        if aid in sealed:
            problems.append(f"#{ev.index} {ev.describe()} after the last chunk of {aid!r} "
                            f"(#{sealed[aid]})")
        if au.last_chunk:
            sealed.setdefault(aid, ev.index)
    if not sealed:
        return _unobserved(res, expected, "no chunk of the stream was marked lastChunk: true")
    return Verdict(not problems, (expected,), _shown(problems, 4, "as expected"), res)


def reassemble(events: Sequence[StreamEvent]) -> dict[str, str]:
    """R13: ``append: false`` creates or replaces; ``append: true`` appends (or creates)."""
    out: dict[str, str] = {}
    for ev in events:
        if (au := ev.artifact_update) is not None:
            aid = au.artifact.artifact_id or ""
            out[aid] = out.get(aid, "") + au.artifact.text if au.append else au.artifact.text
    return out


def stored_artifacts(call: CallResult) -> dict[str, str]:
    """GetTask's artifacts, artifactId -> text."""
    task = call.task
    return {} if task is None else {a.artifact_id or "": a.text for a in task.artifacts}


def _first_difference(a: dict[str, str], b: dict[str, str]) -> str:
    for aid in sorted(set(a) | set(b)):
        x, y = a.get(aid, ""), b.get(aid, "")
        if x != y:
            at = next((i for i, (p, q) in enumerate(zip(x, y, strict=False)) if p != q),
                      min(len(x), len(y)))
            return f"{aid!r}[{at}]: stream {x[at:at + 30]!r}, GetTask {y[at:at + 30]!r}"
    return "nowhere"


def reassembly_matches(res: StreamResult, call: CallResult) -> Verdict:
    """R13: GetTask's artifacts (``call``, after the stream) equal the stream's chunks
    reassembled (judged when the stream carried artifacts)."""
    streamed = reassemble(res.events)
    sizes = {k: len(v) for k, v in streamed.items()}
    expected = f"GetTask artifacts equal the stream's reassembly ({sizes} characters)"
    if not streamed:
        return _unobserved(res, expected, "no artifact update in the stream")
    if call.task is None:
        return Verdict(False, (expected,), f"GetTask returns no task: {call.describe()}", call)
    stored = stored_artifacts(call)
    held = {k: len(v) for k, v in stored.items()}
    return Verdict(stored == streamed, (expected,), f"GetTask: {held} characters; first "
                   f"difference at {_first_difference(streamed, stored)}", call)


# -- 0.3 ``final`` (R8) -----------------------------------------------------------------------


def final_flag(res: StreamResult) -> Verdict:
    """R8 (0.3): ``final: true`` on the terminal status update and on no status before it."""
    expected = "final: true on the terminal status update, on no non-terminal one"
    statuses = [ev for ev in res.events if ev.kind == "status"]
    terminal = [ev for ev in statuses if ev.is_terminal]
    if not terminal:
        return _unobserved(res, expected, f"no terminal status update: {res.describe()}")
    problems = [f"terminal #{ev.index} {ev.describe()} final={ev.final}"
                for ev in terminal if ev.final is not True]
    problems += [f"non-terminal #{ev.index} {ev.describe()}" for ev in statuses
                 if not ev.is_terminal and ev.final]
    return Verdict(not problems, (expected,), _shown(problems, 6, "as expected"), res)
