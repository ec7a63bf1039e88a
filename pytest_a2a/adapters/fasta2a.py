"""`a2a-conformance/1` agent on fasta2a 2.x (a ``Worker``), and a server to run it.

fasta2a splits a server into ``Storage`` (task records), ``Broker`` (schedules run/cancel
operations to workers, owns the event bus that feeds SSE streams) and a ``Worker`` you write.
This adapter is that worker: ``run_task`` performs the script with ``publish_status`` /
``publish_artifact`` (what streams see) and ``storage.update_task`` (what ``tasks/get`` sees),
on the in-memory storage and broker. Plain text gets an LLM-like streamed answer
(``_answer``): the same calls, one appended artifact chunk at a time.

fasta2a speaks one JSON-RPC endpoint at ``/``: A2A 1.0 method names (``SendStreamingMessage``)
with 1.0 enums, and its own historical names (``message/stream``) with lowercase enums but
1.0-shaped objects. Its card declares only the JSON-RPC 1.0 interface.

Run it::

    python -m pytest_a2a.adapters.fasta2a --port 0      # prints "listening on http://127.0.0.1:PORT"
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import anyio
from fasta2a import FastA2A, Skill, Worker
from fasta2a.broker import InMemoryBroker
from fasta2a.schema import (
    Artifact,
    Message,
    Part,
    TaskIdParams,
    TaskSendParams,
    TaskState,
)
from fasta2a.storage import InMemoryStorage

from pytest_a2a import script
from pytest_a2a.adapters import _answer, _serve

SKILL = Skill(
    id="a2a-conformance",
    name="a2a-conformance/1 scripts",
    description="Performs an a2a-conformance/1 script sent as the first text part (pytest-a2a).",
    tags=["testing", "conformance"],
    input_modes=["text/plain"],
    output_modes=["text/plain"],
)


class _Canceled(Exception):
    """A cancel reached the running task: stop the script, emit nothing more."""


@dataclass
class ConformanceWorker(Worker[list[Message]]):
    """Runs one `a2a-conformance/1` script per task (one task per message in fasta2a)."""

    _cancels: dict[str, anyio.Event] = field(default_factory=dict, init=False, repr=False)

    async def run_task(self, params: TaskSendParams) -> None:
        task_id, context_id = params["id"], params["context_id"]
        texts = [p["text"] for p in params["message"]["parts"] if "text" in p]
        text = texts[0] if texts else ""
        self._cancels[task_id] = anyio.Event()
        try:
            parsed = script.parse(text)
            if parsed is not None and parsed.is_reply:
                raise script.ScriptError(
                    '"reply" is not supported: fasta2a creates a task for every message, '
                    "so an answer that is one Message and no task cannot be produced"
                )
        except script.ScriptError as exc:
            await self._status(task_id, context_id, "rejected", str(exc), end=True)
            return
        try:
            if parsed is None:  # plain text: an LLM-like streamed answer
                await self._answer(task_id, context_id, text)
                return
            await self._run(task_id, context_id, parsed)
        except _Canceled:
            return
        finally:
            self._cancels.pop(task_id, None)

    async def cancel_task(self, params: TaskIdParams) -> None:
        # fasta2a publishes the stored state and closes the stream after this returns.
        task = await self.storage.load_task(params["id"])
        if task is not None and task["status"]["state"] not in script.TERMINAL_STATES:
            await self.storage.update_task(params["id"], state="canceled")
        if (event := self._cancels.get(params["id"])) is not None:
            event.set()

    def build_message_history(self, history: list[Message]) -> list[Any]:
        return list(history)

    def build_artifacts(self, result: Any) -> list[Artifact]:
        return [Artifact(artifact_id=str(uuid.uuid4()), parts=[Part(text=str(result))])]

    async def _answer(self, task_id: str, context_id: str, prompt: str) -> None:
        """Working, the answer's chunks as one appended artifact, completed; a cancel ends the
        wait between chunks (fasta2a does not cancel ``run_task`` itself)."""
        answer = _answer.compose(prompt)
        canceled = self._cancels[task_id]

        async def wait(seconds: float) -> None:
            with anyio.move_on_after(seconds):
                await canceled.wait()
            if canceled.is_set():
                raise _Canceled

        await self._status(task_id, context_id, "working")
        last = len(answer.chunks) - 1
        async for i, chunk in _answer.schedule(answer, wait, anyio.current_time):
            name = _answer.ARTIFACT_NAME if i == 0 else None
            step = script.Artifact(_answer.ARTIFACT_ID, chunk, i > 0, i == last, name)
            await self._artifacts(task_id, context_id, step)
        await wait(0)  # a cancel during the last chunk: the stored canceled must stay
        await self._status(task_id, context_id, "completed", end=True)

    async def _run(self, task_id: str, context_id: str, parsed: script.Script) -> None:
        state: TaskState = "working"
        for step in parsed.steps:
            if isinstance(step, script.Status):
                await self._status(task_id, context_id, step.state, step.text, end=step.ends_script)
                if step.ends_script:
                    return
                state = step.state
            elif isinstance(step, script.Artifact):
                await self._artifacts(task_id, context_id, step)
            elif isinstance(step, script.Message):
                await self._status(task_id, context_id, state, step.text)
            elif isinstance(step, script.Burst):
                for i in range(step.count):
                    chunk = script.Artifact(
                        step.id, step.chunk(i), append=i > 0, last=i == step.count - 1
                    )
                    await self._artifacts(task_id, context_id, chunk)
            elif isinstance(step, script.Sleep):
                await anyio.sleep(step.seconds)
            elif isinstance(step, script.WaitCancel):
                with anyio.move_on_after(step.seconds):
                    await self._cancels[task_id].wait()
                if self._cancels[task_id].is_set():
                    raise _Canceled
            elif isinstance(step, script.Raise):
                raise RuntimeError(step.text)
        # fasta2a never completes a task by itself: a task left `working` keeps its stream open.
        await self._status(task_id, context_id, "completed", end=True)

    async def _status(
        self,
        task_id: str,
        context_id: str,
        state: str,
        text: str | None = None,
        *,
        end: bool = False,
    ) -> None:
        """Record and publish a status; ``end`` closes the stream (terminal/interrupted).

        Closing here rather than leaving it to fasta2a keeps the status message: the
        framework's own end-of-stream status carries none.
        """
        message = None
        if text is not None:
            message = Message(
                role="agent",
                parts=[Part(text=text)],
                message_id=str(uuid.uuid4()),
                task_id=task_id,
                context_id=context_id,
            )
        st: TaskState = state  # script states are fasta2a states
        await self.storage.update_task(task_id, st, new_messages=[message] if message else None)
        await self.publish_status(task_id, context_id, st, message)
        if end:
            await self.broker.event_bus.close(task_id)

    async def _artifacts(self, task_id: str, context_id: str, step: script.Artifact) -> None:
        """Publish one chunk; keep the stored artifact equal to the reassembled chunks.

        fasta2a's ``Storage`` can add artifacts but not extend one, so an ``append`` chunk
        extends the record ``load_task`` returned (with ``InMemoryStorage``, the live one).
        """
        artifact = Artifact(artifact_id=step.id, parts=[Part(text=step.text)])
        if step.name is not None:
            artifact["name"] = step.name
        await self.publish_artifact(
            task_id, context_id, artifact, append=step.append, last_chunk=step.last
        )
        task = await self.storage.load_task(task_id)
        assert task is not None
        stored = [a for a in task.get("artifacts", []) if a["artifact_id"] == step.id]
        if step.append and stored:
            stored[-1]["parts"].append(Part(text=step.text))
        else:
            stored_artifact = Artifact(artifact_id=step.id, parts=[Part(text=step.text)])
            if step.name is not None:
                stored_artifact["name"] = step.name  # GetTask names it as the stream did
            await self.storage.update_task(
                task_id, task["status"]["state"], new_artifacts=[stored_artifact]
            )


def create_app(base_url: str) -> FastA2A:
    """The ASGI app: fasta2a with in-memory storage and broker, and this worker."""
    storage: InMemoryStorage[list[Message]] = InMemoryStorage()
    broker = InMemoryBroker()
    worker = ConformanceWorker(broker=broker, storage=storage)

    @asynccontextmanager
    async def lifespan(app: FastA2A) -> AsyncIterator[None]:
        async with app.task_manager, worker.run():
            yield

    return FastA2A(
        storage=storage,
        broker=broker,
        name="pytest-a2a conformance agent (fasta2a)",
        url=f"{base_url}/",
        description="Runs a2a-conformance/1 scripts on a fasta2a Worker.",
        skills=[SKILL],
        default_input_modes=["text/plain"],
        default_output_modes=["text/plain"],
        docs_url=None,
        lifespan=lifespan,
    )


def main(argv: list[str] | None = None) -> None:
    _serve.run("python -m pytest_a2a.adapters.fasta2a", create_app, argv)


if __name__ == "__main__":
    main()
