"""Cancel while streams are open (R17 with R5/R8/R12; bugs #10-#12).

The task parks in ``wait_cancel`` for ``W`` seconds (budget-derived), so a cancel that waits for
the task to end by itself is told apart from a prompt one by the cancel call's own duration.
(Canceling a finished task → -32002 is ``errors.not-cancelable``.)
"""

from __future__ import annotations

import asyncio

import pytest

from pytest_a2a import script
from pytest_a2a.judge import verifiers
from pytest_a2a.judge.context import A2AContext
from pytest_a2a.wire.models import TERMINAL_STATES
from pytest_a2a.wire.stream import EventStream

pytestmark = pytest.mark.asyncio


def _wait(a2a: A2AContext) -> float:
    """W: how long the task waits for a cancel; under budget.call so a slow cancel still answers."""
    return round(min(script.MAX_SLEEP, a2a.budget.call * 0.6), 3)


def _cancelable(a2a: A2AContext) -> str:
    return script.build([{"status": "working"}, {"wait_cancel": _wait(a2a)},
                         {"artifact": {"id": "late", "text": "not canceled"}},
                         {"status": "completed"}])


@pytest.mark.a2a_requirement("cancel.prompt")
@pytest.mark.a2a_scripted
async def test_cancel_prompt(a2a: A2AContext) -> None:
    """R17: cancel answers at once with the canceled Task, not when the task ends by itself."""
    a2a.needs_streaming()
    limit = _wait(a2a) / 2
    async with a2a.client.stream(_cancelable(a2a)) as orig:
        task_id = await a2a.live_task_id(orig)
        res = await a2a.client.cancel(task_id)
    a2a.record("cancel_seconds", round(res.t, 3))
    a2a.check(res.task is not None and res.state == "canceled",
              expected="cancel answers with the Task in state canceled",
              actual=res.describe(), stream=res)
    a2a.check(res.t <= limit,
              expected=f"cancel answers within {limit:.2f}s (the task would run "
                       f"{_wait(a2a):.2f}s more by itself)",
              actual=f"answered after {res.t:.2f}s", stream=res)


@pytest.mark.a2a_requirement("cancel.streams-notified")
@pytest.mark.a2a_scripted
async def test_streams_notified(a2a: A2AContext) -> None:
    """R17/R5/R12: the original and a re-attached stream both receive the task's end state."""
    a2a.needs_streaming()
    async with a2a.client.stream(_cancelable(a2a)) as orig:
        task_id = await a2a.live_task_id(orig)
        async with a2a.client.resubscribe(task_id) as sub:
            await sub.next_event()
            streams: list[tuple[str, EventStream]] = [("the original stream", orig)]
            if sub.error is None and sub.is_open:
                streams.append(("the re-attached stream", sub))
            else:  # only an explicit refusal (an error code) lets the original be judged alone
                refusal = verifiers.error_answer(sub.result())
                a2a.require(refusal.passed,
                            expected="the re-attach streams, or answers an error code",
                            actual=refusal.actual, stream=sub.result())
                a2a.record("re-attach", f"refused: {refusal.actual}")
            cancel = await a2a.client.cancel(task_id)
            results = await asyncio.gather(*(s.collect() for _, s in streams))
    now = await a2a.client.get_task(task_id)
    # The state the task ended in: canceled, unless cancel came after it ended by itself
    # (whether cancel answers promptly and with canceled is cancel.prompt's business).
    end = cancel.state if cancel.state in TERMINAL_STATES else now.state
    a2a.record("cancel", cancel.describe())
    a2a.check(end in TERMINAL_STATES, expected="the task is terminal after cancel (precondition)",
              actual=f"{cancel.describe()}; {now.describe()}", stream=now)
    for (name, _), res in zip(streams, results, strict=True):
        a2a.check(any(ev.state == end for ev in res.events if ev.kind in ("status", "task")),
                  expected=f"{name} receives the {end} status within the budget",
                  actual=a2a.describe(res), stream=res)


@pytest.mark.a2a_requirement("cancel.get-agrees")
@pytest.mark.a2a_scripted
async def test_get_agrees(a2a: A2AContext) -> None:
    """R17: after cancel, GetTask shows the state cancel reported (a2a-python #1170)."""
    a2a.needs_streaming()
    async with a2a.client.stream(_cancelable(a2a)) as orig:
        task_id = await a2a.live_task_id(orig)
        cancel = await a2a.client.cancel(task_id)
        now = await a2a.client.get_task(task_id)
    a2a.check(cancel.task is not None, expected="cancel answers with a Task (precondition)",
              actual=cancel.describe(), stream=cancel)
    want = cancel.state if cancel.state in TERMINAL_STATES else "canceled"
    a2a.check(now.state == want,
              expected=f"GetTask right after the cancel reports {want} "
                       f"(cancel answered {cancel.state})",
              actual=now.describe(), stream=now)
