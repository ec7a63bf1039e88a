"""Terminal-state closure (STREAMING.md R5, R7, R8; S10 §3.1.2, §11.7), and the 0.3 ``final``
flag on the status that ends a stream.

"Promptly" is the budget's ``close_grace``: ``collect()`` reports ``open-after-terminal`` when a
stream is still open that long after its terminal event, so no scenario here sleeps.
"""

from __future__ import annotations

from typing import Any

import pytest

from conformance_tests.agent_support import answer
from pytest_a2a import script
from pytest_a2a.judge import stream_rules, verifiers
from pytest_a2a.judge.context import A2AContext
from pytest_a2a.wire.models import INTERRUPTED_STATES, TERMINAL_STATES
from pytest_a2a.wire.results import StreamResult

pytestmark = pytest.mark.asyncio

#: parametrize values in a fixed order (test ids, and the same collection on every xdist worker)
TERMINAL = sorted(TERMINAL_STATES)
INTERRUPTED = sorted(INTERRUPTED_STATES)


def _ends_with(state: str) -> str:
    return script.build([{"artifact": {"id": "a1", "text": "x"}}, {"status": state}])


def _check_closed(a2a: A2AContext, res: StreamResult) -> None:
    a2a.verify(verifiers.terminal_status(res))
    terminal = res.terminal_events()
    a2a.verify(verifiers.closed(res, after=f"the terminal {terminal[0].state} status",
                                grace=a2a.budget.close_grace))


@pytest.mark.a2a_requirement("closure.closes-after-terminal")
@pytest.mark.a2a_scripted
@pytest.mark.parametrize("state", TERMINAL)
async def test_closes_after_terminal(a2a: A2AContext, state: str) -> None:
    """R5/R8: every terminal state closes the stream (rejected too: fasta2a forgot it)."""
    a2a.needs_streaming()
    _check_closed(a2a, await a2a.client.stream_collect(_ends_with(state)))


@pytest.mark.a2a_requirement("closure.closes-after-terminal")
async def test_closes_after_terminal_blackbox(a2a: A2AContext) -> None:
    """R5 against any agent: whatever terminal state the prompt reaches, the stream closes
    (judged on the prompt's shared answer, ``agent_support.answer``)."""
    res = (await answer(a2a, "prompt")).res
    if verifiers.is_message_answer(res):
        a2a.unsupported("the agent answered with one Message (ordering.message-only judges "
                        "that): no task reaches a terminal state")
    if not res.terminal_events() and res.events and res.events[-1].is_interrupted:
        a2a.unsupported("the prompt ended in an interrupted state (closure.interrupted "
                        "records it): no terminal state to close after")
    _check_closed(a2a, res)


@pytest.mark.a2a_requirement("closure.final-flag")
@pytest.mark.a2a_scripted
@pytest.mark.parametrize("state", TERMINAL)
async def test_final_flag(a2a: A2AContext, state: str) -> None:
    """R8: 0.3 ``final: true`` on the terminal status update and on no status before it."""
    a2a.needs_streaming()
    steps: list[dict[str, Any]] = [{"status": "working"}, {"message": "m1"},
                                   {"artifact": {"id": "a1", "text": "x"}}, {"status": state}]
    a2a.verify(stream_rules.final_flag(await a2a.client.stream_collect(script.build(steps))))


@pytest.mark.a2a_requirement("closure.interrupted")
@pytest.mark.a2a_scripted
@pytest.mark.parametrize("state", INTERRUPTED)
async def test_interrupted(a2a: A2AContext, state: str) -> None:
    """R7 (spec contradiction): record whether the stream closes after an interrupted state."""
    a2a.needs_streaming()
    res = await a2a.client.stream_collect(script.build([{"status": "working"},
                                                        {"status": state}]))
    last = res.events[-1] if res.events else None
    reached = last is not None and last.state == state
    a2a.record(f"{state}: reached", reached)
    a2a.record(f"{state}: stream", {"closed": "closes", "open-after-terminal": "stays open"}
               .get(res.end, res.end))
    if reached and last is not None and last.final is not None:
        a2a.record(f"{state}: 0.3 final", last.final)
    a2a.check(reached, expected=f"the stream reaches {state}", actual=a2a.describe(res),
              stream=res)


@pytest.mark.a2a_requirement("closure.final-on-interrupted")
@pytest.mark.a2a_scripted
@pytest.mark.parametrize("state", INTERRUPTED)
async def test_final_on_interrupted(a2a: A2AContext, state: str) -> None:
    """R8: a 0.3 stream that ends on an interrupted state marks that last status final."""
    a2a.needs_streaming()
    res = await a2a.client.stream_collect(script.build([{"status": "working"},
                                                        {"status": state}]))
    reached = [ev for ev in res.by_kind("status") if ev.state == state]
    a2a.require(reached, expected=f"a status update to {state}",
                actual=a2a.describe(res), stream=res)
    a2a.record(f"{state}: stream", res.end)
    if res.end == "open-after-terminal":  # R7 lets the stream stay open: nothing is final yet
        a2a.unsupported(f"the stream stays open after {state}; R7 allows it, and final: true "
                        "is judged only on a stream that ends there")
    # any other end than a clean close (a transport error, a stall) is no lawful choice
    a2a.verify(verifiers.closed(res, after=f"the {state} status (or stays open, R7)",
                                grace=a2a.budget.close_grace))
    last = reached[-1]
    a2a.check(last.final is True,
              expected=f"the {state} status update that ends the stream has final: true",
              actual=f"#{last.index} {last.describe()} final={last.final}", stream=res)


@pytest.mark.a2a_requirement("closure.get-task-agrees")
@pytest.mark.a2a_scripted
@pytest.mark.parametrize("state", TERMINAL)
async def test_get_task_agrees(a2a: A2AContext, state: str) -> None:
    """GetTask after the stream reports the terminal state the stream delivered."""
    a2a.needs_streaming()
    res = await a2a.client.stream_collect(_ends_with(state))
    terminal = res.terminal_events()
    a2a.check(bool(terminal and res.task_id), expected=f"a task stream ending {state}",
              actual=a2a.describe(res), stream=res)
    assert res.task_id is not None
    end = str(terminal[0].state)
    a2a.verify(verifiers.task_state(await a2a.client.get_task(res.task_id), {end},
                                    f"the stream's end state {end}"))
