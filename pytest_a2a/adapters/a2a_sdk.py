"""`a2a-conformance/1` agent on the official Python SDK (a2a-sdk 1.x), and a server to run it.

The whole adapter is an ordinary :class:`AgentExecutor`: it reads the script from the user
message and performs each step with the SDK's public helpers (``TaskUpdater``,
``new_task_from_user_message``, ``new_text_message``); plain text gets an LLM-like streamed
answer (``_answer``) as appended ``add_artifact`` chunks. Everything else -- task store, event
queues, SSE framing, the three wire dialects -- is the SDK's, so the suite judges the SDK.

Run it::

    python -m pytest_a2a.adapters.a2a_sdk --port 0      # prints "listening on http://127.0.0.1:PORT"

The server mounts JSON-RPC 1.0 at ``/`` and HTTP+JSON 1.0 under the root, both with the SDK's
v0.3 compatibility layer switched on (v0.3 JSON-RPC on the same ``/`` endpoint, told apart by
method name; v0.3 REST under ``/v1/``), and serves the card at
``/.well-known/agent-card.json``.
"""

from __future__ import annotations

import asyncio

from a2a.helpers import (
    get_text_parts,
    new_task_from_user_message,
    new_text_message,
    new_text_part,
)
from a2a.server.agent_execution import AgentExecutor, RequestContext
from a2a.server.events import EventQueue
from a2a.server.request_handlers import DefaultRequestHandler
from a2a.server.routes import (
    create_agent_card_routes,
    create_jsonrpc_routes,
    create_rest_routes,
)
from a2a.server.tasks import InMemoryTaskStore, TaskUpdater
from a2a.types import (
    AgentCapabilities,
    AgentCard,
    AgentInterface,
    AgentSkill,
    Message,
    Role,
    TaskState,
)
from starlette.applications import Starlette

from pytest_a2a import script
from pytest_a2a.adapters import _answer, _serve

# Script states (v0.3 spelling) -> SDK enum.
STATES: dict[str, TaskState] = {
    "working": TaskState.TASK_STATE_WORKING,
    "input-required": TaskState.TASK_STATE_INPUT_REQUIRED,
    "auth-required": TaskState.TASK_STATE_AUTH_REQUIRED,
    "completed": TaskState.TASK_STATE_COMPLETED,
    "failed": TaskState.TASK_STATE_FAILED,
    "canceled": TaskState.TASK_STATE_CANCELED,
    "rejected": TaskState.TASK_STATE_REJECTED,
}

SKILL = AgentSkill(
    id="a2a-conformance",
    name="a2a-conformance/1 scripts",
    description="Performs an a2a-conformance/1 script sent as the first text part (pytest-a2a).",
    tags=["testing", "conformance"],
)


class ConformanceExecutor(AgentExecutor):
    """Runs one `a2a-conformance/1` script per incoming message."""

    async def execute(self, context: RequestContext, event_queue: EventQueue) -> None:
        message = context.message
        assert message is not None  # execute() is only called for SendMessage requests
        texts = get_text_parts(message.parts)
        text = texts[0] if texts else ""
        try:
            parsed = script.parse(text)
        except script.ScriptError as exc:
            updater = await self._task(context, event_queue)
            await updater.reject(updater.new_agent_message([new_text_part(str(exc))]))
            return
        if parsed is None:  # plain text: an LLM-like streamed answer
            await self._answer(text, await self._task(context, event_queue))
            return
        if parsed.is_reply:
            reply = parsed.steps[0]
            assert isinstance(reply, script.Reply)
            # A Message and no task: only legal when this message does not continue a task;
            # otherwise the SDK itself refuses it (what the suite observes).
            await event_queue.enqueue_event(
                new_text_message(
                    reply.text,
                    context_id=context.context_id,
                    task_id=None if context.current_task is None else context.task_id,
                    role=Role.ROLE_AGENT,
                )
            )
            return
        updater = await self._task(context, event_queue)
        await self._run(parsed, updater)

    async def cancel(self, context: RequestContext, event_queue: EventQueue) -> None:
        # Called by the SDK before it cancels the running execute(); a wait_cancel step ends
        # with that CancelledError. Publishing CANCELED here is the SDK's documented duty.
        assert context.task_id is not None and context.context_id is not None
        await TaskUpdater(event_queue, context.task_id, context.context_id).cancel()

    @staticmethod
    async def _task(context: RequestContext, event_queue: EventQueue) -> TaskUpdater:
        """Create the task (first message) or continue the current one; return its updater."""
        if context.current_task is None:
            assert context.message is not None
            await event_queue.enqueue_event(new_task_from_user_message(context.message))
        assert context.task_id is not None and context.context_id is not None
        return TaskUpdater(event_queue, context.task_id, context.context_id)

    @staticmethod
    async def _answer(prompt: str, updater: TaskUpdater) -> None:
        """Working, the answer's chunks as one appended artifact, completed (a cancel arrives
        as CancelledError of the wait between chunks)."""
        answer = _answer.compose(prompt)
        await updater.start_work()
        last = len(answer.chunks) - 1
        clock = asyncio.get_running_loop().time
        async for i, chunk in _answer.schedule(answer, asyncio.sleep, clock):
            await updater.add_artifact(
                [new_text_part(chunk)],
                artifact_id=_answer.ARTIFACT_ID,
                name=_answer.ARTIFACT_NAME if i == 0 else None,
                append=i > 0,
                last_chunk=i == last,
            )
        await updater.complete()

    @staticmethod
    async def _run(parsed: script.Script, updater: TaskUpdater) -> None:
        """Perform the steps in order; complete the task if the script leaves it open."""
        state: TaskState = TaskState.TASK_STATE_WORKING
        for step in parsed.steps:
            if isinstance(step, script.Status):
                msg = None if step.text is None else _agent_text(updater, step.text)
                await updater.update_status(STATES[step.state], message=msg)
                if step.ends_script:
                    return
                state = STATES[step.state]
            elif isinstance(step, script.Artifact):
                await updater.add_artifact(
                    [new_text_part(step.text)],
                    artifact_id=step.id,
                    name=step.name,
                    append=step.append,
                    last_chunk=step.last,
                )
            elif isinstance(step, script.Message):
                await updater.update_status(state, message=_agent_text(updater, step.text))
            elif isinstance(step, script.Burst):
                for i in range(step.count):
                    await updater.add_artifact(
                        [new_text_part(step.chunk(i))],
                        artifact_id=step.id,
                        append=i > 0,
                        last_chunk=i == step.count - 1,
                    )
            elif isinstance(step, script.Sleep | script.WaitCancel):
                # wait_cancel: a cancel arrives as CancelledError of this coroutine.
                await asyncio.sleep(step.seconds)
            elif isinstance(step, script.Raise):
                raise RuntimeError(step.text)
        await updater.complete()


def _agent_text(updater: TaskUpdater, text: str) -> Message:
    """An agent message for ``status.message`` (role agent, this task's ids)."""
    return updater.new_agent_message([new_text_part(text)])


def agent_card(base_url: str) -> AgentCard:
    """The card: JSON-RPC 1.0 and HTTP+JSON 1.0 first, then the v0.3 compat interfaces.

    The SDK serializes the first 0.3 interface as the card's top-level v0.3 fields
    (``url``, ``preferredTransport``, ``protocolVersion``), so 0.3 clients find it too.
    """
    return AgentCard(
        name="pytest-a2a conformance agent (a2a-sdk)",
        description="Runs a2a-conformance/1 scripts on a2a-sdk's DefaultRequestHandler.",
        version="1.0.0",
        supported_interfaces=[
            AgentInterface(url=f"{base_url}/", protocol_binding="JSONRPC", protocol_version="1.0"),
            AgentInterface(url=base_url, protocol_binding="HTTP+JSON", protocol_version="1.0"),
            AgentInterface(url=f"{base_url}/", protocol_binding="JSONRPC", protocol_version="0.3"),
            AgentInterface(url=base_url, protocol_binding="HTTP+JSON", protocol_version="0.3"),
        ],
        capabilities=AgentCapabilities(streaming=True),
        default_input_modes=["text/plain"],
        default_output_modes=["text/plain"],
        skills=[SKILL],
    )


def create_app(base_url: str) -> Starlette:
    """The ASGI app: card, JSON-RPC (1.0 + 0.3) at ``/``, REST (1.0 + 0.3 under ``/v1``)."""
    card = agent_card(base_url)
    handler = DefaultRequestHandler(
        agent_executor=ConformanceExecutor(), task_store=InMemoryTaskStore(), agent_card=card
    )
    routes = [
        *create_agent_card_routes(card),
        *create_jsonrpc_routes(handler, rpc_url="/", enable_v0_3_compat=True),
        *create_rest_routes(handler, enable_v0_3_compat=True),
    ]
    return Starlette(routes=routes)


def main(argv: list[str] | None = None) -> None:
    _serve.run("python -m pytest_a2a.adapters.a2a_sdk", create_app, argv)


if __name__ == "__main__":
    main()
