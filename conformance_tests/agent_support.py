"""Shared by the black-box scenarios (``test_agent_*.py``, and those of the other families that
judge ``a2a.prompt``'s stream read to its end): any agent, a URL and two prompts.

A black-box agent's answer is unknown in advance, so these scenarios judge what any stream can
show (states, terminal, chunking, ids) and compare streams of one task with each other on
event *content* (no numbered chunks: an LLM's text is the only identity an event has). Each
stream is read once per target and dialect and judged by several requirements, one per test,
so the suite stays fast against agents that take seconds per answer. The exchanges of that
read is a shared run (:mod:`conformance_tests.shared_runs`): every test that judges it holds
its evidence in its recording (``--a2a-record``) and root-cause tally.

Verdicts follow "no pass without evidence": a scenario that needed a running task and got one
that ended first is ``unsupported`` with "not observable this run: the task ended in N ms".
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, NoReturn

import pytest

from conformance_tests.shared_runs import SharedRuns
from pytest_a2a.judge.context import A2AContext
from pytest_a2a.wire.models import TERMINAL_STATES, StreamEvent
from pytest_a2a.wire.results import CallResult, StreamResult
from pytest_a2a.wire.stream import EventStream

Which = Literal["prompt", "long"]
#: parametrize value: every stream judge runs on the short and on the long prompt
PROMPTS: tuple[Which, ...] = ("prompt", "long")
#: content of an event, comparable across streams of one task (no timestamps, no ids)
Key = tuple[object, ...]


def prompt_text(a2a: A2AContext, which: Which) -> str:
    return a2a.prompt if which == "prompt" else a2a.needs_long_prompt()


def not_observable(a2a: A2AContext, why: str) -> NoReturn:
    """The evidence this scenario needs did not occur this run: never a pass."""
    a2a.unsupported(f"not observable this run: {why}")


@dataclass(frozen=True)
class Answer:
    """One prompt's stream, read to its end, and GetTask right after it."""

    res: StreamResult
    got: CallResult | None  # None: the stream named no task

    @property
    def duration(self) -> float:
        """Request to terminal status (seconds); the stream's end when there is none."""
        terminal = self.res.terminal_events()
        return terminal[0].t if terminal else self.res.end_t


ANSWERS: SharedRuns[Answer] = SharedRuns()


def answer_key(a2a: A2AContext, text: str) -> tuple[str, str, str]:
    return (a2a.url, a2a.dialect, text)


async def read_answer(a2a: A2AContext, text: str) -> Answer:
    """Send ``text``, read its stream to the end, then GetTask."""
    res = await a2a.client.stream_collect(text)
    return Answer(res, await a2a.client.get_task(res.task_id) if res.task_id else None)


async def answer(a2a: A2AContext, which: Which) -> Answer:
    """The stream of ``which`` prompt for this target and dialect (a shared run: read once
    per process, its exchanges shown to every test that judges it; the long prompt's may have
    been read beside the sessions of :mod:`conformance_tests.agent_sessions`)."""
    a2a.needs_streaming()
    text = prompt_text(a2a, which)
    return await ANSWERS.get(a2a, answer_key(a2a, text), lambda: read_answer(a2a, text))


def is_message_answer(res: StreamResult) -> bool:
    """A message answer: exactly one Message event (any task event makes it a task stream)."""
    return [ev.kind for ev in res.events] == ["message"]


def task_stream(a2a: A2AContext, res: StreamResult, *, terminal: bool = True) -> None:
    """Precondition of every task-stream judge: the answer is a task stream (a Message answer
    is lawful and has none), and, with ``terminal``, it reached a terminal state."""
    if is_message_answer(res):
        a2a.unsupported("the agent answered with one Message: there is no task stream to judge")
    a2a.require(res.task_id is not None, expected="a task stream (events naming their task)",
                actual=res.describe(), stream=res)
    if terminal:
        a2a.require(bool(res.terminal_events()),
                    expected="the answer's stream reaches a terminal state",
                    actual=res.describe(), stream=res)


def upto_terminal(events: Sequence[StreamEvent]) -> list[StreamEvent]:
    """The events up to and including the first terminal status (a final snapshot dropped)."""
    out: list[StreamEvent] = []
    for ev in events:
        out.append(ev)
        if ev.kind == "status" and ev.is_terminal:
            break
    return out


def key(ev: StreamEvent) -> Key:
    """What an event says, without ids or timestamps: equal keys = the same event."""
    if ev.artifact_update is not None:
        au = ev.artifact_update
        return ("artifact", au.artifact.artifact_id, bool(au.append), bool(au.last_chunk),
                au.artifact.text)
    if ev.status_update is not None:
        msg = ev.status_update.status.message
        return ("status", ev.state, msg.text if msg is not None else "")
    if ev.message is not None:
        return ("message", ev.message.text)
    if ev.task is not None:
        return ("task", ev.state)
    return (ev.kind, ev.error.code if ev.error is not None else ev.data[:80])


def show(k: Key) -> str:
    if k[0] == "artifact":
        return f"artifact {k[1]}{' +' if k[2] else ''}{' last' if k[3] else ''} {str(k[4])[:24]!r}"
    return " ".join(str(part)[:30] for part in k if part != "")


async def running_task(a2a: A2AContext, stream: EventStream) -> str:
    """Read the long prompt's stream until it names its task and shows progress (a first
    artifact chunk or message after the first event), with no terminal state yet.

    Not observable (never a pass) when the task ended before that: the long prompt was too
    short for this agent, or its events came only at the end (judged by
    ordering.incremental-delivery, not here). Unsupported when the agent answered with one
    Message (lawful, as for every task-stream judge: :func:`task_stream`).
    """
    first = await stream.events_until(lambda e: e.task_id)
    if first is None and is_message_answer(stream.result()):  # lawful: no task to act on
        a2a.unsupported("the agent answered the long prompt with one Message: there is no "
                        "running task to act on")
    a2a.require(first is not None, expected="the long prompt's stream names its task",
                actual=stream.result().describe(), stream=stream.result())
    assert first is not None and first.task_id is not None
    if not first.is_terminal:
        await stream.events_until(lambda e: e.is_terminal or e.artifact_update is not None
                                  or (e.index > first.index and e.kind in ("message", "status")))
    ended = next((e for e in stream.events if e.is_terminal), None)
    if ended is not None:
        not_observable(a2a, f"the task ended in {ended.t * 1000:.0f} ms, before the suite could "
                       "act on it while it ran (use a longer --a2a-long-prompt)")
    return first.task_id


async def poll_terminal(a2a: A2AContext, task_id: str, within: float) -> CallResult:
    """GetTask until a terminal state or ``within`` seconds (bounded polling)."""
    until = time.monotonic() + within
    last = await a2a.client.get_task(task_id)
    while last.state not in TERMINAL_STATES and time.monotonic() < until:
        await asyncio.sleep(0.02)  # the polling interval (each poll is one cheap call)
        last = await a2a.client.get_task(task_id)
    return last


def prompts(*which: Which) -> pytest.MarkDecorator:
    """Parametrize a scenario over the prompts it judges (default: both)."""
    return pytest.mark.parametrize("which", list(which or PROMPTS))
