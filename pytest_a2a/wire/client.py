"""`A2AClient`: the suite's own A2A client, built to observe servers rather than to trust them.

A facade: every operation is encoded by the :class:`~pytest_a2a.wire.dialects.Dialect` (so one
scenario runs in all three dialects), sent by the
:class:`~pytest_a2a.wire.transport.HttpTransport`, and answered with a
:class:`~pytest_a2a.wire.results.CallResult` or a stream
(:class:`~pytest_a2a.wire.transport.StreamCall`, :class:`~pytest_a2a.wire.slowread.SlowStream`)
whose :class:`~pytest_a2a.wire.results.StreamResult` says how it ended.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import TracebackType
from typing import Any

from pytest_a2a.budget import Budget
from pytest_a2a.wire.dialects import Dialect, envelope, get_dialect, new_id, raw_request
from pytest_a2a.wire.results import CallResult, StreamResult
from pytest_a2a.wire.slowread import SlowStream
from pytest_a2a.wire.sse import DEFAULT_MAX_EVENT_BYTES
from pytest_a2a.wire.transport import HttpTransport, StreamCall

__all__ = ["A2AClient"]


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
        self.transport = HttpTransport(base_url, self.budget, self.headers, verify=verify,
                                       max_body_bytes=max_event_bytes)

    async def __aenter__(self) -> A2AClient:
        self.transport.open()
        return self

    async def __aexit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self.transport.aclose()

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
        return await self._unary(
            "send",
            text=text,
            task_id=task_id,
            context_id=context_id,
            blocking=blocking,
            message_id=message_id,
        )

    async def get_task(self, task_id: str, history_length: int | None = None) -> CallResult:
        return await self._unary("get", task_id=task_id, history_length=history_length)

    async def cancel(self, task_id: str) -> CallResult:
        return await self._unary("cancel", task_id=task_id)

    async def list_tasks(self, context_id: str | None = None) -> CallResult:
        """``ListTasks`` / ``GET /tasks`` (1.0 only; raises ``UnsupportedOperation`` in 0.3)."""
        return await self._unary("list", context_id=context_id)

    async def _unary(self, op: str, **kwargs: Any) -> CallResult:
        return await self.transport.call(self.dialect.build(op, **kwargs), self.dialect)

    async def jsonrpc(
        self,
        method: str,
        params: Any,
        *,
        rpc_id: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> CallResult:
        """An arbitrary JSON-RPC call (unknown methods, bad params) with the dialect's headers."""
        body = envelope(method, params, rpc_id if rpc_id is not None else new_id("req"))
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
        base = self.dialect.version_headers() if dialect_headers else {}
        req = raw_request(method, path, base, body, json_body, headers)
        return await self.transport.call(req, self.dialect)

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
        return StreamCall(self.transport, req, self.dialect, deadline=deadline,
                          max_event_bytes=self.max_event_bytes)

    def resubscribe(self, task_id: str, *, deadline: float | None = None) -> StreamCall:
        """``tasks/resubscribe`` / ``SubscribeToTask`` / ``GET /tasks/{id}:subscribe``."""
        req = self.dialect.build("resubscribe", task_id=task_id)
        return StreamCall(self.transport, req, self.dialect, deadline=deadline,
                          max_event_bytes=self.max_event_bytes)

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
        base = {"Accept": "text/event-stream", **self.dialect.version_headers()}
        req = raw_request(method, path, base, body, json_body, headers)
        return StreamCall(self.transport, req, self.dialect, deadline=deadline,
                          max_event_bytes=self.max_event_bytes)

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
