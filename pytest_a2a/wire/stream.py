"""`EventStream`: the consumer side of every stream, and how it judges a stream's end.

A source (httpx in :mod:`~pytest_a2a.wire.transport`, a raw socket in
:mod:`~pytest_a2a.wire.slowread`) feeds bytes with ``_ingest`` and calls ``_finish``; events are
parsed by an :class:`~pytest_a2a.wire.sse.SSEParser` (raw bytes and arrival times kept in a
:class:`~pytest_a2a.wire.transcript.Transcript`). The consumer (``next_event``, ``collect``) only
ever waits with a deadline derived from the :class:`Budget`, so a hostile server (never closes,
keep-alives only, headers then silence, 10 MB events, garbage) yields a bounded
:class:`~pytest_a2a.wire.results.StreamResult` that says how the stream ended and what arrived.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Mapping
from typing import Any

from pytest_a2a.budget import Budget
from pytest_a2a.wire.dialects import Dialect, decode_error_body
from pytest_a2a.wire.media import is_json_type, media_type
from pytest_a2a.wire.models import RpcError, StreamEvent
from pytest_a2a.wire.results import EndState, StreamResult
from pytest_a2a.wire.schema import stream_event_errors, stream_validator
from pytest_a2a.wire.sse import (
    DEFAULT_MAX_EVENT_BYTES,
    SSEComment,
    SSEEvent,
    SSEParser,
    simple_data,
)
from pytest_a2a.wire.transcript import Transcript

__all__ = ["MAX_ERROR_BODY", "EventStream", "events_judged"]

MAX_ERROR_BODY = 1024 * 1024  # an error answer longer than this is judged on its start

_events_judged = 0


# json.loads without its Python wrappers (~1 us an event): a document it does not take whole
# (surrounding whitespace, a BOM, an error) goes to json.loads itself, for its exact result or
# message. typeshed does not declare ``scan_once``.
_scan_json: Callable[[str, int], tuple[Any, int]] = json.JSONDecoder().scan_once  # type: ignore[attr-defined]


def events_judged() -> int:
    """SSE events this process has parsed, decoded and schema-validated, all streams together:
    the numerator of a run's cost line (each xdist worker counts its own events)."""
    return _events_judged


class EventStream:
    """Consumer side shared by every stream source (httpx in transport, raw sockets in slowread).

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
        self.end: EndState | None = None
        self.end_reason = ""
        self.end_t: float | None = None
        self._parser = SSEParser(max_event_bytes=max_event_bytes)
        self._is_valid = stream_validator(dialect.id).is_valid
        self._dialect_id = dialect.id
        self._decode_payload = dialect.decode_event
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
        transcript, events, decode = self.transcript, self.events, self._decode
        transcript.chunk(len(chunk))
        for item in self._parser.feed_wire(chunk, t):
            if isinstance(item, bytes):  # a simple event: every event of a burst
                transcript.wire_event(t, item)
                events.append(decode(item, simple_data(item), t))
            elif isinstance(item, SSEEvent):
                transcript.item(item)
                events.append(decode(item, item.data, item.t))
            else:
                transcript.item(item)
                self.comments.append(item)
        if self._parser.oversize:
            self._finish("oversize", self._parser.oversize_reason)
        self._wake.set()

    def _decode(self, raw: SSEEvent | bytes, data: str, t: float) -> StreamEvent:
        """One parse of ``data``, decoded and schema-validated; the parsed tree is dropped."""
        global _events_judged
        _events_judged += 1
        dialect = self._dialect_id
        ev = StreamEvent(len(self.events), t, raw, dialect)
        try:
            payload, end = _scan_json(data, 0)
            if end != len(data):
                raise ValueError("extra data")
        except Exception:  # json.loads raises the real error, if any
            try:
                payload = json.loads(data)
            except (ValueError, RecursionError) as exc:  # a hostile nesting depth is not JSON
                ev.problems = (f"data is not JSON ({exc}): {data[:80]!r}",)
                ev.schema_errors = (ev.reason,)
                return ev
        self._decode_payload(payload, ev)
        if payload is None:  # "null": nothing to validate, the decoder said why
            ev.schema_errors = (ev.reason or "data is not JSON",)
            return ev
        try:
            valid = self._is_valid(payload)
        except ValueError:  # a value JSON has no spelling for (NaN): stream_event_errors says so
            valid = False
        if not valid:
            ev.schema_errors = stream_event_errors(dialect, payload)
        return ev

    def _finish(self, end: EndState, reason: str = "") -> None:
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
        predicate: Callable[[StreamEvent], object],
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

    def _verdict(self) -> tuple[EndState, str] | None:
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
