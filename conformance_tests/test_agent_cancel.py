"""Black-box cancel (R17) of the long prompt's task while its streams are open.

One session per target and dialect: the long prompt's task is canceled once it shows progress,
with the original and a re-attached stream open. How long the task would have run by itself is
known from the same prompt's uncanceled answer (``agent_support.answer``), so a cancel that only
answers when the task ends by itself is told apart from a prompt one. A task that would have
ended within moments anyway is not observable, never a pass. The session is a shared run, run
beside the re-attach sessions when the agent runs their tasks in parallel
(:mod:`conformance_tests.agent_sessions`): each test that judges it holds its evidence.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from conformance_tests import agent_sessions
from conformance_tests.agent_sessions import CancelRun
from conformance_tests.agent_support import answer, not_observable, task_stream
from conformance_tests.shared_runs import judged_alone_if_failing
from pytest_a2a.judge import verifiers
from pytest_a2a.judge.context import A2AContext

pytestmark = pytest.mark.asyncio

#: a task with less left than this is too close to its end for a cancel to be judged
_MIN_LEFT = 0.4


@dataclass(frozen=True)
class Judged:
    """The cancel session, and how long its task would still have run uncanceled."""

    run: CancelRun
    left: float


async def _run(a2a: A2AContext) -> Judged:
    run = await agent_sessions.session(a2a, agent_sessions.CANCEL)
    # the same prompt, not canceled: how long it runs (a shared run of its own, outside the
    # session's, so a test that reads both is not shown it twice)
    whole = await answer(a2a, "long")
    task_stream(a2a, whole.res)
    left = whole.duration - run.sent_at
    original = run.streams[0][1]
    ended = [ev.t for ev in original.terminal_events() if ev.t <= run.sent_at]
    if left < _MIN_LEFT or ended:
        not_observable(a2a, f"the task would have ended {max(left, 0) * 1000:.0f} ms after "
                       "the cancel was sent (use a longer --a2a-long-prompt)")
    return Judged(run, left)


def _canceled_or_skip(a2a: A2AContext, run: CancelRun) -> None:
    """Scenarios about a canceled task need a cancel that canceled (cancel.prompt judges it)."""
    if run.cancel.state != "canceled":
        not_observable(a2a, f"cancel did not cancel the task ({run.cancel.describe()}); "
                       "cancel.prompt judges that")


@pytest.mark.a2a_requirement("cancel.prompt")
@judged_alone_if_failing
async def test_agent_cancel_prompt(a2a: A2AContext) -> None:
    """R17: cancel answers at once with the canceled Task, not when the answer is done."""
    a2a.needs_streaming()
    judged = await _run(a2a)
    run, limit = judged.run, judged.left / 2
    a2a.record("cancel_seconds", round(run.cancel.t, 3))
    a2a.record("task_left_seconds", round(judged.left, 3))
    a2a.check(run.cancel.task is not None and run.cancel.state == "canceled",
              expected="cancel answers with the Task in state canceled",
              actual=f"{run.cancel.describe()} after {run.cancel.t:.2f}s", stream=run.cancel)
    a2a.check(run.cancel.t <= limit,
              expected=f"cancel answers within {limit:.2f}s (the answer would have run "
                       f"{judged.left:.2f}s more by itself)",
              actual=f"answered after {run.cancel.t:.2f}s", stream=run.cancel)


@pytest.mark.a2a_requirement("cancel.streams-notified")
@judged_alone_if_failing
async def test_agent_cancel_streams_notified(a2a: A2AContext) -> None:
    """R17/R5/R12: every stream open on the task receives its canceled status.

    (Whether each then closes is closure.closes-after-terminal's requirement.)
    """
    a2a.needs_streaming()
    run = (await _run(a2a)).run
    _canceled_or_skip(a2a, run)
    a2a.record("streams", [name for name, _ in run.streams])
    for name, res in run.streams:
        a2a.check(any(ev.state == "canceled" for ev in res.events
                      if ev.kind in ("status", "task")),
                  expected=f"{name} receives the canceled status within the budget",
                  actual=res.describe(), stream=res)


@pytest.mark.a2a_requirement("cancel.get-agrees")
@judged_alone_if_failing
async def test_agent_cancel_get_agrees(a2a: A2AContext) -> None:
    """R17: right after cancel answered canceled, GetTask reports canceled too."""
    a2a.needs_streaming()
    run = (await _run(a2a)).run
    _canceled_or_skip(a2a, run)
    a2a.verify(verifiers.task_state(run.got, {"canceled"}, "canceled, as cancel answered"))


@pytest.mark.a2a_requirement("errors.not-cancelable")
@judged_alone_if_failing
async def test_agent_not_cancelable(a2a: A2AContext) -> None:
    """R17: cancel of the prompt's completed task → -32002 (REST: 400), not the Task."""
    res = (await answer(a2a, "prompt")).res
    task_stream(a2a, res)
    a2a.require(res.terminal_events()[0].state == "completed",
                expected="the prompt's task completes (the task to cancel)",
                actual=res.describe(), stream=res)
    assert res.task_id is not None
    call = await a2a.client.cancel(res.task_id)
    a2a.verify(verifiers.error_code(call, -32002, binding=a2a.binding, rest_status=400))
