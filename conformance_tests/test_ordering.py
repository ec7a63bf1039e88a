"""Event ordering and stream content (STREAMING.md R1, R4-R6, R9, R16; S10 §3.1.2, §3.5.2).

Each scenario judges one requirement from what ``collect()`` returned, and tolerates what other
requirements own: a stream left open after the terminal status, a final Task snapshot after it
(S10 §11.7 MAY), extra framework ``submitted``/``working`` statuses, and duplicate terminals.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from pytest_a2a import script
from pytest_a2a.judge import verifiers
from pytest_a2a.judge.context import A2AContext
from pytest_a2a.wire.models import StreamEvent
from pytest_a2a.wire.results import StreamResult

pytestmark = pytest.mark.asyncio

#: script states, ranked along the task lifecycle (interrupted states rank with working,
#: since a follow-up moves input-required/auth-required back to working)
_RANK = {"submitted": 0, "working": 1, "input-required": 1, "auth-required": 1,
         "completed": 2, "failed": 2, "canceled": 2, "rejected": 2}
_LOAD = 30  # concurrent streams in the load scenario (one such bug only showed under load)


def _art(name: str, text: str | None = None) -> dict[str, Any]:
    return {"artifact": {"id": name, "text": text or f"text of {name}"}}


def _markers(events: list[StreamEvent], texts: set[str]) -> list[str]:
    """What the script produced, in arrival order: ``art:ID``, ``msg:TEXT``, ``end:STATE``.

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


def _task_stream_or_unsupported(a2a: A2AContext, res: StreamResult) -> None:
    """Black-box agents may answer with one Message: then there is no task stream to judge."""
    if verifiers.is_message_answer(res):
        a2a.unsupported("the agent answered the prompt with one Message: no task stream to "
                        "judge (ordering.message-only judges message streams)")
    a2a.check(bool(res.events), expected="at least one stream event", actual=a2a.describe(res),
              stream=res)


@pytest.mark.a2a_requirement("ordering.task-first")
@pytest.mark.a2a_scripted
async def test_task_first(a2a: A2AContext) -> None:
    """R5: a 1.0 task stream MUST begin with the Task object."""
    a2a.needs_streaming()
    res = await a2a.client.stream_collect(script.build([_art("a1"), {"status": "completed"}]))
    a2a.check(bool(res.events) and res.events[0].kind == "task",
              expected="the first event is a Task", actual=a2a.describe(res), stream=res)


@pytest.mark.a2a_requirement("ordering.task-first")
async def test_task_first_blackbox(a2a: A2AContext) -> None:
    """R5 against any agent: unless it answers with one Message, the stream opens with a Task."""
    a2a.needs_streaming()
    res = await a2a.client.stream_collect(a2a.prompt)
    _task_stream_or_unsupported(a2a, res)
    a2a.check(res.events[0].kind == "task",
              expected="the first event is a Task (or the single Message of a message stream)",
              actual=a2a.describe(res), stream=res)


@pytest.mark.a2a_requirement("ordering.task-first-0.3")
@pytest.mark.a2a_scripted
async def test_task_first_v03(a2a: A2AContext) -> None:
    """R6: the 0.3 proto says a task stream should open with the Task."""
    a2a.needs_streaming()
    res = await a2a.client.stream_collect(script.build([_art("a1"), {"status": "completed"}]))
    a2a.check(bool(res.events) and res.events[0].kind == "task",
              expected="the first event is a Task", actual=a2a.describe(res), stream=res)


async def _followup_first(a2a: A2AContext) -> None:
    """A follow-up message continuing an input-required task gets a stream of its own, and
    that stream is a task stream like any other: it starts with the Task."""
    first = await a2a.client.stream_collect(script.build([{"status": "input-required"}]))
    ids = next((ev for ev in first.events if ev.task_id and ev.context_id), None)
    a2a.require(ids is not None and any(ev.is_interrupted for ev in first.events),
                expected="a task stream reaching input-required",
                actual=a2a.describe(first), stream=first)
    assert ids is not None
    follow_up = script.build([_art("b1"), {"status": "completed"}])
    res = await a2a.client.stream_collect(follow_up, task_id=ids.task_id,
                                          context_id=ids.context_id)
    a2a.require(bool(res.events) and res.error is None,
                expected="the follow-up message is accepted and streamed",
                actual=a2a.describe(res), stream=res)
    a2a.check(res.events[0].kind == "task",
              expected="the follow-up's stream starts with the Task",
              actual=a2a.describe(res), stream=res)


@pytest.mark.a2a_requirement("ordering.followup-task-first")
@pytest.mark.a2a_scripted
async def test_followup_task_first(a2a: A2AContext) -> None:
    """R5: every 1.0 task stream starts with the Task, a follow-up message's stream included."""
    a2a.needs_streaming()
    await _followup_first(a2a)


@pytest.mark.a2a_requirement("ordering.followup-task-first-0.3")
@pytest.mark.a2a_scripted
async def test_followup_task_first_v03(a2a: A2AContext) -> None:
    """R6: the 0.3 proto's 'should' for task streams holds for a follow-up's stream too."""
    a2a.needs_streaming()
    await _followup_first(a2a)


def _rejected_script(res: StreamResult) -> str | None:
    """The agent's reason when it rejected the script itself (CONFORMANCE-AGENT.md: an agent
    that cannot perform a step ends the task ``rejected`` naming the problem)."""
    for ev in res.events:
        if ev.status_update is not None and ev.state == "rejected":
            msg = ev.status_update.status.message
            return msg.text if msg is not None and msg.text else "(no reason given)"
    return None


async def _message_only(a2a: A2AContext) -> None:
    res = await a2a.client.stream_collect(script.build([{"reply": "just a reply"}]))
    why = _rejected_script(res)
    if why is not None:
        a2a.unsupported(f"the agent cannot answer with a Message: {why}")
    kinds = [ev.kind for ev in res.events]
    a2a.check(kinds == ["message"],
              expected="exactly one Message event", actual=a2a.describe(res), stream=res)
    a2a.verify(verifiers.closed(res, after="the Message", grace=a2a.budget.close_grace))


@pytest.mark.a2a_requirement("ordering.message-only")
@pytest.mark.a2a_scripted
async def test_message_only(a2a: A2AContext) -> None:
    """R5: a message-only stream is exactly one Message, then close."""
    a2a.needs_streaming()
    await _message_only(a2a)


@pytest.mark.a2a_requirement("ordering.message-only-0.3")
@pytest.mark.a2a_scripted
async def test_message_only_v03(a2a: A2AContext) -> None:
    """R6: the 0.3 proto's 'should' for message-only streams."""
    a2a.needs_streaming()
    await _message_only(a2a)


@pytest.mark.a2a_requirement("ordering.script-order")
@pytest.mark.a2a_scripted
async def test_script_order(a2a: A2AContext) -> None:
    """R4: artifacts, progress messages and the terminal status arrive in production order."""
    a2a.needs_streaming()
    steps = [{"message": "m1"}, _art("a1"), {"message": "m2"}, _art("a2"), _art("a3"),
             {"status": "completed", "text": "done"}]
    res = await a2a.client.stream_collect(script.build(steps))
    expected = ["msg:m1", "art:a1", "msg:m2", "art:a2", "art:a3", "end:completed"]
    got = _markers(res.events, {"m1", "m2"})
    a2a.check(got == expected, expected=" → ".join(expected), actual=" → ".join(got) or "nothing",
              stream=res)


@pytest.mark.a2a_requirement("ordering.artifacts-before-terminal")
@pytest.mark.a2a_scripted
async def test_artifacts_before_terminal(a2a: A2AContext) -> None:
    """R9: nothing the agent produced may arrive after the terminal status."""
    a2a.needs_streaming()
    steps = [_art("a1"), {"message": "m1"}, _art("a2"), {"status": "completed"}]
    res = await a2a.client.stream_collect(script.build(steps))
    got = _markers(res.events, {"m1"})
    ends = [i for i, m in enumerate(got) if m.startswith("end:")]
    late = got[ends[0] + 1:] if ends else []
    a2a.check(bool(ends), expected="a terminal status", actual=a2a.describe(res), stream=res)
    a2a.check(not late, expected="a1, m1 and a2 all before the terminal status",
              actual=f"after the terminal status: {', '.join(late)}", stream=res)


@pytest.mark.a2a_requirement("ordering.order-under-load")
@pytest.mark.a2a_scripted
async def test_order_under_load(a2a: A2AContext) -> None:
    """R4/R9 under concurrency: 30 simultaneous streams of artifact, artifact, completed."""
    a2a.needs_streaming()
    text = script.build([_art("a1"), _art("a2"), {"status": "completed"}])
    results = await asyncio.gather(*(a2a.client.stream_collect(text) for _ in range(_LOAD)))
    expected = ["art:a1", "art:a2", "end:completed"]
    bad = [res for res in results if _markers(res.events, set()) != expected]
    first = bad[0] if bad else None
    a2a.check(not bad, expected=f"every one of {_LOAD} streams: " + " → ".join(expected),
              actual=f"{len(bad)} of {_LOAD} streams differ; first: "
                     + (a2a.describe(first) if first is not None else ""),
              stream=first)


@pytest.mark.a2a_requirement("ordering.single-terminal")
@pytest.mark.a2a_scripted
async def test_single_terminal(a2a: A2AContext) -> None:
    """R5/R8: exactly one terminal status update (a final Task snapshot is not one)."""
    a2a.needs_streaming()
    res = await a2a.client.stream_collect(script.build([_art("a1"), {"status": "completed"}]))
    terminals = [ev for ev in res.events if ev.kind == "status" and ev.is_terminal]
    a2a.check(len(terminals) == 1, expected="exactly one terminal status update",
              actual=f"{len(terminals)}: {a2a.describe(res)}", stream=res)


def _regressions(events: list[StreamEvent]) -> list[str]:
    """Backward moves along the lifecycle; after a terminal state only that state may follow."""
    problems: list[str] = []
    best, final = -1, None
    for ev in events:
        state = ev.state
        if ev.kind not in ("task", "status") or state is None or state not in _RANK:
            continue
        if final is not None and state != final:
            problems.append(f"{state} after terminal {final}")
        elif _RANK[state] < best:
            problems.append(f"{state} after a later state")
        best = max(best, _RANK[state])
        if _RANK[state] == 2:
            final = state
    return problems


@pytest.mark.a2a_requirement("ordering.state-machine")
@pytest.mark.a2a_scripted
async def test_state_machine(a2a: A2AContext) -> None:
    """S10 §4.1.3: submitted → working → terminal, never backwards."""
    a2a.needs_streaming()
    steps = [{"status": "working"}, _art("a1"), {"message": "m1"}, {"status": "completed"}]
    res = await a2a.client.stream_collect(script.build(steps))
    # the lifecycle is judged on a whole one: an empty or cut-off stream never moves back
    a2a.verify(verifiers.terminal_status(res))
    problems = _regressions(res.events)
    a2a.check(not problems, expected="states never move backwards",
              actual=f"{'; '.join(problems)} in {a2a.describe(res)}", stream=res)


@pytest.mark.a2a_requirement("ordering.state-machine")
@pytest.mark.a2a_scripted
async def test_state_machine_follow_up(a2a: A2AContext) -> None:
    """S10 §4.1.3 across a follow-up: working → input-required, then working → completed."""
    a2a.needs_streaming()
    # collect() ends at the close, or close_grace after input-required if the stream stays
    # open (R7 allows both), so the server closes first whenever it closes at all
    first = await a2a.client.stream_collect(script.build([{"status": "working"},
                                                          {"status": "input-required"}]))
    first_events = first.events
    ids = [ev for ev in first_events if ev.task_id]
    a2a.require(bool(ids) and first_events[-1].is_interrupted,
                expected="a task stream reaching input-required", actual=a2a.describe(first),
                stream=first)
    problems = _regressions(first_events)
    a2a.check(not problems, expected="states never move backwards (first turn)",
              actual="; ".join(problems), stream=first)
    follow_up = script.build([{"status": "working"}, _art("a1"), {"status": "completed"}])
    res = await a2a.client.stream_collect(follow_up, task_id=ids[0].task_id,
                                          context_id=ids[0].context_id)
    # judged per turn: the spec has no transition table, and a framework that queues the
    # follow-up may re-enter at submitted (fasta2a does)
    a2a.verify(verifiers.terminal_status(res))
    problems = _regressions(res.events)
    a2a.check(not problems, expected="states never move backwards (follow-up turn)",
              actual=f"{'; '.join(problems)} in {a2a.describe(res)}", stream=res)


def _id_problems(events: list[StreamEvent]) -> list[str]:
    """Events whose taskId/contextId is empty or differs from the stream's Task."""
    ref = next((ev for ev in events if ev.kind == "task"), None) or next(
        (ev for ev in events if ev.kind in ("status", "artifact")), None)
    if ref is None:
        return ["no task event to take the ids from"]
    want = (ref.task_id, ref.context_id)
    problems = [f"reference event {ref.describe()} has taskId={want[0]!r} contextId={want[1]!r}"
                ] if not all(want) else []
    for ev in events:
        if ev.kind in ("task", "status", "artifact"):
            got = (ev.task_id, ev.context_id)
        elif ev.kind == "message" and ev.message is not None:
            # a Message's ids are optional in the schema: judged only when present
            got = (ev.message.task_id or want[0], ev.message.context_id or want[1])
        else:
            continue
        if got != want:
            problems.append(f"#{ev.index} {ev.describe()}: taskId={got[0]!r} contextId={got[1]!r}")
    return problems


@pytest.mark.a2a_requirement("ordering.ids-consistent")
@pytest.mark.a2a_scripted
async def test_ids_consistent(a2a: A2AContext) -> None:
    """R16: every event of a task stream carries the Task's taskId and contextId."""
    a2a.needs_streaming()
    steps = [{"status": "working"}, {"message": "m1"}, _art("a1"), {"status": "completed"}]
    res = await a2a.client.stream_collect(script.build(steps))
    # judged on the whole scripted stream: a lone Task agrees with itself, proving nothing
    a2a.verify(verifiers.terminal_status(res))
    problems = _id_problems(res.events)
    a2a.check(not problems, expected="every event carries the Task's non-empty ids",
              actual="; ".join(problems[:5]), stream=res)


@pytest.mark.a2a_requirement("ordering.ids-consistent")
async def test_ids_consistent_blackbox(a2a: A2AContext) -> None:
    """R16 against any agent that answers with a task stream."""
    a2a.needs_streaming()
    res = await a2a.client.stream_collect(a2a.prompt)
    _task_stream_or_unsupported(a2a, res)
    problems = _id_problems(res.events)
    a2a.check(not problems, expected="every event carries the Task's non-empty ids",
              actual="; ".join(problems[:5]), stream=res)


@pytest.mark.a2a_requirement("ordering.rpc-id")
async def test_rpc_id(a2a: A2AContext) -> None:
    """R1: every JSON-RPC event's id equals the request id."""
    a2a.needs_streaming()
    async with a2a.client.stream(a2a.prompt) as call:
        res = await call.collect()
        want = call.request_id
    bad = [ev for ev in res.events if not ev.has_rpc_id or ev.rpc_id != want]
    a2a.check(bool(res.events), expected="at least one event", actual=a2a.describe(res), stream=res)
    a2a.check(not bad, expected=f"every event has id {want!r}",
              actual="; ".join(f"#{ev.index} {ev.describe()} id={ev.rpc_id!r}"
                               if ev.has_rpc_id else f"#{ev.index} {ev.describe()} without id"
                               for ev in bad[:5]),
              stream=res)


@pytest.mark.a2a_requirement("ordering.no-message-in-task")
@pytest.mark.a2a_scripted
async def test_no_message_in_task(a2a: A2AContext) -> None:
    """R5: a 1.0 task stream carries agent messages in status.message, never as Message events."""
    a2a.needs_streaming()
    steps = [{"status": "working"}, {"message": "progress"}, _art("a1"), {"status": "completed"}]
    res = await a2a.client.stream_collect(script.build(steps))
    messages = [ev for ev in res.events if ev.kind == "message"]
    a2a.check(bool(res.events) and res.events[0].kind != "message",
              expected="a task stream", actual=a2a.describe(res), stream=res)
    # the evidence: the agent's message arrived, in one form or the other
    a2a.require("msg:progress" in _markers(res.events, {"progress"}),
                expected="the agent's progress message is delivered (status.message or a "
                         "Message event)", actual=a2a.describe(res), stream=res)
    a2a.check(not messages, expected="no standalone Message event in the task stream",
              actual=a2a.describe(res), stream=res)


async def _incremental(a2a: A2AContext) -> None:
    """Timed on two progress messages (status updates) the agent produces ``gap`` apart.

    Status updates rather than artifacts: a server that holds each artifact until the next
    event reorders them too, which ``ordering.artifacts-before-terminal`` already judges.
    A server that holds events back shows no spacing whatever the gap, while a correct server
    that merely stalled for a moment (CPU-starved CI, a garbage collection) can shrink a short
    one. So a miss is measured again with a gap four times as long, and that second measurement
    is the verdict: holding back fails both, a passing stall does not fail the target.
    """
    gap = 0.3
    res, first, second = await _two_messages(a2a, gap)
    if second.t - first.t < gap / 2:
        a2a.record("first_spacing_s", round(second.t - first.t, 3))
        gap = 1.2
        res, first, second = await _two_messages(a2a, gap)
    spacing = second.t - first.t
    a2a.record("spacing_s", round(spacing, 3))
    # the agent waited `gap` between the two; a server delivering as produced shows most of it
    a2a.check(spacing >= gap / 2,
              expected=f"m1 arrives at least {gap / 2:.2f}s before m2 (agent waited {gap}s)",
              actual=f"m1 at +{first.t:.3f}s, m2 at +{second.t:.3f}s (spacing {spacing:.3f}s)",
              stream=res)


async def _two_messages(a2a: A2AContext, gap: float
                        ) -> tuple[StreamResult, StreamEvent, StreamEvent]:
    """One stream whose agent says m1, waits ``gap`` and says m2: (result, m1 event, m2 event)."""
    steps = [{"message": "m1"}, _art("a1"), {"sleep": gap}, {"message": "m2"},
             {"status": "completed"}]
    res = await a2a.client.stream_collect(script.build(steps))
    seen: dict[str, StreamEvent] = {}
    for ev in res.events:
        msg = ev.status_update.status.message if ev.status_update is not None else ev.message
        if msg is not None and msg.text in ("m1", "m2"):
            seen.setdefault(msg.text, ev)
    a2a.check("m1" in seen and "m2" in seen, expected="progress messages m1 and m2",
              actual=a2a.describe(res), stream=res)
    return res, seen["m1"], seen["m2"]


@pytest.mark.a2a_requirement("ordering.incremental-delivery")
@pytest.mark.a2a_scripted
async def test_incremental_delivery(a2a: A2AContext) -> None:
    """S10 §3.1.2: immediate feedback; an event is not held until the next one (or the end)."""
    a2a.needs_streaming()
    await _incremental(a2a)


@pytest.mark.a2a_requirement("ordering.incremental-delivery-0.3")
@pytest.mark.a2a_scripted
async def test_incremental_delivery_v03(a2a: A2AContext) -> None:
    """0.3 streams are real-time updates too (no normative MUST, hence SHOULD)."""
    a2a.needs_streaming()
    await _incremental(a2a)
