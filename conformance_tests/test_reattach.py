"""Re-attach to a running task: 0.3 ``tasks/resubscribe``, 1.0 ``SubscribeToTask`` (R10-R12).

Tasks emit numbered artifacts (``n-0``, ``n-1``, ...) with small gaps, so what a re-attached
stream got can be checked exactly: the snapshot's artifacts plus the later artifact events must
be the whole sequence. Script sleeps only shape the load (where a re-attach lands); every wait
of the checker is a bounded client call, so a hanging server fails within the budget.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest

from conformance_tests.agent_support import not_observable, poll_terminal
from conformance_tests.pacing import delay
from pytest_a2a import script
from pytest_a2a.judge import verifiers
from pytest_a2a.judge.context import A2AContext
from pytest_a2a.wire.gather import gather_bounded
from pytest_a2a.wire.models import TERMINAL_STATES, Task
from pytest_a2a.wire.results import StreamResult
from pytest_a2a.wire.stream import EventStream
from pytest_a2a.wire.transport import StreamCall

pytestmark = pytest.mark.asyncio


#: tries at landing two re-attaches before a task's chunks (see :func:`_two_reattached`)
_LANDING_TRIES = 3


def _hold(a2a: A2AContext) -> float:
    """How long a script keeps its task running so a re-attach lands while it is live."""
    return round(min(script.MAX_SLEEP, max(0.5, a2a.budget.total * 0.4)), 3)


async def _lead(a2a: A2AContext) -> float:
    """How long a task waits before its numbered chunks, so that two re-attaches (a couple of
    round trips) land while it runs and before its chunks; at most :func:`_hold`."""
    return min(_hold(a2a), await delay(a2a, floor=0.1, rounds=10))


def _numbered(count: int, gap: float, *, before: float = 0.0) -> str:
    """working, [sleep before], artifacts n-0..n-{count-1} each followed by ``gap``, completed."""
    steps: list[dict[str, Any]] = [{"status": "working"}]
    if before:
        steps.append({"sleep": before})
    for i in range(count):
        steps += [{"artifact": {"id": f"n-{i}", "text": str(i)}}, {"sleep": gap}]
    return script.build([*steps, {"status": "completed"}])


def _number(artifact_id: str | None) -> int | None:
    if artifact_id and artifact_id.startswith("n-") and artifact_id[2:].isdigit():
        return int(artifact_id[2:])
    return None


def _snapshot(res: StreamResult) -> Task | None:
    """The Task snapshot a re-attached stream started with, or None (no snapshot)."""
    return res.events[0].task if res.events and res.events[0].kind == "task" else None


def _split(res: StreamResult) -> tuple[list[int] | None, list[int]]:
    """(numbers in the snapshot or None, numbers of the later artifact events in order)."""
    snap = _snapshot(res)
    nums = None if snap is None else sorted(
        n for a in snap.artifacts if (n := _number(a.artifact_id)) is not None)
    live = [n for ev in res.events[1 if snap is not None else 0:]
            if ev.artifact_update is not None
            and (n := _number(ev.artifact_update.artifact.artifact_id)) is not None]
    return nums, live


def _code(res: StreamResult) -> int | None:
    """The code of the error the stream answered (a JSON body or an SSE error event)."""
    code = verifiers.error_seen(res).code
    return code if isinstance(code, int) and not isinstance(code, bool) else None


async def _task_id(stream: EventStream) -> str | None:
    """The task id of a freshly opened stream (its first event that names one)."""
    ev = await stream.events_until(lambda e: e.task_id)
    return None if ev is None else ev.task_id


async def _wait_artifact(stream: EventStream, number: int, within: float) -> None:
    """Let the original stream reach artifact ``number`` (bounded: batching servers send none)."""
    await stream.events_until(
        lambda e: e.artifact_update is not None
        and (_number(e.artifact_update.artifact.artifact_id) or -1) >= number, timeout=within)


@pytest.mark.a2a_requirement("reattach.snapshot-first")
@pytest.mark.a2a_scripted
async def test_snapshot_first(a2a: A2AContext) -> None:
    """R10: the first event is a Task with the state and artifacts the task has right now."""
    a2a.needs_streaming()
    text = script.build([{"status": "working"}, {"artifact": {"id": "n-0", "text": "0"}},
                         {"artifact": {"id": "n-1", "text": "1"}}, {"sleep": _hold(a2a)}])
    async with a2a.client.stream(text) as orig:
        task_id = await a2a.live_task_id(orig)
        await _wait_artifact(orig, 1, within=_hold(a2a) / 3)
        now = await a2a.client.get_task(task_id)
        a2a.check(now.task is not None, expected="GetTask answers with the running task",
                  actual=now.describe(), stream=now)
        async with a2a.client.resubscribe(task_id) as sub:
            first = await sub.next_event()
            res = sub.result()
    a2a.check(first is not None and first.kind == "task",
              expected="the re-attached stream's first event is a Task",
              actual=f"first event {first.describe() if first else 'none'}; {res.describe()}",
              stream=res)
    assert first is not None and first.task is not None and now.task is not None
    snap, before = first.task, now.task
    a2a.check(snap.id == task_id, expected=f"the snapshot is task {task_id}",
              actual=f"task {snap.id}", stream=res)
    a2a.check(snap.state == before.state and snap.state not in TERMINAL_STATES,
              expected=f"the snapshot carries the current state ({before.state}, per GetTask)",
              actual=f"snapshot state {snap.state}", stream=res)
    want = {a.artifact_id for a in before.artifacts}
    have = {a.artifact_id for a in snap.artifacts}
    a2a.check(want <= have,
              expected=f"the snapshot carries the artifacts so far {sorted(want, key=str)}",
              actual=f"snapshot artifacts {sorted(have, key=str)}", stream=res)


async def _after_its_end(a2a: A2AContext, res: StreamResult, task_id: str) -> bool:
    """The re-attach came after its task ended (a loaded machine read the original stream
    late): answered with a terminal snapshot and no chunk after it, or with an error, while
    GetTask shows the task ended. That says nothing about gaps; a longer task is tried."""
    snap = _snapshot(res)
    ended = (snap.state in TERMINAL_STATES and not _split(res)[1] if snap is not None
             else res.rpc_error is not None)
    if not ended:
        return False
    now = await a2a.client.get_task(task_id)
    return now.task is not None and now.task.state in TERMINAL_STATES


@pytest.mark.a2a_requirement("reattach.no-gaps")
@pytest.mark.a2a_scripted
async def test_no_gaps(a2a: A2AContext) -> None:
    """R10/R4: snapshot + later events = every numbered chunk once, in order (0.3: R11)."""
    a2a.needs_streaming()
    # chunks keep coming for a while after the re-attach is sent (it lands a round trip later;
    # a snapshot/subscribe race window is tens of ms, three times the reference fault's 50 ms
    # is covered): 3 before it, the rest after, 10 ms apart so a window that long loses one
    gap = 0.01
    span = await delay(a2a, floor=0.15, rounds=20)
    for attempt in range(1, _LANDING_TRIES + 1):
        count = 3 + math.ceil(span / gap)
        async with a2a.client.stream(_numbered(count, gap)) as orig:
            task_id = await a2a.live_task_id(orig)
            await _wait_artifact(orig, 2, within=gap * 6)
            res = await a2a.client.resubscribe_collect(task_id)
        if not await _after_its_end(a2a, res, task_id):
            break
        if attempt == _LANDING_TRIES:
            not_observable(a2a, f"each of {attempt} re-attaches came after its task had ended "
                           f"(the last task streamed for {count * gap:.2f}s)")
        span = min(2 * span, a2a.budget.stream / 3)
    a2a.record("reattach_landing", {"tries": attempt, "chunks": count})
    a2a.check(res.rpc_error is None and bool(res.events),
              expected="re-attaching to the running task streams its events",
              actual=a2a.describe(res), stream=res)
    snap, live = _split(res)
    if snap is not None and a2a.version == "1.0":
        got = snap + live
        a2a.check(got == list(range(count)),
                  expected=f"snapshot artifacts + later artifact events = n-0..n-{count - 1}, "
                           "each once, in order",
                  actual=f"snapshot {snap} + later {live}", stream=res)
    else:  # 0.3 (backfill before the re-attach is implementation-defined), or no snapshot
        a2a.check(bool(live) and live == list(range(live[0], count)),
                  expected=f"the artifact events after re-attaching run contiguously to "
                           f"n-{count - 1}",
                  actual=f"later artifact events {live}", stream=res)
    a2a.check(any(ev.state == "completed" for ev in res.events),
              expected="the re-attached stream delivers the terminal completed status",
              actual=a2a.describe(res), stream=res)


@pytest.mark.a2a_requirement("reattach.unknown-task")
async def test_unknown_task(a2a: A2AContext) -> None:
    """R10/R19: an id the server never issued gets -32001 (REST 404), as JSON or SSE error."""
    a2a.needs_streaming()
    res = await a2a.client.resubscribe_collect(f"no-such-task-{uuid.uuid4()}")
    # TaskNotFoundError (REST: TASK_NOT_FOUND, usually HTTP 404), whatever the HTTP status
    a2a.verify(verifiers.error_code(res, -32001, binding=a2a.binding))


async def _completed_task(a2a: A2AContext) -> str:
    res = await a2a.client.stream_collect(script.build([{"status": "completed"}]))
    a2a.require(bool(res.task_id) and res.reached_terminal(),
                expected="a scripted task that completes", actual=a2a.describe(res),
                stream=res)
    assert res.task_id is not None
    return res.task_id


@pytest.mark.a2a_requirement("reattach.terminal-task")
@pytest.mark.a2a_scripted
async def test_terminal_task(a2a: A2AContext) -> None:
    """R10: 1.0 re-attach to a completed task → -32004 (REST 400 UNSUPPORTED_OPERATION)."""
    a2a.needs_streaming()
    task_id = await _completed_task(a2a)
    res = await a2a.client.resubscribe_collect(task_id)
    # UnsupportedOperationError for a task in a terminal state, whatever the HTTP status
    a2a.verify(verifiers.error_code(res, -32004, binding=a2a.binding))


@pytest.mark.a2a_requirement("reattach.terminal-task-v03")
@pytest.mark.a2a_scripted
async def test_terminal_task_v03(a2a: A2AContext) -> None:
    """R11 (INFO): record what 0.3 answers; the P03 comment suggests the Task, then close."""
    a2a.needs_streaming()
    task_id = await _completed_task(a2a)
    res = await a2a.client.resubscribe_collect(task_id)
    a2a.record("answer", a2a.describe(res))
    a2a.record("error_code", _code(res))
    a2a.record("first_event", res.events[0].describe() if res.events else None)
    a2a.check(_code(res) is not None or (_snapshot(res) is not None and res.end == "closed"),
              expected="the Task then close (P03 comment), or an error",
              actual=a2a.describe(res), stream=res)


async def _race_once(a2a: A2AContext, hold: float,
                     landed: list[float]) -> tuple[bool, str, StreamResult | None]:
    """One task completing after ``hold`` s, re-attached right away: (ok, what, result).
    ``landed`` gets when the re-attach was sent (seconds after the task's stream opened)."""
    text = script.build([{"status": "working"}, {"sleep": hold}, {"status": "completed"}])
    async with a2a.client.stream(text) as orig:
        task_id = await _task_id(orig)
        if task_id is None:  # a scripted task stream names its task: required behaviour
            res = orig.result()
            return False, f"precondition not met: the task stream named no task: " \
                          f"{res.describe()}", res
        landed.append(orig.now())
        res = await a2a.client.resubscribe_collect(task_id)
    # which error (and its code) is reattach.terminal-task's business, not this one's
    verdict = verifiers.terminal_status(res, or_error=True, or_http_error=True)
    return verdict.passed, verdict.actual, res


@pytest.mark.a2a_requirement("reattach.race")
@pytest.mark.a2a_scripted
async def test_race_around_completion(a2a: A2AContext) -> None:
    """R10: re-attach as tasks complete (spread from their start to well past the moment
    the re-attach is sent, a few round trips in): never hang (bug #25)."""
    a2a.needs_streaming()
    tries = 30
    # the re-attach is sent two round trips after its task starts (more with 30 streams at
    # once); completions spread over many round trips around that, 4 ms apart or less
    span = min(_hold(a2a), await delay(a2a, floor=0.12, rounds=12))
    holds = [round(i * span / tries, 3) for i in range(tries)]
    landed: list[float] = []
    started = time.monotonic()
    results = await gather_bounded([_race_once(a2a, h, landed) for h in holds],
                                   timeout=a2a.budget.stream + a2a.budget.close_grace)
    elapsed = time.monotonic() - started
    a2a.record("completions_spread_s", round(holds[-1], 3))
    a2a.record("reattach_sent_after_s", [round(min(landed), 3), round(max(landed), 3)]
               if landed else None)
    outcomes: dict[str, int] = {}
    failures: list[tuple[float, str, StreamResult | None]] = []
    for hold, out in zip(holds, results, strict=True):
        if isinstance(out, BaseException):
            failures.append((hold, f"{type(out).__name__}: {out}", None))
            continue
        ok, what, res = out
        outcomes[what.split(":")[0]] = outcomes.get(what.split(":")[0], 0) + 1
        if not ok:
            failures.append((hold, what, res))
    a2a.record("outcomes", outcomes)
    a2a.record("elapsed_s", round(elapsed, 3))
    first = failures[0] if failures else None
    expected = "every re-attach ends within the budget with the terminal state or an error"
    a2a.check(not failures, expected=expected,
              actual=f"{len(failures)}/{tries} failed; first (task ending after "
                     f"{first[0] if first else 0}s): {first[1] if first else ''}",
              stream=first[2] if first else None)


async def _open_two(a2a: A2AContext, task_id: str) -> tuple[StreamCall, StreamCall]:
    first = a2a.client.resubscribe(task_id)
    second = a2a.client.resubscribe(task_id)
    await asyncio.gather(first.open(), second.open())
    return first, second


@contextlib.asynccontextmanager
async def _two_reattached(
    a2a: A2AContext, count: int
) -> AsyncIterator[tuple[EventStream, StreamCall, StreamCall]]:
    """A task sending n-0..n-{count-1} after a lead, its original stream and two concurrent
    re-attaches to it, answered before the lead ran out.

    R12 is about streams that are all attached while events flow. A re-attach answered after
    the chunks began makes the task's own snapshot/subscribe window (R10, ``reattach.race`` and
    ``reattach.no-gaps``) part of what is compared, so a loaded machine would blame a window
    bug on R12. Such a landing is tried again with a longer lead (only the load's shape
    changes); the last try is judged whatever its timing, since on a correct server any
    landing gives identical streams.
    """
    lead = await _lead(a2a)
    for attempt in range(1, _LANDING_TRIES + 1):
        sent = time.monotonic()
        async with a2a.client.stream(_numbered(count, 0.005, before=lead)) as orig:
            task_id = await a2a.live_task_id(orig)
            first, second = await _open_two(a2a, task_id)
            answered = time.monotonic() - sent
            try:
                if answered < lead or attempt == _LANDING_TRIES or lead >= _hold(a2a):
                    a2a.record("reattach_landing", {"tries": attempt, "lead_s": lead,
                                                    "answered_after_s": round(answered, 3)})
                    yield orig, first, second
                    return
            finally:
                await asyncio.gather(first.aclose(), second.aclose())
        lead = round(min(_hold(a2a), 2 * max(lead, answered)), 3)


def _sequence(res: StreamResult) -> list[str]:
    """Snapshot artifacts, then the later events, as comparable keys."""
    snap, _ = _split(res)
    keys = [f"artifact:n-{n}" for n in snap or []]
    for ev in res.events[1 if _snapshot(res) is not None else 0:]:
        if ev.artifact_update is not None:
            keys.append(f"artifact:{ev.artifact_update.artifact.artifact_id}")
        elif ev.kind in ("status", "task"):
            keys.append(f"{ev.kind}:{ev.state}")
        else:
            keys.append(ev.kind)
    return keys


def _refused(a2a: A2AContext, results: list[StreamResult]) -> None:
    """One re-attach streaming while a concurrent one is refused with an error code means
    the MAY capability (several streams per task) is absent. None of them streaming is not
    a refusal: re-attaching at all is required (``reattach.no-gaps``), so it fails here."""
    codes = [_code(r) for r in results]
    streaming = [r for r, c in zip(results, codes, strict=True) if c is None and r.events]
    a2a.require(bool(streaming),
                expected="re-attaching to the running task streams its events",
                actual="; ".join(f"re-attach {n + 1}: {r.describe()}"
                                 for n, r in enumerate(results)),
                stream=results[-1])
    if any(c is not None for c in codes):
        a2a.unsupported(f"a second concurrent re-attach was refused (codes {codes}); "
                        "several streams per task is a MAY (R12)")


@pytest.mark.a2a_requirement("reattach.subscribers-identical")
@pytest.mark.a2a_scripted
async def test_subscribers_identical(a2a: A2AContext) -> None:
    """R12: two concurrent re-attached streams get the same events in the same order."""
    a2a.needs_streaming()
    async with _two_reattached(a2a, 10) as (_, one, two):
        res_one, res_two = await asyncio.gather(one.collect(), two.collect())
    _refused(a2a, [res_one, res_two])
    for name, r in (("first", res_one), ("second", res_two)):
        # two streams that both stopped early (or got nothing) compare equal: not evidence
        a2a.check(any(ev.state == "completed" for ev in r.events),
                  expected=f"the {name} re-attached stream runs to the task's completed status",
                  actual=a2a.describe(r), stream=r)
    seq_one, seq_two = _sequence(res_one), _sequence(res_two)
    a2a.check(seq_one == seq_two,
              expected="both re-attached streams: the same artifacts and statuses, same order",
              actual=f"first {seq_one}\nsecond {seq_two}", stream=res_two)


@pytest.mark.a2a_requirement("reattach.close-one-keeps-others")
@pytest.mark.a2a_scripted
async def test_close_one_keeps_others(a2a: A2AContext) -> None:
    """R12: closing one stream of a task leaves the original and another re-attach untouched."""
    a2a.needs_streaming()
    count = 10
    async with _two_reattached(a2a, count) as (orig, leaving, staying):
        await asyncio.gather(leaving.next_event(), staying.next_event())
        _refused(a2a, [leaving.result(), staying.result()])
        await leaving.aclose()
        res, res_orig = await asyncio.gather(staying.collect(), orig.collect())
    for name, r in (("the other re-attached stream", res), ("the original stream", res_orig)):
        nums = sorted(set((_split(r)[0] or []) + _split(r)[1]))
        a2a.check(nums == list(range(count)) and any(ev.state == "completed" for ev in r.events),
                  expected=f"{name} still gets n-0..n-{count - 1} and completed after another "
                           "stream of the task closed",
                  actual=f"artifacts {nums}; {a2a.describe(r)}", stream=r)


async def _drop_after_first(a2a: A2AContext) -> None:
    # the task outlives the drop by many round trips (the server sees the drop within one)
    after = await delay(a2a, floor=0.1, rounds=10)
    text = script.build([{"status": "working"}, {"sleep": after},
                         {"artifact": {"id": "a1", "text": "done"}}, {"status": "completed"}])
    async with a2a.client.stream(text) as orig:
        task_id = await a2a.live_task_id(orig)
    last = await poll_terminal(a2a, task_id, a2a.budget.idle)
    a2a.verify(verifiers.task_state(
        last, TERMINAL_STATES - {"canceled"},
        f"a terminal, non-canceled state within {a2a.budget.idle:.1f}s after the client "
        "dropped the stream"))


@pytest.mark.a2a_requirement("reattach.disconnect-keeps-task")
@pytest.mark.a2a_scripted
async def test_disconnect_keeps_task(a2a: A2AContext) -> None:
    """R12: the task's life does not depend on its stream (bugs #19: a2a-python, kagent)."""
    a2a.needs_streaming()
    await _drop_after_first(a2a)


@pytest.mark.a2a_requirement("reattach.disconnect-keeps-task-v03")
@pytest.mark.a2a_scripted
async def test_disconnect_keeps_task_v03(a2a: A2AContext) -> None:
    """R11: 0.3 has tasks/resubscribe for lost connections, so the task must outlive one."""
    a2a.needs_streaming()
    await _drop_after_first(a2a)


@pytest.mark.a2a_requirement("reattach.interrupted-snapshot")
@pytest.mark.a2a_scripted
async def test_interrupted_snapshot(a2a: A2AContext) -> None:
    """R10: input-required is not terminal: re-attach answers with the Task (a2a-js #540)."""
    a2a.needs_streaming()
    text = script.build([{"status": "working"}, {"status": "input-required", "text": "more?"}])
    async with a2a.client.stream(text) as orig:
        ev = await orig.events_until(lambda e: e.state == "input-required")
        a2a.require(ev is not None and bool(ev.task_id),
                    expected="the task reaches input-required",
                    actual=orig.result().describe(), stream=orig.result())
        assert ev is not None and ev.task_id is not None
        async with a2a.client.resubscribe(ev.task_id) as sub:
            first = await sub.next_event()
            res = sub.result()
    a2a.check(first is not None and first.kind == "task" and first.state == "input-required",
              expected="the re-attached stream promptly starts with the Task in input-required",
              actual=f"first event {first.describe() if first else 'none'}; {res.describe()}",
              stream=res)
