"""One normalized event model for all dialects, so every scenario is written once.

States and roles always use the v0.3 spellings (``working``, ``input-required``, ``agent``);
members are snake_case. Normalization is lenient (a 1.0 server sending 0.3 spellings still yields
a usable event, since a scenario must only judge its own requirement); strictness lives in the
schemas (``StreamEvent.schema_errors``), and anything undecodable becomes ``kind="invalid"``.
The models are slotted dataclasses, not validating models: the dialect decoders already type
every member. A stream's events keep what a burst repeats as atoms and build those models when
asked (:class:`StreamEvent`, issue 11).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal, Self

from pytest_a2a.wire.sse import SSEEvent, simple_data, simple_event

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

    def keep(self, kind: EventKind, obj: Any) -> Self:
        """Hold the decoded payload ``obj`` in the member ``kind`` names (as a stream event's
        :meth:`StreamEvent.keep` does: the decoders fill either)."""
        self.kind = kind
        if kind == "task":
            self.task = obj
        elif kind == "message":
            self.message = obj
        elif kind == "status":
            self.status_update = obj
        elif kind == "artifact":
            self.artifact_update = obj
        elif kind == "error":
            self.error = obj
        return self


class StreamEvent:
    """One SSE event of a stream: the decoded payload plus where and when it arrived.

    The stream parses ``data`` once, validates that parse against the dialect's own schema
    (``schema_errors``), decodes it straight into this event and lets the parsed tree go.
    What a burst repeats is kept as atoms, not objects (issue 11): a simple event keeps its wire
    bytes (``raw`` is made from them when asked), and a status or artifact update keeps its
    members in one tuple of strings, numbers and flags (``status_update`` / ``artifact_update``
    build the model from it on each access). 20,000 events then hold one object each that the
    cyclic garbage collector must walk, not six; a full collection walks them all.
    Any other payload (a Task, a Message, an error, an update with a non-text part or a status
    message) keeps its model object, built once.
    """

    __slots__ = ("_obj", "_sse", "dialect", "has_rpc_id", "index", "kind", "problems", "rpc_id",
                 "schema_errors", "t")

    def __init__(self, index: int, t: float, raw: SSEEvent | bytes, dialect: str,
                 kind: EventKind = "invalid") -> None:
        """``raw``: the event, or a simple event's wire bytes (see ``SSEParser.feed_wire``)."""
        self.kind: EventKind = kind
        self.index = index
        self.t = t
        self._sse = raw
        self.dialect = dialect
        self._obj: Any = None  # the model object of ``kind``, or its atoms (see the class note)
        self.rpc_id: Any = None
        self.has_rpc_id = False
        self.problems: tuple[str, ...] = ()  # a tuple: most events have none, and () is free
        self.schema_errors: tuple[str, ...] = ()

    def keep(self, kind: EventKind, obj: Any) -> Self:
        """Hold the decoded payload: ``obj`` is its model object, or for a status / artifact
        update the atoms :data:`STATUS_ATOMS` / :data:`ARTIFACT_ATOMS` describe."""
        self.kind = kind
        self._obj = obj
        return self

    # the decoded payload: the member ``kind`` names is set, the others are None
    @property
    def task(self) -> Task | None:
        return self._obj if self.kind == "task" else None

    @property
    def message(self) -> Message | None:
        return self._obj if self.kind == "message" else None

    @property
    def error(self) -> RpcError | None:
        return self._obj if self.kind == "error" else None

    @property
    def status_update(self) -> StatusUpdate | None:
        if self.kind != "status":
            return None
        obj = self._obj
        if type(obj) is not tuple:
            return obj  # type: ignore[no-any-return]
        return StatusUpdate(obj[0], obj[1], TaskStatus(obj[2], None, obj[3]), obj[4])

    @property
    def artifact_update(self) -> ArtifactUpdate | None:
        if self.kind != "artifact":
            return None
        obj = self._obj
        if type(obj) is not tuple:
            return obj  # type: ignore[no-any-return]
        parts = [Part("text", obj[7])] if len(obj) == 8 else [Part("text", t) for t in obj[7:]]
        return ArtifactUpdate(obj[0], obj[1], Artifact(obj[2], obj[3], obj[4], parts), obj[5],
                              obj[6])

    @property
    def raw(self) -> SSEEvent:
        """The SSE event (a simple event's is made from its wire bytes on first access)."""
        sse = self._sse
        if isinstance(sse, bytes):
            sse = self._sse = simple_event(sse, self.t)
        return sse

    @property
    def reason(self) -> str:
        """Why the event is ``invalid`` (or decoding notes); empty when it decoded cleanly."""
        return "; ".join(self.problems)

    @property
    def payload(self) -> Any:
        """The decoded JSON of ``data``, parsed again on each access (see the class note)."""
        try:
            return json.loads(self.data)
        except ValueError:
            return None

    @property
    def data(self) -> str:
        sse = self._sse
        return simple_data(sse) if isinstance(sse, bytes) else sse.data

    @property
    def state(self) -> str | None:
        kind = self.kind
        if kind == "status":
            obj = self._obj
            return obj[2] if type(obj) is tuple else obj.status.state  # type: ignore[no-any-return]
        if kind == "task":
            return self._obj.status.state  # type: ignore[no-any-return]
        return None

    @property
    def is_terminal(self) -> bool:
        return self.state in TERMINAL_STATES

    @property
    def is_interrupted(self) -> bool:
        return self.state in INTERRUPTED_STATES

    @property
    def final(self) -> bool | None:
        if self.kind != "status":
            return None
        obj = self._obj
        return obj[4] if type(obj) is tuple else obj.final  # type: ignore[no-any-return]

    @property
    def task_id(self) -> str | None:
        kind, obj = self.kind, self._obj
        if kind == "status" or kind == "artifact":
            return obj[0] if type(obj) is tuple else obj.task_id  # type: ignore[no-any-return]
        if kind == "task":
            return obj.id  # type: ignore[no-any-return]
        if kind == "message":
            return obj.task_id  # type: ignore[no-any-return]
        return None

    @property
    def context_id(self) -> str | None:
        kind, obj = self.kind, self._obj
        if kind == "status" or kind == "artifact":
            return obj[1] if type(obj) is tuple else obj.context_id  # type: ignore[no-any-return]
        if kind == "task" or kind == "message":
            return obj.context_id  # type: ignore[no-any-return]
        return None

    def describe(self) -> str:
        """Short one-line summary, e.g. ``status(working)`` or ``artifact(a1 +append last)``."""
        if self.kind in ("task", "status"):
            fin = " final" if self.final else ""
            return f"{self.kind}({self.state}{fin})"
        au = self.artifact_update
        if au is not None:
            flags = (" +append" if au.append else "") + (" last" if au.last_chunk else "")
            return f"artifact({au.artifact.artifact_id}{flags})"
        if self.kind == "error" and self.error is not None:
            return f"error({self.error.code})"
        if self.kind == "invalid":
            return f"invalid({self.reason[:60]})"
        return self.kind

    def __repr__(self) -> str:
        return (f"StreamEvent(index={self.index!r}, kind={self.kind!r}, t={self.t!r}, "
                f"{self.describe()}, schema_errors={self.schema_errors!r})")


#: The atoms a StreamEvent keeps of a status update whose status has no message.
STATUS_ATOMS = ("task_id", "context_id", "state", "timestamp", "final")
#: ... and of an artifact update whose parts are all text parts (their texts follow in order).
ARTIFACT_ATOMS = ("task_id", "context_id", "artifact_id", "name", "description", "append",
                  "last_chunk")
