"""In-memory task records: state, artifacts, history, the task's broker and its agent run."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime

from reference_server.broker import Broker
from reference_server.model import (
    INTERRUPTED,
    TERMINAL,
    ArtifactEvent,
    ArtifactState,
    Msg,
    StatusEvent,
    TaskView,
    now,
)
from reference_server.options import Options


@dataclass
class TaskRecord:
    id: str
    context_id: str
    broker: Broker
    state: str = "submitted"
    message: Msg | None = None
    timestamp: datetime = field(default_factory=now)
    artifacts: dict[str, ArtifactState] = field(default_factory=dict)
    history: list[Msg] = field(default_factory=list)
    runner: asyncio.Task[None] | None = None
    lagging: TaskView | None = None  # fault store-lags-stream: what GetTask still reports

    @property
    def terminal(self) -> bool:
        return self.state in TERMINAL

    @property
    def interrupted(self) -> bool:
        return self.state in INTERRUPTED

    def apply_status(self, event: StatusEvent) -> None:
        self.state, self.message, self.timestamp = event.state, event.message, event.timestamp
        if event.message is not None:
            self.history.append(event.message)

    def apply_artifact(self, event: ArtifactEvent) -> None:
        head = event.head
        current = self.artifacts.get(head.artifact_id)
        if current is None or not head.append:
            current = ArtifactState(head.artifact_id, head.name)
            self.artifacts[head.artifact_id] = current
        elif head.name is not None:
            current.name = head.name
        current.chunks.append(event.text)

    def set_state(self, state: str, message: Msg | None = None) -> None:
        self.state, self.message, self.timestamp = state, message, now()

    def view(self) -> TaskView:
        return TaskView(
            id=self.id,
            context_id=self.context_id,
            state=self.state,
            message=self.message,
            timestamp=self.timestamp,
            artifacts=tuple(a.view() for a in self.artifacts.values()),
            history=tuple(self.history),
        )


class TaskStore:
    """All tasks of one server, in creation order; one lock shared by the brokers (a fault)."""

    def __init__(self, options: Options) -> None:
        self.options = options
        self.global_lock = asyncio.Lock()
        self._tasks: dict[str, TaskRecord] = {}

    def create(self, task_id: str, context_id: str) -> TaskRecord:
        record = TaskRecord(task_id, context_id, Broker(self.options, self.global_lock))
        self._tasks[task_id] = record
        return record

    def get(self, task_id: str) -> TaskRecord | None:
        return self._tasks.get(task_id)

    def all(self) -> list[TaskRecord]:
        return list(self._tasks.values())
