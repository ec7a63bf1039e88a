"""Black-box re-attach (R10-R12) on the long prompt's task, compared on event content.

One session per target and dialect: the long prompt's stream is read until the task shows
progress, then two re-attached streams open at once and all three are read to their end. The
re-attached streams must be the original's tail (no gap, no duplicate: no numbered chunks
here, so an event is identified by what it says) after a Task snapshot, and equal to each
other. A task that ended before the suite could re-attach is not observable, never a pass.
The sessions (this one, the dropped stream's, the closed stream's) are shared runs, run side
by side when the agent runs their tasks in parallel (:mod:`conformance_tests.agent_sessions`):
each test that judges one holds its evidence.
"""

from __future__ import annotations

import pytest

from conformance_tests import agent_sessions
from conformance_tests.agent_sessions import Session
from conformance_tests.agent_support import (
    Key,
    answer,
    key,
    not_observable,
    show,
    task_stream,
    upto_terminal,
)
from conformance_tests.shared_runs import judged_alone_if_failing
from pytest_a2a.judge import verifiers
from pytest_a2a.judge.context import A2AContext
from pytest_a2a.wire.models import TERMINAL_STATES, Task
from pytest_a2a.wire.results import StreamResult

pytestmark = pytest.mark.asyncio


async def _session(a2a: A2AContext) -> Session:
    return await agent_sessions.session(a2a, agent_sessions.REATTACH)


def _snapshot(res: StreamResult) -> Task | None:
    return res.events[0].task if res.events and res.events[0].kind == "task" else None


def _later(res: StreamResult) -> list[Key]:
    """The re-attached stream's events after its snapshot, up to its terminal status."""
    events = upto_terminal(res.events)
    return [key(ev) for ev in events[1 if _snapshot(res) is not None else 0:]]


def _attached_or_skip(a2a: A2AContext, s: Session, res: StreamResult) -> None:
    """The re-attach was answered with events (an error after the task ended: not observable)."""
    if res.rpc_error is not None and s.original.terminal_events():
        not_observable(a2a, f"the re-attach was answered with error {res.rpc_error.code}; the "
                       f"task ended at +{s.original.terminal_events()[0].t:.3f}s")
    a2a.require(bool(res.events) and res.rpc_error is None,
                expected="re-attaching to the running task streams its events",
                actual=res.describe(), stream=res)


@pytest.mark.a2a_requirement("reattach.snapshot-first")
@judged_alone_if_failing
async def test_agent_snapshot_first(a2a: A2AContext) -> None:
    """R10: the re-attached stream starts with the Task as it is now: its id, a live state,
    the artifacts announced so far."""
    s = await _session(a2a)
    res = s.attached[0]
    _attached_or_skip(a2a, s, res)
    snap = _snapshot(res)
    a2a.check(snap is not None, expected="the re-attached stream's first event is a Task",
              actual=res.describe(), stream=res)
    assert snap is not None
    a2a.check(snap.id == s.task_id, expected=f"the snapshot is task {s.task_id}",
              actual=f"task {snap.id}", stream=res)
    if snap.state in TERMINAL_STATES:
        not_observable(a2a, f"the snapshot shows the task already {snap.state}")
    have = {a.artifact_id or "" for a in snap.artifacts}
    a2a.check(s.announced <= have,
              expected=f"the snapshot carries the artifacts announced so far {sorted(s.announced)}",
              actual=f"snapshot artifacts {sorted(have)}", stream=res)


def _tail_at(whole: list[Key], tail: list[Key]) -> int | None:
    """Where ``tail`` starts in ``whole`` when it is exactly ``whole``'s end, else None."""
    start = len(whole) - len(tail)
    return start if start >= 0 and whole[start:] == tail else None


@pytest.mark.a2a_requirement("reattach.no-gaps")
@judged_alone_if_failing
async def test_agent_no_gaps(a2a: A2AContext) -> None:
    """R10/R4: after its snapshot the re-attached stream carries every later event of the
    original stream once, in order, to the terminal status; the snapshot ends where they
    begin (its text holds the chunk before the join, not the one after)."""
    s = await _session(a2a)
    res = s.attached[0]
    _attached_or_skip(a2a, s, res)
    whole = [key(ev) for ev in upto_terminal(s.original.events)]
    tail = _later(res)
    a2a.require(bool(s.original.terminal_events()), expected="the original stream ends with a "
                "terminal status", actual=s.original.describe(), stream=s.original)
    if not any(k[0] == "artifact" for k in tail):
        not_observable(a2a, "no artifact chunk was produced after the re-attach")
    start = _tail_at(whole, tail)
    a2a.check(start is not None,
              expected="the re-attached events are exactly the original stream's last "
                       f"{len(tail)} events (no gap, no duplicate, same content)",
              actual=f"re-attached {[show(k) for k in tail[:4]]}… do not match the original's "
                     f"end {[show(k) for k in whole[-len(tail):][:4]]}…", stream=res)
    snap = _snapshot(res)
    if snap is None or start is None:
        return  # no snapshot: reattach.snapshot-first's business; only the tail is judged
    after = next(k for k in tail if k[0] == "artifact")
    before = [k for k in whole[:start] if k[0] == "artifact" and k[1] == after[1]]
    text = {a.artifact_id or "": a.text for a in snap.artifacts}.get(str(after[1]), "")
    last = str(before[-1][4]) if before else ""
    problems = []
    if before and not text.endswith(last):
        problems.append(f"the snapshot lacks the chunk before the join {show(before[-1])}: "
                        "a gap")
    if after[2] and str(after[4]) and text and text.endswith(last + str(after[4])):
        problems.append(f"the snapshot already holds the first later chunk {show(after)}: "
                        "a duplicate")
    a2a.check(not problems, expected="snapshot + later events = the answer, each chunk once",
              actual="; ".join(problems) + f" (snapshot text ends {text[-40:]!r})", stream=res)


@pytest.mark.a2a_requirement("reattach.subscribers-identical")
@judged_alone_if_failing
async def test_agent_subscribers_identical(a2a: A2AContext) -> None:
    """R12 (MAY): two concurrent re-attached streams get the same events after their
    snapshots (one may start an event later: its snapshot already holds it). Whether each
    snapshot joins its own stream without a gap is reattach.no-gaps' requirement."""
    s = await _session(a2a)
    codes = [r.rpc_error.code for r in s.attached if r.rpc_error is not None]
    if codes and not s.original.terminal_events():
        a2a.unsupported(f"a second concurrent re-attach was refused (codes {codes}); "
                        "several streams per task is a MAY (R12)")
    for res in s.attached:
        _attached_or_skip(a2a, s, res)
    one, two = (_later(r) for r in s.attached)
    if not any(k[0] == "artifact" for k in one + two):
        not_observable(a2a, "no artifact chunk was produced after the re-attaches")
    short, long = sorted((one, two), key=len)
    a2a.check(long[len(long) - len(short):] == short,
              expected="the same events after the snapshots (one may start a chunk earlier)",
              actual=f"first {[show(k) for k in one[:5]]}…\nsecond {[show(k) for k in two[:5]]}…",
              stream=s.attached[1])


async def _completed_task(a2a: A2AContext) -> str:
    res = (await answer(a2a, "prompt")).res
    task_stream(a2a, res)
    a2a.require(res.last_state() == "completed" or res.terminal_events()[0].state == "completed",
                expected="the prompt's task completes (the task to re-attach to)",
                actual=res.describe(), stream=res)
    assert res.task_id is not None
    return res.task_id


@pytest.mark.a2a_requirement("reattach.terminal-task")
@judged_alone_if_failing
async def test_agent_terminal_task(a2a: A2AContext) -> None:
    """R10: 1.0 re-attach to the prompt's completed task → -32004 (REST 400)."""
    res = await a2a.client.resubscribe_collect(await _completed_task(a2a))
    a2a.verify(verifiers.error_code(res, -32004, binding=a2a.binding))


@pytest.mark.a2a_requirement("reattach.terminal-task-v03")
@judged_alone_if_failing
async def test_agent_terminal_task_v03(a2a: A2AContext) -> None:
    """R11 (INFO): what 0.3 answers to re-attaching to the prompt's completed task."""
    res = await a2a.client.resubscribe_collect(await _completed_task(a2a))
    err = res.rpc_error
    a2a.record("answer", res.describe())
    a2a.record("error_code", err.code if err is not None else None)
    a2a.check(err is not None or (_snapshot(res) is not None and res.end == "closed"),
              expected="the Task then close (P03 comment), or an error",
              actual=res.describe(), stream=res)


async def _drop(a2a: A2AContext) -> None:
    """Drop the original stream while the task runs; the task must still end by itself."""
    run = await agent_sessions.session(a2a, agent_sessions.DROP)
    a2a.record("dropped_at_s", round(run.dropped, 3))
    a2a.verify(verifiers.task_state(
        run.last, TERMINAL_STATES - {"canceled"},
        f"a terminal, non-canceled state within the budget after the client dropped the "
        f"stream at +{run.dropped:.2f}s"))


@pytest.mark.a2a_requirement("reattach.disconnect-keeps-task")
@judged_alone_if_failing
async def test_agent_disconnect_keeps_task(a2a: A2AContext) -> None:
    """R12: the long task's life does not depend on its stream (bug #19)."""
    await _drop(a2a)


@pytest.mark.a2a_requirement("reattach.disconnect-keeps-task-v03")
@judged_alone_if_failing
async def test_agent_disconnect_keeps_task_v03(a2a: A2AContext) -> None:
    """R11: 0.3 has tasks/resubscribe for lost connections, so the task outlives one."""
    await _drop(a2a)


@pytest.mark.a2a_requirement("reattach.close-one-keeps-others")
@judged_alone_if_failing
async def test_agent_close_one_keeps_others(a2a: A2AContext) -> None:
    """R12 (MAY): closing one re-attached stream leaves the original and another one whole."""
    run = await agent_sessions.session(a2a, agent_sessions.CLOSE_ONE)
    if run.refused:
        a2a.unsupported(f"a second concurrent re-attach was refused (codes {list(run.refused)}); "
                        "several streams per task is a MAY (R12)")
    if run.ended_early or run.staying is None or run.original is None:
        not_observable(a2a, "the task ended before one of its streams was closed")
    for name, r in (("the other re-attached stream", run.staying),
                    ("the original stream", run.original)):
        a2a.check(bool(r.terminal_events()), expected=f"{name} still reaches the terminal "
                  "status after another stream of the task closed", actual=r.describe(),
                  stream=r)
