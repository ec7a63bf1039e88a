"""The A2A operations on the internal model, independent of dialect and binding.

Every snapshot-and-subscribe happens in one synchronous step on the event loop (no await in
between), so a task that ends concurrently can never leave a new stream hanging; the only
exception is the ``reattach-race`` fault, which opens exactly that window on purpose.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field, replace

from pytest_a2a import script as contract
from reference_server.agent import run_agent
from reference_server.broker import End, Subscriber
from reference_server.emitter import Emitter
from reference_server.errors import (
    TASK_NOT_CANCELABLE,
    UNSUPPORTED_OPERATION,
    A2AError,
    invalid_params,
    task_not_found,
)
from reference_server.model import (
    ArtifactView,
    Event,
    MessageEvent,
    Msg,
    Part,
    StatusEvent,
    TaskEvent,
    TaskView,
    new_id,
    now,
)
from reference_server.options import Options
from reference_server.requests import ListQuery, SendRequest
from reference_server.store import TaskRecord, TaskStore

RACE_WINDOW = 0.05  # fault reattach-race: seconds between snapshot and subscribe


@dataclass
class StreamPlan:
    """What one stream writes: ``first`` events, then the subscription (None: close)."""

    first: list[Event]
    subscriber: Subscriber | None = None
    record: TaskRecord | None = None
    origin: bool = False  # the stream that created the task (fault disconnect-cancels)
    defer_first: bool = False  # fault exception-empty-200: ``first`` waits for an agent event
    extras: dict[str, object] = field(default_factory=dict)


class TaskNotFound(A2AError):
    """Raised by get/cancel/re-attach (fault wrong-error-code-unknown-task remaps these)."""


class Service:
    def __init__(self, options: Options) -> None:
        self.options = options
        self.store = TaskStore(options)
        self.shutting_down = asyncio.Event()
        self.open_streams = 0  # SSE responses in progress (fault load-drops-events)
        self.events_written = 0  # subscription events written while loaded (same fault)

    # ---- send / stream ----------------------------------------------------------------

    def _begin(
        self, req: SendRequest, *, subscribe: bool
    ) -> tuple[TaskRecord, TaskView, Subscriber | None] | Msg:
        """Create or continue the task and start its agent; a ``reply`` script returns the
        Message instead. Synchronous: the subscription exists before the agent runs."""
        msg = req.message
        text = msg.first_text() or ""
        try:
            parsed, problem = contract.parse(text), None
        except contract.ScriptError as exc:
            parsed, problem = None, str(exc)
        if parsed is not None and parsed.is_reply:
            if msg.task_id is None:
                reply = parsed.steps[0]
                assert isinstance(reply, contract.Reply)
                return Msg(
                    new_id(), "agent", (Part(text=reply.text),), None, msg.context_id or new_id()
                )
            parsed, problem = None, '"reply" cannot continue a task (it answers without one)'
        record = self._target(msg)
        record.history.append(replace(msg, task_id=record.id, context_id=record.context_id))
        subscriber = record.broker.subscribe() if subscribe else None
        view = record.view()
        emitter = Emitter(record, self.options)
        if problem is not None:
            run = emitter.status("rejected", f"invalid a2a-conformance/1 script: {problem}")
        else:
            run = run_agent(emitter, parsed, text)
        record.runner = asyncio.create_task(run, name=f"agent {record.id}")
        return record, view, subscriber

    def _target(self, msg: Msg) -> TaskRecord:
        if msg.task_id is None:
            return self.store.create(new_id(), msg.context_id or new_id())
        record = self.store.get(msg.task_id)
        if record is None:
            raise task_not_found(msg.task_id)
        if msg.context_id is not None and msg.context_id != record.context_id:
            raise invalid_params(f"message.contextId does not match task {record.id!r}")
        if record.terminal:
            raise A2AError(
                UNSUPPORTED_OPERATION,
                f"task {record.id!r} is {record.state} (terminal) and accepts no more messages",
            )
        if not record.interrupted:
            raise A2AError(
                UNSUPPORTED_OPERATION,
                f"task {record.id!r} is {record.state}; only an input-required or auth-required "
                "task accepts a follow-up message",
            )
        record.set_state("working")  # the follow-up is accepted: the agent runs again
        return record

    async def send(self, req: SendRequest) -> TaskView | Msg:
        begun = self._begin(req, subscribe=False)
        if isinstance(begun, Msg):
            return begun
        record, view, _ = begun
        if not req.blocking:
            return view
        assert record.runner is not None
        await asyncio.wait({record.runner})  # never cancels the agent if this request is
        return record.view()

    def stream(self, req: SendRequest) -> StreamPlan:
        begun = self._begin(req, subscribe=True)
        if isinstance(begun, Msg):
            return StreamPlan(first=[MessageEvent(begun)])
        record, view, subscriber = begun
        first: list[Event] = [TaskEvent(view)]
        if self.options.fault("no-task-first"):
            first = [StatusEvent(record.id, record.context_id, view.state, None, now(), False)]
        if req.message.task_id is not None and self.options.fault("followup-no-task-first"):
            first = []  # the follow-up's stream starts with the agent's first update
        return StreamPlan(
            first,
            subscriber,
            record,
            origin=True,
            defer_first=self.options.fault("exception-empty-200"),
        )

    # ---- get / cancel / re-attach / list ----------------------------------------------

    def _existing(self, task_id: str) -> TaskRecord:
        record = self.store.get(task_id)
        if record is None:
            raise TaskNotFound(task_not_found(task_id).code, f"task {task_id!r} not found")
        return record

    def get(self, task_id: str) -> TaskView:
        record = self._existing(task_id)
        view = record.view() if record.lagging is None else record.lagging  # store-lags-stream
        if self.options.fault("artifact-mismatch"):
            arts = tuple(
                ArtifactView(a.artifact_id, a.name, a.last_chunk, a.last_chunk)
                for a in view.artifacts
            )
            view = replace(view, artifacts=arts)
        return view

    async def cancel(self, task_id: str) -> TaskView:
        record = self._existing(task_id)
        if record.terminal:
            if self.options.fault("cancel-terminal-accepted"):
                return record.view()
            raise A2AError(
                TASK_NOT_CANCELABLE, f"task {task_id!r} is {record.state} and cannot be canceled"
            )
        runner = record.runner
        if self.options.fault("cancel-slow") and runner is not None and not runner.done():
            await asyncio.wait({runner})  # answer only once the agent has finished by itself
            if record.terminal:
                return record.view()
        self._cancel_now(record)
        return record.view()

    def _cancel_now(self, record: TaskRecord) -> None:
        """Stop the agent and deliver ``canceled`` to every open stream, in one loop step."""
        if record.runner is not None and not record.runner.done():
            record.runner.cancel()
        event = StatusEvent(record.id, record.context_id, "canceled", None, now(), True)
        if self.options.fault("cancel-not-persisted"):
            record.lagging = record.view()  # GetTask stays at the state before the cancel
        record.apply_status(event)
        if not self.options.fault("cancel-not-delivered"):
            record.broker.publish_now(event)
        record.broker.finish(End("canceled", record.view()))

    async def resubscribe(self, task_id: str, *, v10: bool) -> StreamPlan:
        record = self._existing(task_id)
        if record.terminal or record.broker.finished:
            if not v10:  # 0.3 (P03 comment): the Task, then close
                return StreamPlan([TaskEvent(record.view())], None, record)
            if self.options.fault("reattach-terminal-wrong-code"):
                raise TaskNotFound(task_not_found(task_id).code, f"task {task_id!r} not found")
            raise A2AError(
                UNSUPPORTED_OPERATION,
                f"task {task_id!r} is {record.state} (terminal): nothing left to subscribe to",
            )
        no_snapshot = self.options.fault("reattach-no-snapshot")
        if record.interrupted and not self.options.variant("interrupted-stays-open"):
            return StreamPlan([] if no_snapshot else [TaskEvent(record.view())], None, record)
        if self.options.fault("reattach-race"):
            view = record.view()
            await asyncio.sleep(RACE_WINDOW)
            subscriber = record.broker.subscribe(unchecked=True)
        else:
            subscriber = record.broker.subscribe()
            view = record.view()
        first: list[Event] = [] if no_snapshot else [TaskEvent(view)]
        return StreamPlan(first, subscriber, record)

    def list(self, query: ListQuery) -> tuple[list[TaskView], int, str]:
        records = [
            r
            for r in self.store.all()
            if (query.context_id is None or r.context_id == query.context_id)
            and (query.state is None or r.state == query.state)
        ]
        records.reverse()  # newest first
        try:
            start = int(query.page_token or 0)
        except ValueError:
            raise invalid_params(
                f"pageToken {query.page_token!r} is not one this server issued"
            ) from None
        page = records[start : start + query.page_size]
        following = start + query.page_size
        token = str(following) if following < len(records) else ""
        return [r.view() for r in page], len(records), token

    # ---- stream lifecycle -------------------------------------------------------------

    def stream_left(self, plan: StreamPlan) -> None:
        """The reader of ``plan`` went away (disconnect): the task carries on, unless a fault."""
        record = plan.record
        if record is None or plan.subscriber is None:
            return
        record.broker.leave(plan.subscriber)
        if plan.origin and self.options.fault("disconnect-cancels") and not record.terminal:
            self._cancel_now(record)

    def shutdown(self) -> None:
        """End every agent and every open stream (server stop must be prompt and bounded)."""
        self.shutting_down.set()
        for record in self.store.all():
            if record.runner is not None and not record.runner.done():
                record.runner.cancel()
            record.broker.end_turn(End("shutdown"))
