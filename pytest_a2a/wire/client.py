"""`A2AClient`: the suite's own A2A client, built to observe servers rather than to trust them.

Every call encodes through :mod:`pytest_a2a.wire.dialects`, so one scenario runs in all three
dialects. Streams are read by a background task into an :class:`~pytest_a2a.wire.sse.SSEParser`
(raw bytes and arrival times kept, see :mod:`pytest_a2a.wire.transcript`); the consumer side
(:meth:`EventStream.next_event`, :meth:`EventStream.collect`) only ever waits with a deadline
derived from the :class:`Budget`, so a hostile server (never closes, keep-alives only, headers
then silence, 10 MB events, garbage) yields a bounded :class:`StreamResult` that says how the
stream ended and what arrived.
"""

from __future__ import annotations

import asyncio
import functools
import json
import ssl
import time
from collections.abc import Awaitable, Iterable, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

import httpx

from pytest_a2a.budget import Budget
from pytest_a2a.wire.dialects import (
    Dialect,
    HttpRequest,
    decode_rest_error,
    decode_rpc_error,
    decode_task,
    get_dialect,
    new_id,
)
from pytest_a2a.wire.models import (
    TERMINAL_STATES,
    Message,
    RpcError,
    StreamEvent,
    Task,
)
from pytest_a2a.wire.schema import validate_result
from pytest_a2a.wire.sse import DEFAULT_MAX_EVENT_BYTES, SSEComment, SSEEvent, SSEParser
from pytest_a2a.wire.transcript import Transcript

if TYPE_CHECKING:
    from pytest_a2a.wire.slowread import SlowStream

__all__ = [
    "A2AClient",
    "CallResult",
    "EventStream",
    "StreamCall",
    "StreamResult",
    "gather_bounded",
]

END_STATES = (
    "closed",  # the server closed the stream (cleanly)
    "open-after-terminal",  # still open close_grace after a terminal/interrupted/final/error event
    "stalled",  # no event (or no headers) within budget.idle
    "timeout",  # events kept coming but the stream outlived the stream deadline
    "oversize",  # one event exceeded max_event_bytes
    "http-error",  # non-2xx answer (body decoded into .error)
    "json-error",  # 2xx answered with plain JSON instead of SSE (decoded into .error)
    "transport-error",  # connect/protocol failure (refused, reset, garbage instead of HTTP)
    "closed-by-client",  # the scenario left the stream before it ended
)
MAX_ERROR_BODY = 1024 * 1024
_JSON_TYPES = ("application/json", "application/problem+json")

T = TypeVar("T")


@functools.cache
def _tls_context() -> ssl.SSLContext:
    """One verified TLS context per process: building one costs ~35 ms, and every test opens
    a client, so a fresh context per client would dominate the suite's wall time."""
    return httpx.create_ssl_context()


def media_type(content_type: str | None) -> str:
    """``text/event-stream; charset=utf-8`` -> ``text/event-stream``."""
    return (content_type or "").split(";", 1)[0].strip().lower()


def is_json_type(content_type: str | None) -> bool:
    mt = media_type(content_type)
    return mt in _JSON_TYPES or mt.endswith("+json")


def decode_error_body(body: bytes, http_status: int | None, content_type: str | None) -> RpcError:
    """Whatever a server put in an error answer: JSON-RPC error, google.rpc.Status, or text."""
    payload: Any = None
    try:
        payload = json.loads(body) if body.strip() else None
    except ValueError:
        payload = None
    if isinstance(payload, dict) and isinstance(payload.get("error"), dict):
        err = payload["error"]
        if "jsonrpc" in payload or ("status" not in err and "details" not in err):
            return decode_rpc_error(payload["error"], http_status)
        return decode_rest_error(payload, http_status)
    text = body[:2000].decode("utf-8", "replace")
    note = f"{text!r}" if text else "(empty body)"
    if content_type:
        note += f" [{content_type}]"
    err = decode_rest_error(text, http_status)
    err.message = note
    return err


# --------------------------------------------------------------------------------------------
# results


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

    def describe(self) -> str:
        if self.transport_error:
            return f"{self.op}: transport error: {self.transport_error}"
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
    end: str
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

    def first_terminal_index(self) -> int | None:
        for i, ev in enumerate(self.events):
            if ev.is_terminal:
                return i
        return None

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
        """One line: ``HTTP 200 text/event-stream; 4 events [task(submitted), ...]; end=closed``."""
        head = f"HTTP {self.status_code} {media_type(self.content_type) or '-'}"
        evs = ", ".join(ev.describe() for ev in self.events[:12])
        if len(self.events) > 12:
            evs += f", … (+{len(self.events) - 12})"
        err = f"; error {self.error.code} {self.error.message[:80]!r}" if self.error else ""
        reason = f" ({self.end_reason})" if self.end_reason else ""
        return f"{head}; {len(self.events)} events [{evs}]{err}; end={self.end}{reason}"


# --------------------------------------------------------------------------------------------
# streams


class EventStream:
    """Consumer side shared by every stream source (httpx here, raw sockets in slowread).

    A source feeds bytes with :meth:`_ingest` and calls :meth:`_finish`; the consumer reads
    with :meth:`next_event` / :meth:`collect`. All waiting happens here, always with a deadline.
    """

    def __init__(
        self,
        dialect: Dialect,
        budget: Budget,
        *,
        request_id: str | None = None,
        deadline: float | None = None,
        max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES,
    ) -> None:
        self.dialect = dialect
        self.budget = budget
        self.request_id = request_id
        self.transcript = Transcript()
        self.events: list[StreamEvent] = []
        self.comments: list[SSEComment] = []
        self.status_code: int | None = None
        self.content_type: str | None = None
        self.headers: Mapping[str, str] = {}
        self.error: RpcError | None = None
        self.json_body: Any = None
        self.end: str | None = None
        self.end_reason = ""
        self.end_t: float | None = None
        self._parser = SSEParser(max_event_bytes=max_event_bytes)
        self._t0 = time.monotonic()
        self._deadline_abs = deadline
        self._wake = asyncio.Event()
        self._cursor = 0
        self._reader: asyncio.Task[None] | None = None

    # -- time ------------------------------------------------------------------------------

    def now(self) -> float:
        """Seconds since the request was sent (the time base of ``.t`` everywhere)."""
        return time.monotonic() - self._t0

    def _hard_deadline(self) -> float:
        """Stream deadline, in stream time."""
        hard = self.budget.stream
        if self._deadline_abs is not None:
            hard = min(hard, self._deadline_abs - self._t0)
        return hard

    @property
    def is_open(self) -> bool:
        return self.end is None

    # -- source side -----------------------------------------------------------------------

    def _ingest(self, chunk: bytes) -> None:
        t = self.now()
        self.transcript.chunk(len(chunk))
        for item in self._parser.feed(chunk, t):
            self.transcript.item(item)
            if isinstance(item, SSEEvent):
                self.events.append(self._decode(item))
            else:
                self.comments.append(item)
        if self._parser.oversize:
            self._finish(
                "oversize",
                f"an event exceeded {self._parser.max_event_bytes} bytes "
                f"({self._parser.pending_bytes} bytes pending)",
            )
        self._wake.set()

    def _decode(self, raw: SSEEvent) -> StreamEvent:
        index = len(self.events)
        try:
            payload = json.loads(raw.data)
        except ValueError as exc:
            return StreamEvent(
                kind="invalid",
                index=index,
                t=raw.t,
                raw=raw,
                dialect=self.dialect.id,
                reason=f"data is not JSON ({exc}): {raw.data[:80]!r}",
            )
        d = self.dialect.decode_event(payload)
        return StreamEvent(
            kind=d.kind,
            index=index,
            t=raw.t,
            raw=raw,
            dialect=self.dialect.id,
            task=d.task,
            message=d.message,
            status_update=d.status_update,
            artifact_update=d.artifact_update,
            error=d.error,
            rpc_id=d.rpc_id,
            has_rpc_id=d.has_rpc_id,
            reason="; ".join(d.problems),
        )

    def _finish(self, end: str, reason: str = "") -> None:
        if self.end is not None:
            return
        self.end, self.end_reason, self.end_t = end, reason, self.now()
        pending = self._parser.close() if end in ("closed", "transport-error") else 0
        self.transcript.finish(self.end_t, end, reason, pending)
        self._wake.set()

    def _record_headers(
        self, status: int, content_type: str | None, headers: Mapping[str, str]
    ) -> None:
        self.status_code, self.content_type, self.headers = status, content_type, headers
        extra = ""
        if 200 <= status < 300 and media_type(content_type) != "text/event-stream":
            extra = "(not text/event-stream)"
        self.transcript.response(self.now(), status, content_type, extra)

    def _record_error_body(self, body: bytes, truncated: bool) -> None:
        """A non-SSE answer: decode the JSON error (or text) into ``.error``; end the stream."""
        ct = self.content_type
        self.transcript.chunk(len(body))
        shown = body[:300].decode("utf-8", "replace")
        self.transcript.note(self.now(), f"body: {shown!r}" + (" (truncated)" if truncated else ""))
        if is_json_type(ct):
            try:
                self.json_body = json.loads(body)
            except ValueError:
                self.json_body = None
        status = self.status_code or 0
        if 200 <= status < 300:
            if isinstance(self.json_body, dict) and "error" in self.json_body:
                self.error = decode_error_body(body, status, ct)
            self._finish("json-error", "answered with plain JSON instead of an SSE stream")
        else:
            self.error = decode_error_body(body, status, ct)
            self._finish("http-error", f"HTTP {status}")

    # -- consumer side ---------------------------------------------------------------------

    async def _wait(self, timeout: float) -> None:  # noqa: ASYNC109
        if timeout <= 0:
            return
        self._wake.clear()
        try:
            async with asyncio.timeout(timeout):
                await self._wake.wait()
        except TimeoutError:
            pass

    async def next_event(self, timeout: float | None = None) -> StreamEvent | None:  # noqa: ASYNC109
        """The next event, or ``None`` if the stream ended or nothing came within ``timeout``
        (default ``budget.idle``, capped by the stream deadline). ``is_open`` tells which."""
        limit = self.budget.idle if timeout is None else timeout
        until = min(self.now() + limit, self._hard_deadline())
        while True:
            if self._cursor < len(self.events):
                self._cursor += 1
                return self.events[self._cursor - 1]
            if self.end is not None:
                return None
            left = until - self.now()
            if left <= 0:
                return None
            await self._wait(left)

    async def events_until(
        self,
        predicate: Any,
        timeout: float | None = None,  # noqa: ASYNC109
    ) -> StreamEvent | None:
        """Read events until one satisfies ``predicate(ev)``; ``None`` if it never comes in time."""
        limit = self.budget.idle if timeout is None else timeout
        until = min(self.now() + limit, self._hard_deadline())
        while True:
            ev = await self.next_event(timeout=max(0.0, until - self.now()))
            if ev is None:
                return None
            if predicate(ev):
                return ev

    def _grace_reason(self) -> str | None:
        """If the last event should have been the last, why (starts the close_grace clock)."""
        if not self.events:
            return None
        ev = self.events[-1]
        if ev.is_terminal:
            return f"terminal state {ev.state}"
        if ev.is_interrupted:
            return f"interrupted state {ev.state}"
        if ev.final:
            return "final: true"
        if ev.kind == "error":
            return "an error event"
        if ev.kind == "message" and all(e.kind == "message" for e in self.events):
            return "a Message reply"
        return None

    async def collect(self) -> StreamResult:
        """Read until the stream ends; returns a :class:`StreamResult`. Bounded by the budget:

        ``closed`` (server closed), ``open-after-terminal`` (still open ``close_grace`` after a
        terminal / interrupted / ``final`` / error event, or after a Message reply), ``stalled``
        (no event for ``idle``), ``timeout`` (stream deadline), ``oversize``.
        """
        while self.end is None:
            verdict = self._verdict()
            if verdict is None:
                await self._wait(self._next_check() - self.now() + 0.001)
                continue
            # Before judging, let the reader process what already arrived: on a congested loop
            # an EOF or event may sit in the socket while this timer fires first.
            await self._settle()
            again = self._verdict()
            if self.end is None and again is not None and again[0] == verdict[0]:
                self._finish(*again)
        await self._stop_reader()
        return self.result()

    def _verdict(self) -> tuple[str, str] | None:
        """How the stream ends if it ends now (None: keep waiting)."""
        now = self.now()
        last_t = self.events[-1].t if self.events else 0.0
        why = self._grace_reason()
        if why is not None and now >= last_t + self.budget.close_grace:
            where = f"event #{self.events[-1].index}"
            return "open-after-terminal", f"still open {now - last_t:.2f}s after {why} ({where})"
        if why is None and now >= last_t + self.budget.idle:
            return "stalled", f"no event for {now - last_t:.2f}s"
        hard = self._hard_deadline()
        if now >= hard:
            return "timeout", f"stream still running at the {hard:.2f}s deadline"
        return None

    def _next_check(self) -> float:
        last_t = self.events[-1].t if self.events else 0.0
        limit = self.budget.close_grace if self._grace_reason() else self.budget.idle
        return min(last_t + limit, self._hard_deadline())

    async def _settle(self, rounds: int = 8) -> None:
        """Yield to the loop a few times (no sleeping) so pending reads are processed."""
        count = len(self.events)
        for _ in range(rounds):
            if self.end is not None or len(self.events) != count:
                return
            await asyncio.sleep(0)

    def result(self) -> StreamResult:
        """Snapshot of what arrived so far (``end`` is ``open`` if the stream has not ended)."""
        return StreamResult(
            events=list(self.events),
            end=self.end or "open",
            end_t=self.end_t if self.end_t is not None else self.now(),
            end_reason=self.end_reason,
            status_code=self.status_code,
            content_type=self.content_type,
            headers=self.headers,
            error=self.error,
            transcript=self.transcript,
            dialect=self.dialect.id,
            request_id=self.request_id,
            comments=list(self.comments),
            bytes_received=self.transcript.bytes_received,
            json_body=self.json_body,
        )

    async def _stop_reader(self) -> None:
        task, self._reader = self._reader, None
        if task is not None and not task.done():
            task.cancel()
            await asyncio.wait([task], timeout=1.0)

    async def close(self) -> None:
        """Leave the stream (the server sees the client disconnect)."""
        if self.end is None:
            self._finish("closed-by-client", "the client left the stream")
        await self._stop_reader()


class StreamCall(EventStream):
    """One streaming request over the client's httpx connection pool (an async context manager)."""

    def __init__(
        self,
        client: A2AClient,
        request: HttpRequest,
        *,
        deadline: float | None = None,
    ) -> None:
        super().__init__(
            client.dialect,
            client.budget,
            request_id=request.rpc_id,
            deadline=deadline,
            max_event_bytes=client.max_event_bytes,
        )
        self._client = client
        self._request = request
        self._response: httpx.Response | None = None

    async def __aenter__(self) -> StreamCall:
        await self.open()
        return self

    async def __aexit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def open(self) -> None:
        req = self._request
        self._t0 = time.monotonic()
        response = await self._send(req.method)
        if response is not None and response.status_code == 405 and req.fallback_method:
            await _aclose_quietly(response)
            self.transcript.note(self.now(), f"405: retrying with {req.fallback_method}")
            response = await self._send(req.fallback_method)
        if response is None:
            return
        self._response = response
        self._record_headers(
            response.status_code, response.headers.get("content-type"), response.headers
        )
        ok = 200 <= response.status_code < 300
        if not ok or is_json_type(self.content_type):
            await self._read_error_body(response)
            return
        self._reader = asyncio.create_task(self._read(response))

    async def _send(self, method: str) -> httpx.Response | None:
        req = self._request
        url = self._client.url(req.path)
        self.transcript.request(method, url, req.label)
        http = self._client.http
        request = http.build_request(
            method, url, content=req.body if method != "GET" else None, headers=req.headers
        )
        limit = min(self.budget.idle, self._hard_deadline() - self.now())
        try:
            async with asyncio.timeout(max(limit, 0.0)):
                return await http.send(request, stream=True)
        except TimeoutError:
            self._finish("stalled", f"no response headers within {limit:.2f}s")
        except httpx.HTTPError as exc:
            self._finish("transport-error", f"{type(exc).__name__}: {exc}")
        return None

    async def _read_error_body(self, response: httpx.Response) -> None:
        body = bytearray()
        truncated = False
        limit = min(self.budget.call, max(0.0, self._hard_deadline() - self.now()))
        try:
            async with asyncio.timeout(limit):
                async for chunk in response.aiter_bytes():
                    body += chunk
                    if len(body) > MAX_ERROR_BODY:
                        truncated = True
                        break
        except TimeoutError:
            truncated = True
            self.transcript.note(self.now(), f"error body not complete within {limit:.2f}s")
        except httpx.HTTPError as exc:
            self.transcript.note(self.now(), f"error body: {type(exc).__name__}: {exc}")
        self._record_error_body(bytes(body), truncated)

    async def _read(self, response: httpx.Response) -> None:
        try:
            async for chunk in response.aiter_bytes():
                self._ingest(chunk)
                if self.end is not None:  # oversize
                    return
            self._finish("closed")
        except httpx.HTTPError as exc:
            self._finish("transport-error", f"{type(exc).__name__}: {exc}")

    async def aclose(self) -> None:
        await self.close()
        response, self._response = self._response, None
        if response is not None:
            await _aclose_quietly(response)


async def _aclose_quietly(response: httpx.Response) -> None:
    try:
        async with asyncio.timeout(1.0):
            await response.aclose()
    except (TimeoutError, httpx.HTTPError, OSError):
        pass


# --------------------------------------------------------------------------------------------
# the client


class A2AClient:
    """Speaks one dialect to one interface URL; owns one ``httpx.AsyncClient`` (no pool limit).

    ``headers`` (e.g. auth) go on every request. Request ids and messageIds are fresh uuid4s
    per call, so clients share no state across tasks or xdist workers.
    """

    def __init__(
        self,
        base_url: str,
        dialect: str | Dialect = "v1.0-jsonrpc",
        budget: Budget | None = None,
        headers: Mapping[str, str] | None = None,
        *,
        max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES,
        verify: bool = True,
    ) -> None:
        self.base_url = base_url
        self.dialect = get_dialect(dialect)
        self.budget = budget or Budget()
        self.headers = dict(headers or {})
        self.max_event_bytes = max_event_bytes
        self._verify = verify
        self._http: httpx.AsyncClient | None = None

    async def __aenter__(self) -> A2AClient:
        if self._http is None:
            self._http = httpx.AsyncClient(
                headers=self.headers,
                limits=httpx.Limits(max_connections=None, max_keepalive_connections=None),
                timeout=httpx.Timeout(None, connect=self.budget.connect),
                follow_redirects=False,
                verify=_tls_context() if self._verify else False,
            )
        return self

    async def __aexit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        http, self._http = self._http, None
        if http is not None:
            try:
                async with asyncio.timeout(2.0):
                    await http.aclose()
            except TimeoutError:
                pass

    @property
    def http(self) -> httpx.AsyncClient:
        if self._http is None:
            raise RuntimeError("A2AClient is not open: use `async with A2AClient(...)`")
        return self._http

    def url(self, path: str) -> str:
        """Absolute URL of ``path`` (relative to the interface URL; '' = the JSON-RPC endpoint)."""
        if path.startswith(("http://", "https://")):
            return path
        if not path:
            return self.base_url
        return self.base_url.rstrip("/") + (path if path.startswith("/") else "/" + path)

    # -- unary -----------------------------------------------------------------------------

    async def send(
        self,
        text: str,
        task_id: str | None = None,
        context_id: str | None = None,
        *,
        blocking: bool | None = None,
        message_id: str | None = None,
    ) -> CallResult:
        """``message/send`` / ``SendMessage`` / ``POST /message:send``."""
        req = self.dialect.build(
            "send",
            text=text,
            task_id=task_id,
            context_id=context_id,
            blocking=blocking,
            message_id=message_id,
        )
        return await self._call(req)

    async def get_task(self, task_id: str, history_length: int | None = None) -> CallResult:
        return await self._call(
            self.dialect.build("get", task_id=task_id, history_length=history_length)
        )

    async def cancel(self, task_id: str) -> CallResult:
        return await self._call(self.dialect.build("cancel", task_id=task_id))

    async def list_tasks(self, context_id: str | None = None) -> CallResult:
        """``ListTasks`` / ``GET /tasks`` (1.0 only; raises ``UnsupportedOperation`` in 0.3)."""
        return await self._call(self.dialect.build("list", context_id=context_id))

    async def jsonrpc(
        self,
        method: str,
        params: Any,
        *,
        rpc_id: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> CallResult:
        """An arbitrary JSON-RPC call (unknown methods, bad params) with the dialect's headers."""
        body = {
            "jsonrpc": "2.0",
            "id": rpc_id if rpc_id is not None else new_id("req"),
            "method": method,
            "params": params,
        }
        return await self.raw("POST", "", json_body=body, headers=headers)

    async def raw(
        self,
        method: str = "POST",
        path: str = "",
        body: bytes | str | None = None,
        headers: Mapping[str, str] | None = None,
        *,
        json_body: Any = None,
        dialect_headers: bool = True,
    ) -> CallResult:
        """Send exactly this request (error scenarios). Errors are decoded whatever their form."""
        hdrs: dict[str, str] = {}
        if dialect_headers:
            hdrs.update(self.dialect.version_headers())
        content: bytes | None = body.encode() if isinstance(body, str) else body
        rpc_id = None
        if json_body is not None:
            content = json.dumps(json_body).encode()
            hdrs["Content-Type"] = "application/json"
            if isinstance(json_body, dict):
                rpc_id = json_body.get("id")
        hdrs.update(headers or {})
        req = HttpRequest("raw", method, path, hdrs, content, rpc_id, f"raw {method} {path or '/'}")
        return await self._call(req)

    async def _call(self, req: HttpRequest) -> CallResult:
        res = CallResult(op=req.op, request_id=req.rpc_id)
        url = self.url(req.path)
        res.transcript.request(req.method, url, req.label)
        t0 = time.monotonic()
        try:
            async with asyncio.timeout(self.budget.call):
                resp = await self.http.request(
                    req.method, url, content=req.body, headers=req.headers
                )
        except TimeoutError:
            res.transport_error = f"no complete answer within {self.budget.call:.2f}s"
        except httpx.HTTPError as exc:
            res.transport_error = f"{type(exc).__name__}: {exc}"
        res.t = time.monotonic() - t0
        if res.transport_error:
            res.transcript.finish(res.t, "transport-error", res.transport_error)
            return res
        res.http_status = resp.status_code
        res.content_type = resp.headers.get("content-type")
        res.headers = resp.headers
        res.body = resp.content
        res.transcript.response(res.t, resp.status_code, res.content_type)
        res.transcript.chunk(len(res.body))
        res.transcript.note(res.t, f"body: {res.body[:300].decode('utf-8', 'replace')!r}")
        self._decode_call(req, res)
        res.transcript.finish(res.t, "closed")
        return res

    def _decode_call(self, req: HttpRequest, res: CallResult) -> None:
        try:
            res.raw = json.loads(res.body) if res.body.strip() else None
        except ValueError:
            res.raw = None
        status = res.http_status or 0
        payload = res.raw
        rest = self.dialect.is_rest and req.op != "raw"
        if req.op == "raw" or not rest:
            if isinstance(payload, dict) and "error" in payload and "result" not in payload:
                res.error = decode_error_body(res.body, status, res.content_type)
                res.response_id = payload.get("id")
                return
            if not 200 <= status < 300 or payload is None:
                if not 200 <= status < 300:
                    res.error = decode_error_body(res.body, status, res.content_type)
                else:
                    res.problems.append("2xx answer is not JSON")
                return
            if req.op == "raw":
                return
            if not isinstance(payload, dict) or "result" not in payload:
                res.problems.append("JSON-RPC response has neither result nor error")
                return
            res.response_id = payload.get("id")
            if res.response_id != req.rpc_id:
                res.problems.append(f"response id {res.response_id!r} != request id {req.rpc_id!r}")
            result = payload["result"]
        else:
            if not 200 <= status < 300:
                res.error = decode_error_body(res.body, status, res.content_type)
                return
            result = payload
        if req.op == "list":
            tasks = result.get("tasks") if isinstance(result, dict) else None
            res.tasks = [decode_task(t) for t in tasks or [] if isinstance(t, dict)]
            if not isinstance(tasks, list):
                res.problems.append("list result has no tasks array")
        else:
            d = self.dialect.decode_result(req.op, result)
            res.task, res.message = d.task, d.message
            res.problems.extend(d.problems)
        res.schema_errors = validate_result(self.dialect.id, req.op, result)

    # -- streams ---------------------------------------------------------------------------

    def stream(
        self,
        text: str,
        task_id: str | None = None,
        context_id: str | None = None,
        *,
        message_id: str | None = None,
        deadline: float | None = None,
    ) -> StreamCall:
        """``message/stream`` / ``SendStreamingMessage`` / ``POST /message:stream``.

        ``deadline`` (absolute ``time.monotonic()``) caps the stream below ``budget.stream``.
        """
        req = self.dialect.build(
            "stream", text=text, task_id=task_id, context_id=context_id, message_id=message_id
        )
        return StreamCall(self, req, deadline=deadline)

    def resubscribe(self, task_id: str, *, deadline: float | None = None) -> StreamCall:
        """``tasks/resubscribe`` / ``SubscribeToTask`` / ``GET /tasks/{id}:subscribe``."""
        req = self.dialect.build("resubscribe", task_id=task_id)
        return StreamCall(self, req, deadline=deadline)

    def raw_stream(
        self,
        method: str = "POST",
        path: str = "",
        body: bytes | str | None = None,
        headers: Mapping[str, str] | None = None,
        *,
        json_body: Any = None,
        deadline: float | None = None,
    ) -> StreamCall:
        """A streaming request with exactly this body (e.g. a stream call with bad params)."""
        hdrs = {"Accept": "text/event-stream", **self.dialect.version_headers()}
        content: bytes | None = body.encode() if isinstance(body, str) else body
        rpc_id = None
        if json_body is not None:
            content = json.dumps(json_body).encode()
            hdrs["Content-Type"] = "application/json"
            rpc_id = json_body.get("id") if isinstance(json_body, dict) else None
        hdrs.update(headers or {})
        req = HttpRequest("raw", method, path, hdrs, content, rpc_id, f"raw {method} {path or '/'}")
        return StreamCall(self, req, deadline=deadline)

    def slow_stream(
        self,
        text: str,
        task_id: str | None = None,
        context_id: str | None = None,
        *,
        rcvbuf: int = 8192,
        read_bytes: int = 1024,
        pause: float = 0.05,
        deadline: float | None = None,
    ) -> SlowStream:
        """A stream read slowly over a raw socket (see :mod:`pytest_a2a.wire.slowread`)."""
        from pytest_a2a.wire.slowread import SlowStream

        req = self.dialect.build("stream", text=text, task_id=task_id, context_id=context_id)
        return SlowStream(
            self.base_url,
            req.path,
            req.body or b"",
            {**self.headers, **req.headers},
            dialect=self.dialect,
            budget=self.budget,
            rcvbuf=rcvbuf,
            read_bytes=read_bytes,
            pause=pause,
            method=req.method,
            request_id=req.rpc_id,
            deadline=deadline,
            max_event_bytes=self.max_event_bytes,
        )

    async def stream_collect(
        self,
        text: str,
        task_id: str | None = None,
        context_id: str | None = None,
        *,
        message_id: str | None = None,
        deadline: float | None = None,
    ) -> StreamResult:
        """Open a stream, collect it to its end (bounded), close it."""
        async with self.stream(
            text, task_id, context_id, message_id=message_id, deadline=deadline
        ) as s:
            return await s.collect()

    async def resubscribe_collect(
        self, task_id: str, *, deadline: float | None = None
    ) -> StreamResult:
        async with self.resubscribe(task_id, deadline=deadline) as s:
            return await s.collect()


async def gather_bounded(
    coros: Iterable[Awaitable[T]],
    timeout: float,  # noqa: ASYNC109 - the deadline is the point: unfinished work is cancelled
    *,
    limit: int | None = None,
) -> list[T | BaseException]:
    """Run awaitables concurrently; results in order, exceptions returned (not raised).

    Whatever is not done after ``timeout`` seconds is cancelled and reported as a
    ``TimeoutError``; ``limit`` caps how many run at once (default: all).
    """
    sem = asyncio.Semaphore(limit) if limit else None

    async def run(aw: Awaitable[T]) -> T:
        if sem is None:
            return await aw
        async with sem:
            return await aw

    tasks = [asyncio.ensure_future(run(c)) for c in coros]
    if not tasks:
        return []
    _, pending = await asyncio.wait(tasks, timeout=timeout)
    for p in pending:
        p.cancel()
    if pending:
        await asyncio.wait(pending, timeout=2.0)
    out: list[T | BaseException] = []
    for t in tasks:
        if t in pending or t.cancelled():
            out.append(TimeoutError(f"not done within {timeout:.2f}s"))
        elif t.exception() is not None:
            exc = t.exception()
            assert exc is not None
            out.append(exc)
        else:
            out.append(t.result())
    return out
