"""One normalized event model for all dialects, so every scenario is written once.

States and roles always use the v0.3 spellings (``working``, ``input-required``, ``agent``);
members are snake_case. Normalization is lenient (a 1.0 server sending 0.3 spellings still yields
a usable event, since a scenario must only judge its own requirement); strictness lives in the
schemas (``StreamEvent.schema_errors``), and anything undecodable becomes ``kind="invalid"``.
The models are slotted dataclasses, not validating models: the dialect decoders already type
every member, and a burst builds several per event (issue 11).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal

from pytest_a2a.wire.sse import SSEEvent

# The judge's own copy: pytest_a2a.script has the agents' copy, and judge and judged share no code
# that could make them agree on a mistake.
TERMINAL_STATES: frozenset[str] = frozenset({"completed", "failed", "canceled", "rejected"})
INTERRUPTED_STATES: frozenset[str] = frozenset({"input-required", "auth-required"})

EventKind = Literal["task", "message", "status", "artifact", "error", "invalid"]


@dataclass(slots=True)
class Part:
    """A content part; ``kind`` is ``text|data|file|unknown`` whatever the dialect's spelling."""

    kind: str = "unknown"
    text: str | None = None
    data: Any = None
    url: str | None = None
    raw: str | None = None  # base64 bytes (1.0 ``raw`` / 0.3 ``file.bytes``)
    filename: str | None = None
    media_type: str | None = None


@dataclass(slots=True)
class Message:
    message_id: str | None = None
    role: str | None = None  # "user" | "agent" (v0.3 spelling), or the unrecognized raw value
    parts: list[Part] = field(default_factory=list)
    task_id: str | None = None
    context_id: str | None = None

    @property
    def text(self) -> str:
        return "".join(p.text for p in self.parts if p.text is not None)


@dataclass(slots=True)
class TaskStatus:
    state: str | None = None  # v0.3 spelling; unrecognized spellings are kept verbatim
    message: Message | None = None
    timestamp: str | None = None


@dataclass(slots=True)
class Artifact:
    artifact_id: str | None = None
    name: str | None = None
    description: str | None = None
    parts: list[Part] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "".join(p.text for p in self.parts if p.text is not None)


@dataclass(slots=True)
class Task:
    id: str | None = None
    context_id: str | None = None
    status: TaskStatus = field(default_factory=TaskStatus)
    artifacts: list[Artifact] = field(default_factory=list)
    history: list[Message] = field(default_factory=list)

    @property
    def state(self) -> str | None:
        return self.status.state


@dataclass(slots=True)
class StatusUpdate:
    task_id: str | None = None
    context_id: str | None = None
    status: TaskStatus = field(default_factory=TaskStatus)
    final: bool | None = None  # 0.3 only; None when absent (always in 1.0)


@dataclass(slots=True)
class ArtifactUpdate:
    task_id: str | None = None
    context_id: str | None = None
    artifact: Artifact = field(default_factory=Artifact)
    append: bool | None = None
    last_chunk: bool | None = None


@dataclass(slots=True)
class RpcError:
    """A JSON-RPC error, or a REST error mapped to its JSON-RPC code (``reason`` kept)."""

    code: int | None = None
    message: str = ""
    data: Any = None
    http_status: int | None = None
    reason: str | None = None  # REST google.rpc.ErrorInfo reason, e.g. TASK_NOT_FOUND


@dataclass(slots=True, eq=False)
class DecodedPayload:
    """What a dialect decoder makes of one JSON payload (before stream bookkeeping)."""

    kind: EventKind
    task: Task | None = None
    message: Message | None = None
    status_update: StatusUpdate | None = None
    artifact_update: ArtifactUpdate | None = None
    error: RpcError | None = None
    rpc_id: Any = None
    has_rpc_id: bool = False
    problems: tuple[str, ...] = ()  # a tuple: most events have none, and () is free


@dataclass(slots=True, eq=False, kw_only=True)
class StreamEvent(DecodedPayload):
    """One SSE event of a stream: the decoded payload plus where and when it arrived.

    The stream creates it, parses its ``data`` once, decodes straight into it (no field-by-field
    copy) and validates that same parse against the dialect's own schema (``schema_errors``,
    a microsecond for a valid event), then lets the parsed tree go: 20,000 parsed trees kept
    alive would make the garbage collector, not the parser, the cost of a burst.
    """

    index: int
    t: float
    raw: SSEEvent
    dialect: str
    schema_errors: tuple[str, ...] = ()

    @property
    def reason(self) -> str:
        """Why the event is ``invalid`` (or decoding notes); empty when it decoded cleanly."""
        return "; ".join(self.problems)

    @property
    def payload(self) -> Any:
        """The decoded JSON of ``data``, parsed again on each access (see the class note)."""
        try:
            return json.loads(self.raw.data)
        except ValueError:
            return None

    @property
    def data(self) -> str:
        return self.raw.data

    @property
    def state(self) -> str | None:
        if self.task is not None:
            return self.task.status.state
        if self.status_update is not None:
            return self.status_update.status.state
        return None

    @property
    def is_terminal(self) -> bool:
        return self.state in TERMINAL_STATES

    @property
    def is_interrupted(self) -> bool:
        return self.state in INTERRUPTED_STATES

    @property
    def final(self) -> bool | None:
        return self.status_update.final if self.status_update is not None else None

    @property
    def task_id(self) -> str | None:
        if self.task is not None:
            return self.task.id
        if self.status_update is not None:
            return self.status_update.task_id
        if self.artifact_update is not None:
            return self.artifact_update.task_id
        if self.message is not None:
            return self.message.task_id
        return None

    @property
    def context_id(self) -> str | None:
        for obj in (self.task, self.status_update, self.artifact_update, self.message):
            if obj is not None:
                return obj.context_id
        return None

    def describe(self) -> str:
        """Short one-line summary, e.g. ``status(working)`` or ``artifact(a1 +append last)``."""
        if self.kind in ("task", "status"):
            fin = " final" if self.final else ""
            return f"{self.kind}({self.state}{fin})"
        if self.kind == "artifact" and self.artifact_update is not None:
            au = self.artifact_update
            flags = (" +append" if au.append else "") + (" last" if au.last_chunk else "")
            return f"artifact({au.artifact.artifact_id}{flags})"
        if self.kind == "error" and self.error is not None:
            return f"error({self.error.code})"
        if self.kind == "invalid":
            return f"invalid({self.reason[:60]})"
        return self.kind
