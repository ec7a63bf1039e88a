"""The black-box sessions that act on a running task (re-attach, drop, close one stream,
cancel), and how they are run: alone, or side by side once the agent shows, for those very
tasks, that it runs them in parallel.

Each session opens the long prompt's stream, waits until its task runs
(:func:`agent_support.running_task`), then acts on it. Each is a shared run
(:mod:`conformance_tests.shared_runs`) that several scenarios judge. One after another they
cost an answer's length each, most of the suite's time against a fast agent, so the first test
that needs one runs every session of its target and dialect together (:class:`Batch`), each on
its own detached tape, shown later to each test that judges it. A session acts on its task
only once every session's task is running and none has ended: the agent has then run these
tasks in parallel, and each session acts on a task running as it would alone. The long
prompt's plain answer (``agent_support.answer``) is read beside them from then on. Tasks start in
two stages, so an agent that runs tasks one after another (fasta2a does) shows it with one task
waiting: the batch is abandoned, its streams read to their end (nothing is left queued at the
agent), and each test performs its session alone, live. A session that missed a precondition
in the batch is not kept either: its test performs it, and is judged on what it sees. Side by
side the agent carries ten streams at once: a scenario that fails on a session (or the plain
answer) read there is judged again on one performed alone
(:func:`shared_runs.judged_alone_if_failing`), so a load bug is not blamed on it.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from conformance_tests import agent_support, shared_runs
from conformance_tests.agent_support import poll_terminal, running_task
from conformance_tests.shared_runs import SharedRuns
from pytest_a2a.judge import requirements
from pytest_a2a.judge.context import A2AContext
from pytest_a2a.wire import observe
from pytest_a2a.wire.gather import gather_bounded
from pytest_a2a.wire.results import CallResult, StreamResult
from pytest_a2a.wire.stream import EventStream
from pytest_a2a.wire.transport import StreamCall

T = TypeVar("T")


@dataclass(frozen=True)
class Session:
    """Re-attach: the original stream and two re-attached ones, all read to their end."""

    task_id: str
    original: StreamResult
    attached: tuple[StreamResult, StreamResult]
    #: artifact ids the original stream had announced when the re-attaches were sent
    announced: frozenset[str]


@dataclass(frozen=True)
class DropRun:
    """The original stream dropped while the task ran, then GetTask until it ended."""

    task_id: str
    dropped: float  # the original stream's time when it was dropped
    last: CallResult  # GetTask: terminal, or the last answer within the budget


@dataclass(frozen=True)
class CloseRun:
    """Two re-attached streams, one closed; the other and the original read to their end."""

    refused: tuple[int | None, ...]  # error codes of refused re-attaches (then nothing was closed)
    ended_early: bool  # the task ended before a stream could be closed
    staying: StreamResult | None  # None when refused or ended early
    original: StreamResult | None


@dataclass(frozen=True)
class CancelRun:
    """CancelTask while the original and a re-attached stream are open."""

    task_id: str
    cancel: CallResult
    sent_at: float  # the original stream's time when cancel was sent
    got: CallResult  # GetTask right after cancel answered
    streams: tuple[tuple[str, StreamResult], ...]


#: how a session waits, once its task runs, before acting on it (alone: not at all)
Gate = Callable[[EventStream], Awaitable[None]]
Act = Callable[[A2AContext, StreamCall, str], Awaitable[T]]


async def _alone(stream: EventStream) -> None:
    return None


async def _perform(a2a: A2AContext, act: Act[T], gate: Gate) -> T:
    async with a2a.client.stream(a2a.needs_long_prompt()) as orig:
        task_id = await running_task(a2a, orig)
        await gate(orig)
        return await act(a2a, orig, task_id)


async def _reattach(a2a: A2AContext, orig: StreamCall, task_id: str) -> Session:
    announced = frozenset(ev.artifact_update.artifact.artifact_id or ""
                          for ev in orig.events if ev.artifact_update is not None)
    one, two = a2a.client.resubscribe(task_id), a2a.client.resubscribe(task_id)
    try:
        await asyncio.gather(one.open(), two.open())
        res_one, res_two, res_orig = await asyncio.gather(
            one.collect(), two.collect(), orig.collect())
    finally:
        await asyncio.gather(one.aclose(), two.aclose())
    return Session(task_id, res_orig, (res_one, res_two), announced)


async def _drop(a2a: A2AContext, orig: StreamCall, task_id: str) -> DropRun:
    dropped = orig.now()
    await orig.aclose()
    last = await poll_terminal(a2a, task_id, max(0.0, a2a.budget.stream - orig.now()))
    return DropRun(task_id, dropped, last)


async def _close_one(a2a: A2AContext, orig: StreamCall, task_id: str) -> CloseRun:
    leaving, staying = a2a.client.resubscribe(task_id), a2a.client.resubscribe(task_id)
    try:
        await asyncio.gather(leaving.open(), staying.open())
        await asyncio.gather(leaving.next_event(), staying.next_event())
        refused = tuple(r.error.code for r in (leaving, staying) if r.error is not None)
        if refused or any(ev.is_terminal for ev in orig.events):
            return CloseRun(refused, not refused, None, None)
        await leaving.aclose()
        res, res_orig = await asyncio.gather(staying.collect(), orig.collect())
    finally:
        await asyncio.gather(leaving.aclose(), staying.aclose())
    return CloseRun((), False, res, res_orig)


async def _cancel(a2a: A2AContext, orig: StreamCall, task_id: str) -> CancelRun:
    async with a2a.client.resubscribe(task_id) as sub:
        await sub.next_event()
        streams: list[tuple[str, EventStream]] = [("the original stream", orig)]
        if sub.error is None and sub.is_open and sub.events:
            streams.append(("the re-attached stream", sub))
        sent_at = orig.now()
        cancel = await a2a.client.cancel(task_id)
        got = await a2a.client.get_task(task_id)
        results = await asyncio.gather(*(s.collect() for _, s in streams))
    named = tuple((name, r) for (name, _), r in zip(streams, results, strict=True))
    return CancelRun(task_id, cancel, sent_at, got, named)


@dataclass(frozen=True)
class _Kind(Generic[T]):
    name: str
    runs: SharedRuns[T]
    act: Act[T]
    #: the requirements judged on it: it runs in a batch only where one of them applies
    judged_by: tuple[str, ...]


REATTACH = _Kind("re-attach", SharedRuns[Session](), _reattach, (
    "reattach.snapshot-first", "reattach.no-gaps", "reattach.subscribers-identical"))
DROP = _Kind("dropped stream", SharedRuns[DropRun](), _drop, (
    "reattach.disconnect-keeps-task", "reattach.disconnect-keeps-task-v03"))
CLOSE_ONE = _Kind("closed stream", SharedRuns[CloseRun](), _close_one,
                  ("reattach.close-one-keeps-others",))
CANCEL = _Kind("cancel", SharedRuns[CancelRun](), _cancel, (
    "cancel.prompt", "cancel.streams-notified", "cancel.get-agrees"))
_KINDS: tuple[_Kind[Any], ...] = (REATTACH, DROP, CLOSE_ONE, CANCEL)
#: target and dialect -> how their batch went (tried once: abandoned, sessions run alone)
_TRIED: dict[Hashable, str] = {}


async def session(a2a: A2AContext, kind: _Kind[T]) -> T:
    """``kind``'s session for this target and dialect: run ahead in a batch with the others,
    or alone, live; shown to each later test that judges it, which records how it ran."""
    a2a.needs_streaming()
    a2a.needs_long_prompt()
    key = (a2a.url, a2a.dialect)
    if key not in kind.runs and key not in _TRIED:
        _TRIED[key] = await _ahead(a2a, key)
    if kind.runs.beside(key):
        how = _TRIED.get(key, "")
    elif shared_runs.alone():
        how = "alone, in place of the one run beside the other sessions"
    else:
        how = f"alone{'; ' + _TRIED[key] if _TRIED.get(key) else ''}"
    value = await kind.runs.get(a2a, key, lambda: _perform(a2a, kind.act, _alone))
    a2a.record("session", how)
    return value


@functools.cache
def _applies(rid: str, dialect: str) -> bool:
    req = requirements.load().get(rid)
    return req is not None and req.applies_to(dialect)


class _Abandoned(Exception):
    """The agent did not run the batch's tasks side by side: each session runs alone."""


class Batch:
    """Where the sessions of one batch meet: each acts only once every task runs."""

    def __init__(self, size: int, first: int) -> None:
        self.size, self.first = size, first
        self.running: list[EventStream] = []
        self.first_stage = asyncio.Event()  # its tasks all run (or the batch is over)
        self.decided = asyncio.Event()
        self.ok = False
        self.why = ""

    def abandon(self, why: str) -> None:
        if not self.decided.is_set():
            self.why = why
            self.decided.set()
            self.first_stage.set()

    async def start(self, index: int) -> None:
        """Sessions past the first stage start once its tasks all run."""
        if index >= self.first:
            await self.first_stage.wait()
            if not self.ok and self.decided.is_set():
                raise _Abandoned(self.why)

    async def gate(self, stream: EventStream) -> None:
        """This session's task runs: wait until every session's does, then act; or, if
        one ends first, read this stream to its end and give up."""
        self.running.append(stream)
        if any(ev.is_terminal for s in self.running for ev in s.events):
            self.abandon("a task ended before the others ran: the agent may run them in turn")
        elif len(self.running) == self.size:
            self.ok = True
            self.decided.set()
        elif len(self.running) == self.first:
            self.first_stage.set()
        if not self.decided.is_set():
            ended = asyncio.ensure_future(stream.events_until(lambda e: e.is_terminal))
            decided = asyncio.ensure_future(self.decided.wait())
            try:
                await asyncio.wait((ended, decided), return_when=asyncio.FIRST_COMPLETED)
            finally:
                ended.cancel()
                decided.cancel()
            if not ended.cancelled() and ended.done() and ended.result() is None:
                self.abandon("no decision within the idle limit: a task neither ended nor let "
                             "the others run")
            self.abandon("a task ended while another had not yet run: the agent runs them "
                         "in turn")
        if not self.ok:
            await stream.collect()
            raise _Abandoned(self.why)


async def _ahead(a2a: A2AContext, key: Hashable) -> str:
    """Run every applicable session not yet kept side by side, each on its own tape, and the
    long prompt's plain answer beside them once they all run; says how that went."""
    kinds = [k for k in _KINDS if key not in k.runs
             and any(_applies(rid, a2a.dialect) for rid in k.judged_by)]
    if len(kinds) < 2:
        return ""
    batch = Batch(len(kinds), first=2)

    async def one(index: int, kind: _Kind[Any]) -> None:
        try:
            await batch.start(index)
            with observe.detached_tape() as tape:
                value = await _perform(a2a.on_behalf(), kind.act, batch.gate)
        except BaseException:
            batch.abandon("a session did not get a running task")
            raise
        kind.runs.keep(key, value, tape)

    text = a2a.needs_long_prompt()
    answer = agent_support.answer_key(a2a, text)

    async def plain() -> None:
        """The long answer read whole (the stream judges' and the cancel's reference), started
        once the sessions' tasks all run: the agent has shown it runs them in parallel."""
        await batch.decided.wait()
        if not batch.ok:
            raise _Abandoned(batch.why)
        with observe.detached_tape() as tape:
            value = await agent_support.read_answer(a2a.on_behalf(), text)
        agent_support.ANSWERS.keep(answer, value, tape)

    extra = [] if answer in agent_support.ANSWERS else [plain()]
    await gather_bounded([*(one(i, k) for i, k in enumerate(kinds)), *extra],
                         timeout=a2a.budget.stream + a2a.budget.close_grace)
    if batch.ok:
        return (f"run together with the {', '.join(k.name for k in kinds)} sessions (the agent "
                "ran their tasks in parallel)")
    return f"the sessions did not run side by side ({batch.why or 'no decision'})"
