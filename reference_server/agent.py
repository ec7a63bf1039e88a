"""The `a2a-conformance/1` interpreter: performs a parsed script through an :class:`Emitter`.

Runs as its own asyncio task, detached from any request, so a client that goes away never
stops it; only cancel does. What happens to an exception in the agent (a ``raise`` step) is
decided here: normally a ``failed`` status carrying the error text.
"""

from __future__ import annotations

import asyncio
import weakref

from pytest_a2a import script as contract
from reference_server.answer import ARTIFACT_ID, ARTIFACT_NAME, compose
from reference_server.broker import End
from reference_server.emitter import Emitter, TaskEnded


class AgentBug(Exception):
    """What a ``raise`` step raises: an exception in agent code, as a real bug would."""


async def run_agent(emitter: Emitter, parsed: contract.Script | None, text: str) -> None:
    """Perform ``parsed`` (``None`` = plain text: answer it), then complete if nothing ended it."""
    try:
        if parsed is None:
            await _answer(emitter, text)
            return
        for step in parsed.steps:
            if await _perform(emitter, step):
                return
        await emitter.status("completed")
    except TaskEnded:
        return
    except Exception as exc:  # an agent bug: the server must still answer (R20)
        await _on_agent_exception(emitter, exc)


#: variant answers-in-turn: one plain-text answer at a time per server (its event loop)
_TURNS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
    weakref.WeakKeyDictionary())


async def _answer(emitter: Emitter, prompt: str) -> None:
    """Plain text: a streamed answer, through the same emitter (so every fault applies)."""
    if not emitter.options.variant("answers-in-turn"):
        await _stream_answer(emitter, prompt)
        return
    turn = _TURNS.setdefault(asyncio.get_running_loop(), asyncio.Lock())
    async with turn:  # asyncio.Lock wakes its waiters in arrival order
        await _stream_answer(emitter, prompt)


async def _stream_answer(emitter: Emitter, prompt: str) -> None:
    answer = compose(prompt)
    await emitter.status("working")
    clock = asyncio.get_running_loop()
    start, last = clock.time(), len(answer.chunks) - 1
    for i, chunk in enumerate(answer.chunks):
        # "generating" chunk i: a steady rate (a late wake-up does not delay the rest); a
        # cancel cancels this asyncio task, so the wait ends at once
        await asyncio.sleep(max(0.0, start + (i + 1) * answer.pause - clock.time()))
        name = ARTIFACT_NAME if i == 0 else None
        await emitter.artifact(ARTIFACT_ID, chunk, append=i > 0, last=i == last, name=name)
    await emitter.status("completed")


async def _perform(emitter: Emitter, step: contract.Step) -> bool:
    """One step; True when it ended the script (terminal or interrupted status)."""
    match step:
        case contract.Status(state=state, text=text):
            await emitter.status(state, text, scripted=True)
            return step.ends_script
        case contract.Artifact(id=aid, text=text, append=append, last=last, name=name):
            await emitter.artifact(aid, text, append=append, last=last, name=name)
        case contract.Message(text=text):
            await emitter.progress_message(text)
        case contract.Sleep(seconds=seconds) | contract.WaitCancel(seconds=seconds):
            await asyncio.sleep(seconds)  # cancel cancels this asyncio task: wakes at once
        case contract.Burst(id=aid, count=count):
            for i in range(count):
                await emitter.artifact(
                    aid, step.chunk(i), append=i > 0, last=i == count - 1, name=None
                )
        case contract.Raise(text=text):
            raise AgentBug(text)
        case contract.Reply():
            raise AgentBug("a reply step cannot run inside a task")
    return False


async def _on_agent_exception(emitter: Emitter, exc: Exception) -> None:
    options, record = emitter.options, emitter.record
    if options.fault("exception-hangs"):
        return  # nothing emitted, nothing closed: every stream of the task hangs
    if options.fault("exception-empty-200"):
        if record.state == "submitted":
            record.set_state("working")
        record.broker.finish(End("error"))  # streams end with no terminal status
        return
    try:
        await emitter.status("failed", f"agent raised {type(exc).__name__}: {exc}")
    except TaskEnded:
        pass
