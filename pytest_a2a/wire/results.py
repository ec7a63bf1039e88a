"""What a call or a stream left behind: the decoded answer, how it ended, and the wire transcript.

These are plain records (no I/O), so judges and scenarios can import them without the client.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

from pytest_a2a.wire.media import media_type
from pytest_a2a.wire.models import TERMINAL_STATES, Message, RpcError, StreamEvent, Task
from pytest_a2a.wire.sse import SSEComment
from pytest_a2a.wire.transcript import Transcript

__all__ = ["END_STATES", "CallResult", "EndState", "StreamResult"]

EndState = Literal[
    "closed",  # the server closed the stream (cleanly)
    "open-after-terminal",  # still open close_grace after a terminal/interrupted/final/error event
    "stalled",  # no event (or no headers) within budget.idle
    "timeout",  # events kept coming but the stream outlived the stream deadline
    "oversize",  # one event exceeded max_event_bytes
    "http-error",  # non-2xx answer (body decoded into .error)
    "json-error",  # 2xx answered with plain JSON instead of SSE (decoded into .error)
    "transport-error",  # connect/protocol failure (refused, reset, garbage instead of HTTP)
    "closed-by-client",  # the scenario left the stream before it ended
    "open",  # a snapshot taken while the stream still runs
]
END_STATES: tuple[EndState, ...] = get_args(EndState)


@dataclass
class CallResult:
    """One unary call: decoded ``task`` / ``message`` / ``tasks`` / ``error``, plus the wire."""

    op: str
    http_status: int | None = None
    content_type: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""
    raw: Any = None  # decoded JSON body, None if not JSON
    task: Task | None = None
    message: Message | None = None
    tasks: list[Task] = field(default_factory=list)
    error: RpcError | None = None
    request_id: str | None = None
    response_id: Any = None
    schema_errors: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    transport_error: str | None = None
    t: float = 0.0
    transcript: Transcript = field(default_factory=Transcript)

    @property
    def ok(self) -> bool:
        return (
            self.error is None
            and self.transport_error is None
            and self.http_status is not None
            and 200 <= self.http_status < 300
        )

    @property
    def state(self) -> str | None:
        return self.task.status.state if self.task is not None else None

    def answer(self) -> str:
        """``HTTP 502 text/html``, or in words what came instead (never ``HTTP None None``)."""
        if self.http_status is None:
            return f"no HTTP answer ({self.transport_error or 'no request was sent'})"
        return f"HTTP {self.http_status} {media_type(self.content_type) or '(no Content-Type)'}"

    def describe(self) -> str:
        if self.transport_error:
            return f"{self.op}: transport error: {self.transport_error}"
        if self.http_status is None:
            return f"{self.op}: {self.answer()}"
        if self.error is not None:
            e = self.error
            head = f"{self.op}: HTTP {self.http_status} error {e.code}"
            return f"{head} {e.reason or ''} {e.message!r}"
        if self.task is not None:
            return f"{self.op}: HTTP {self.http_status} task {self.task.id} state={self.state}"
        if self.message is not None:
            return f"{self.op}: HTTP {self.http_status} message {self.message.text[:60]!r}"
        return f"{self.op}: HTTP {self.http_status} {self.body[:120]!r}"


@dataclass
class StreamResult:
    """A finished (or abandoned) stream: its events, how it ended, and the wire transcript."""

    events: list[StreamEvent]
    end: EndState
    end_t: float
    end_reason: str
    status_code: int | None
    content_type: str | None
    headers: Mapping[str, str]
    error: RpcError | None
    transcript: Transcript
    dialect: str
    request_id: str | None = None
    comments: list[SSEComment] = field(default_factory=list)
    bytes_received: int = 0
    json_body: Any = None

    @property
    def content_type_ok(self) -> bool:
        return media_type(self.content_type) == "text/event-stream"

    @property
    def rpc_error(self) -> RpcError | None:
        """The pre-stream error, else the first in-stream error event's error."""
        if self.error is not None:
            return self.error
        for ev in self.events:
            if ev.kind == "error":
                return ev.error
        return None

    @property
    def task_id(self) -> str | None:
        """Task id of the stream (first event that names one)."""
        for ev in self.events:
            if ev.task_id:
                return ev.task_id
        return None

    @property
    def context_id(self) -> str | None:
        for ev in self.events:
            if ev.context_id:
                return ev.context_id
        return None

    def kinds(self) -> list[str]:
        return [ev.kind for ev in self.events]

    def states(self) -> list[str | None]:
        """States of task/status events in order (v0.3 spelling)."""
        return [ev.state for ev in self.events if ev.kind in ("task", "status")]

    def terminal_events(self) -> list[StreamEvent]:
        return [ev for ev in self.events if ev.is_terminal]

    def by_kind(self, kind: str) -> list[StreamEvent]:
        return [ev for ev in self.events if ev.kind == kind]

    def artifact_text(self, artifact_id: str) -> str:
        """The stream's reassembly of one artifact (append / replace per R13)."""
        text = ""
        for ev in self.events:
            au = ev.artifact_update
            if au is not None and au.artifact.artifact_id == artifact_id:
                text = text + au.artifact.text if au.append else au.artifact.text
        return text

    def last_state(self) -> str | None:
        states = [s for s in self.states() if s is not None]
        return states[-1] if states else None

    def reached_terminal(self) -> bool:
        return self.last_state() in TERMINAL_STATES

    def excerpt(self, around: int | None = None, max_lines: int = 40) -> str:
        return self.transcript.excerpt(around=around, max_lines=max_lines)

    def describe(self) -> str:
        """One line: ``HTTP 200 text/event-stream; 4 events [task(submitted), ...]; end=closed``
        (no answer: ``no HTTP answer (end=stalled: no response headers within 1.50s)``)."""
        if self.status_code is None:
            reason = f": {self.end_reason}" if self.end_reason else ""
            return f"no HTTP answer (end={self.end}{reason})"
        head = f"HTTP {self.status_code} {media_type(self.content_type) or '-'}"
        evs = ", ".join(ev.describe() for ev in self.events[:12])
        if len(self.events) > 12:
            evs += f", … (+{len(self.events) - 12})"
        err = f"; error {self.error.code} {self.error.message[:80]!r}" if self.error else ""
        reason = f" ({self.end_reason})" if self.end_reason else ""
        return f"{head}; {len(self.events)} events [{evs}]{err}; end={self.end}{reason}"
