"""HTTP over httpx: one connection pool per client, unary calls, and streams read in background.

Every wait has a deadline from the :class:`Budget` (``call`` for a unary answer, ``idle`` for
stream headers, the stream deadline for an error body); decoding is the dialect's job.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from types import TracebackType

import httpx

from pytest_a2a.budget import Budget
from pytest_a2a.wire import observe
from pytest_a2a.wire.dialects import Dialect, HttpRequest
from pytest_a2a.wire.ledger import BodyHold
from pytest_a2a.wire.media import is_json_type
from pytest_a2a.wire.results import CallResult, EndState
from pytest_a2a.wire.sse import DEFAULT_MAX_EVENT_BYTES
from pytest_a2a.wire.stream import MAX_ERROR_BODY, EventStream
from pytest_a2a.wire.tls import tls_context

__all__ = ["HttpTransport", "StreamCall"]


#: a client keeps finished (idle) connections for reuse only while it holds at most this many
#: connections; beyond, httpcore closes each one as its response ends. Its pool checks every
#: idle connection against all connections whenever a request starts or a response closes
#: (O(idle x open)): with no cap, 100 finished load streams kept alive cost ~1.7M checks per
#: suite run. Closing a connection whose response is over changes nothing a server is judged on.
KEEPALIVE = 20


class HttpTransport:
    """One interface URL over one ``httpx.AsyncClient`` (no limit on open connections, idle
    ones kept up to ``KEEPALIVE``, no redirects)."""

    def __init__(
        self, base_url: str, budget: Budget, headers: Mapping[str, str], *, verify: bool = True,
        max_body_bytes: int = DEFAULT_MAX_EVENT_BYTES,
    ) -> None:
        self.max_body_bytes = max_body_bytes  # a unary answer is held whole: bounded like an event
        self.base_url = base_url
        self.budget = budget
        self.headers = headers
        self._verify = verify
        self._http: httpx.AsyncClient | None = None

    def open(self) -> None:
        if self._http is None:
            self._http = httpx.AsyncClient(
                headers=self.headers,
                limits=httpx.Limits(max_connections=None, max_keepalive_connections=KEEPALIVE),
                timeout=httpx.Timeout(None, connect=self.budget.connect),
                follow_redirects=False,
                verify=tls_context() if self._verify else False,
            )

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

    async def call(self, req: HttpRequest, dialect: Dialect) -> CallResult:
        """Send one unary request and wait (``budget.call``) for the whole answer."""
        res = CallResult(op=req.op, request_id=req.rpc_id)
        url = self.url(req.path)
        res.transcript.request(req.method, url, req.label)
        obs = observe.start(op=req.op, dialect=dialect.id, method=req.method, url=url,
                            headers={**self.headers, **req.headers}.items(), body=req.body)
        t0 = time.monotonic()
        body = bytearray()
        try:
            async with asyncio.timeout(self.budget.call):
                resp = await self.http.send(self.http.build_request(
                    req.method, url, content=req.body, headers=req.headers), stream=True)
                held = BodyHold(self.max_body_bytes)  # bounded, also process-wide
                try:
                    async for chunk in resp.aiter_bytes():
                        body += chunk
                        res.transport_error = held.hold(len(body))
                        if res.transport_error:
                            break
                finally:
                    held.release()
                    await resp.aclose()
        except TimeoutError:
            res.transport_error = f"no complete answer within {self.budget.call:.2f}s"
        except httpx.HTTPError as exc:
            res.transport_error = f"{type(exc).__name__}: {exc}"
        res.t = time.monotonic() - t0
        if res.transport_error:
            if obs is not None:
                obs.end(res.t, "transport-error", res.transport_error)
            res.transcript.finish(res.t, "transport-error", res.transport_error)
            return res
        res.http_status = resp.status_code
        res.content_type = resp.headers.get("content-type")
        res.headers = resp.headers
        res.body = bytes(body)
        del body
        if obs is not None:
            obs.response(res.t, resp.status_code, resp.headers.multi_items())
            obs.chunk(res.t, res.body)
            obs.end(res.t, "closed")
        res.transcript.response(res.t, resp.status_code, res.content_type)
        res.transcript.chunk(len(res.body))
        res.transcript.note(res.t, f"body: {res.body[:300].decode('utf-8', 'replace')!r}")
        dialect.decode_call(req, res)
        res.transcript.finish(res.t, "closed")
        return res


class StreamCall(EventStream):
    """One streaming request over a transport's connection pool (an async context manager)."""

    def __init__(
        self,
        transport: HttpTransport,
        request: HttpRequest,
        dialect: Dialect,
        *,
        deadline: float | None = None,
        max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES,
    ) -> None:
        super().__init__(
            dialect,
            transport.budget,
            request_id=request.rpc_id,
            deadline=deadline,
            max_event_bytes=max_event_bytes,
        )
        self._transport = transport
        self._request = request
        self._response: httpx.Response | None = None
        self._obs: observe.ExchangeObserver | None = None  # --a2a-record, when installed

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
        url = self._transport.url(req.path)
        self.transcript.request(method, url, req.label)
        http = self._transport.http
        content = req.body if method != "GET" else None
        request = http.build_request(method, url, content=content, headers=req.headers)
        if self._obs is not None:  # the 405 answer before a fallback
            self._obs.end(self.now(), "closed", f"405: retried with {method}")
        self._obs = observe.start(op=req.op, dialect=self.dialect.id, method=method, url=url,
                                  headers={**self._transport.headers, **req.headers}.items(),
                                  body=content)
        limit = min(self.budget.idle, self._hard_deadline() - self.now())
        try:
            async with asyncio.timeout(max(limit, 0.0)):
                response = await http.send(request, stream=True)
            if self._obs is not None:
                self._obs.response(self.now(), response.status_code,
                                   response.headers.multi_items())
            return response
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
                    if self._obs is not None:
                        self._obs.chunk(self.now(), chunk)
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
                if self._obs is not None:
                    self._obs.chunk(self.now(), chunk)
                self._ingest(chunk)
                if self.end is not None:  # oversize
                    return
            self._finish("closed")
        except httpx.HTTPError as exc:
            self._finish("transport-error", f"{type(exc).__name__}: {exc}")

    def _finish(self, end: EndState, reason: str = "") -> None:
        first = self.end is None
        super()._finish(end, reason)
        if first and self._obs is not None:
            self._obs.end(self.now(), end, reason)

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
