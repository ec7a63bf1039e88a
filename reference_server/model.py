"""The one internal task model every dialect encodes from (states in v0.3 spelling)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

TERMINAL = frozenset({"completed", "failed", "canceled", "rejected"})
INTERRUPTED = frozenset({"input-required", "auth-required"})


def new_id() -> str:
    return str(uuid.uuid4())


def now() -> datetime:
    return datetime.now(UTC)


_PLUS_TWO = timezone(timedelta(hours=2))


def format_timestamp(moment: datetime, *, not_utc: bool = False) -> str:
    """ISO-8601 UTC with ``Z`` (R23); ``not_utc`` renders it at ``+02:00`` (a fault)."""
    if not_utc:
        return moment.astimezone(_PLUS_TWO).isoformat(timespec="milliseconds")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


@dataclass(frozen=True)
class Part:
    """A message/artifact part: exactly one of text, data (JSON), url, raw (base64)."""

    text: str | None = None
    data: Any = None
    url: str | None = None
    raw: str | None = None
    media_type: str | None = None
    filename: str | None = None


@dataclass(frozen=True)
class Msg:
    message_id: str
    role: str  # "user" | "agent"
    parts: tuple[Part, ...]
    task_id: str | None = None
    context_id: str | None = None

    def first_text(self) -> str | None:
        return next((p.text for p in self.parts if p.text is not None), None)


def agent_text(text: str, task_id: str | None, context_id: str | None) -> Msg:
    return Msg(new_id(), "agent", (Part(text=text),), task_id, context_id)


@dataclass(frozen=True)
class ArtifactView:
    artifact_id: str
    name: str | None
    text: str  # the reassembled whole
    last_chunk: str  # the last chunk received (fault artifact-mismatch serves only this)


@dataclass(frozen=True)
class TaskView:
    """An immutable snapshot of a task, taken atomically on the event loop."""

    id: str
    context_id: str
    state: str
    message: Msg | None
    timestamp: datetime
    artifacts: tuple[ArtifactView, ...] = ()
    history: tuple[Msg, ...] = ()


@dataclass(frozen=True)
class StatusEvent:
    task_id: str
    context_id: str
    state: str
    message: Msg | None
    timestamp: datetime
    final: bool  # 0.3 `final` (ends the interaction)
    from_message_step: bool = False  # a `{"message": T}` step (1.0 fault renders it as a Message)


@dataclass(frozen=True)
class ArtifactHead:
    """Everything of an artifact update but its text: shared by the chunks of a burst, so a
    stream encodes it once (``frames``) and each chunk costs only its own text."""

    task_id: str
    context_id: str
    artifact_id: str
    name: str | None
    append: bool
    last: bool


@dataclass(frozen=True)
class ArtifactEvent:
    head: ArtifactHead
    text: str


@dataclass(frozen=True)
class TaskEvent:
    """A Task snapshot travelling in a stream (first event, or the final-task variant)."""

    view: TaskView


@dataclass(frozen=True)
class MessageEvent:
    """A standalone Message in a stream (a `reply` script)."""

    message: Msg


Event = StatusEvent | ArtifactEvent | TaskEvent | MessageEvent


@dataclass
class ArtifactState:
    artifact_id: str
    name: str | None
    chunks: list[str] = field(default_factory=list)

    def view(self) -> ArtifactView:
        return ArtifactView(
            self.artifact_id,
            self.name,
            "".join(self.chunks),
            self.chunks[-1] if self.chunks else "",
        )
