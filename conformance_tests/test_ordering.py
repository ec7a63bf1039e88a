"""Event ordering and stream content (STREAMING.md R1, R4-R6, R9, R16; S10 §3.1.2, §3.5.2).

Each scenario judges one requirement from what ``collect()`` returned, and tolerates what other
requirements own: a stream left open after the terminal status, a final Task snapshot after it
(S10 §11.7 MAY), extra framework ``submitted``/``working`` statuses, and duplicate terminals.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from conformance_tests.agent_support import answer
from conformance_tests.pacing import delay
from pytest_a2a import script
from pytest_a2a.judge import stream_rules as rules
from pytest_a2a.judge import verifiers
from pytest_a2a.judge.context import A2AContext
from pytest_a2a.wire.results import StreamResult

pytestmark = pytest.mark.asyncio

_LOAD = 30  # concurrent streams in the load scenario (one such bug only showed under load)


def _art(name: str, text: str | None = None) -> dict[str, Any]:
    return {"artifact": {"id": name, "text": text or f"text of {name}"}}


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
    """R5 against any agent: unless it answers with one Message, the stream opens with a Task
    (judged on the prompt's shared answer, ``agent_support.answer``)."""
    res = (await answer(a2a, "prompt")).res
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
    a2a.verify(rules.script_order(res, expected, {"m1", "m2"}))


@pytest.mark.a2a_requirement("ordering.artifacts-before-terminal")
@pytest.mark.a2a_scripted
async def test_artifacts_before_terminal(a2a: A2AContext) -> None:
    """R9: nothing the agent produced may arrive after the terminal status."""
    a2a.needs_streaming()
    steps = [_art("a1"), {"message": "m1"}, _art("a2"), {"status": "completed"}]
    res = await a2a.client.stream_collect(script.build(steps))
    a2a.verify(rules.artifacts_before_terminal(res))


@pytest.mark.a2a_requirement("ordering.order-under-load")
@pytest.mark.a2a_scripted
async def test_order_under_load(a2a: A2AContext) -> None:
    """R4/R9 under concurrency: 30 simultaneous streams of artifact, artifact, completed."""
    a2a.needs_streaming()
    text = script.build([_art("a1"), _art("a2"), {"status": "completed"}])
    results = await asyncio.gather(*(a2a.client.stream_collect(text) for _ in range(_LOAD)))
    expected = ["art:a1", "art:a2", "end:completed"]
    bad = [res for res in results if rules.markers(res.events, set()) != expected]
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
    a2a.verify(rules.single_terminal(res))


@pytest.mark.a2a_requirement("ordering.state-machine")
@pytest.mark.a2a_scripted
async def test_state_machine(a2a: A2AContext) -> None:
    """S10 §4.1.3: submitted → working → terminal, never backwards."""
    a2a.needs_streaming()
    steps = [{"status": "working"}, _art("a1"), {"message": "m1"}, {"status": "completed"}]
    res = await a2a.client.stream_collect(script.build(steps))
    # the lifecycle is judged on a whole one: an empty or cut-off stream never moves back
    a2a.verify(verifiers.terminal_status(res))
    a2a.verify(rules.state_machine(res))


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
    a2a.verify(rules.state_machine(first))  # the first turn
    follow_up = script.build([{"status": "working"}, _art("a1"), {"status": "completed"}])
    res = await a2a.client.stream_collect(follow_up, task_id=ids[0].task_id,
                                          context_id=ids[0].context_id)
    # judged per turn: the spec has no transition table, and a framework that queues the
    # follow-up may re-enter at submitted (fasta2a does)
    a2a.verify(verifiers.terminal_status(res))
    a2a.verify(rules.state_machine(res))  # the follow-up turn


@pytest.mark.a2a_requirement("ordering.ids-consistent")
@pytest.mark.a2a_scripted
async def test_ids_consistent(a2a: A2AContext) -> None:
    """R16: every event of a task stream carries the Task's taskId and contextId."""
    a2a.needs_streaming()
    steps = [{"status": "working"}, {"message": "m1"}, _art("a1"), {"status": "completed"}]
    res = await a2a.client.stream_collect(script.build(steps))
    # judged on the whole scripted stream: a lone Task agrees with itself, proving nothing
    a2a.verify(verifiers.terminal_status(res))
    a2a.verify(rules.ids_consistent(res))


@pytest.mark.a2a_requirement("ordering.ids-consistent")
async def test_ids_consistent_blackbox(a2a: A2AContext) -> None:
    """R16 against any agent that answers with a task stream (the prompt's shared answer)."""
    res = (await answer(a2a, "prompt")).res
    _task_stream_or_unsupported(a2a, res)
    a2a.verify(rules.ids_consistent(res))


@pytest.mark.a2a_requirement("ordering.rpc-id")
async def test_rpc_id(a2a: A2AContext) -> None:
    """R1: every JSON-RPC event's id equals the request id (the request of the prompt's shared
    answer, which its StreamResult keeps)."""
    res = (await answer(a2a, "prompt")).res
    a2a.check(bool(res.events), expected="at least one event", actual=a2a.describe(res), stream=res)
    a2a.verify(rules.rpc_id(res, res.request_id))


@pytest.mark.a2a_requirement("ordering.no-message-in-task")
@pytest.mark.a2a_scripted
async def test_no_message_in_task(a2a: A2AContext) -> None:
    """R5: a 1.0 task stream carries agent messages in status.message, never as Message events."""
    a2a.needs_streaming()
    steps = [{"status": "working"}, {"message": "progress"}, _art("a1"), {"status": "completed"}]
    res = await a2a.client.stream_collect(script.build(steps))
    a2a.check(bool(res.events) and res.events[0].kind != "message",
              expected="a task stream", actual=a2a.describe(res), stream=res)
    # the evidence: the agent's message arrived, in one form or the other
    a2a.require("msg:progress" in rules.markers(res.events, {"progress"}),
                expected="the agent's progress message is delivered (status.message or a "
                         "Message event)", actual=a2a.describe(res), stream=res)
    a2a.verify(rules.no_message_in_task(res))


async def _incremental(a2a: A2AContext) -> None:
    """Timed on two progress messages (status updates) the agent produces ``gap`` apart.

    Status updates rather than artifacts: a server that holds each artifact until the next
    event reorders them too, which ``ordering.artifacts-before-terminal`` already judges.
    A server that holds events back shows no spacing whatever the gap, while a correct server
    that merely stalled for a moment (CPU-starved CI, a garbage collection) can shrink a short
    one. So a miss is measured again with a gap four times as long, and that second measurement
    is the verdict: holding back fails both, a passing stall does not fail the target. The
    first gap is sized from the round trip (jitter of a remote target is of its order), the
    second is fixed: it alone decides a failure.
    """
    gap = await delay(a2a, floor=0.1, rounds=10)
    res = await _two_messages(a2a, gap)
    verdict = rules.incremental(res, [("m1", "m2", gap)])
    if verdict.observed and not verdict.passed:
        a2a.record("first_spacing_s", round(rules.spacing(res, "m1", "m2") or 0.0, 3))
        gap = 1.2
        res = await _two_messages(a2a, gap)
        verdict = rules.incremental(res, [("m1", "m2", gap)])
    if verdict.observed:
        a2a.record("spacing_s", round(rules.spacing(res, "m1", "m2") or 0.0, 3))
    # the agent waited `gap` between the two; a server delivering as produced shows most of it
    a2a.verify(verdict)


async def _two_messages(a2a: A2AContext, gap: float) -> StreamResult:
    """One stream whose agent says m1, waits ``gap`` and says m2."""
    steps = [{"message": "m1"}, _art("a1"), {"sleep": gap}, {"message": "m2"},
             {"status": "completed"}]
    return await a2a.client.stream_collect(script.build(steps))


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
