"""Raw-wire helpers for the adapter tests: dialect encoding, SSE reading, schema oracle.

Deliberately independent of ``pytest_a2a``'s own client (judge and judged share no wire
code): requests are built by hand, SSE is parsed by httpx-sse, events are validated against
the schemas in ``../shared/spec/``. Every read has a deadline.
"""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from httpx_sse import ServerSentEvent, aconnect_sse
from jsonschema import Draft7Validator, Draft202012Validator
from jsonschema.exceptions import best_match

SPEC = Path(__file__).resolve().parents[3] / "shared" / "spec"
if not SPEC.is_dir():  # the worktree layout: /work/main/tests/adapters -> /work/shared/spec
    SPEC = Path("/work/shared/spec")

V10_STATES = {
    f"TASK_STATE_{s.upper().replace('-', '_')}": s
    for s in (
        "submitted",
        "working",
        "input-required",
        "completed",
        "canceled",
        "failed",
        "rejected",
        "auth-required",
    )
}
TERMINAL = {"completed", "canceled", "failed", "rejected"}
INTERRUPTED = {"input-required", "auth-required"}


def _validator(kind: str) -> Draft7Validator | Draft202012Validator:
    if kind == "v0.3":
        s = json.loads((SPEC / "a2a-v0.3.0.schema.json").read_text())
        root = {
            "$ref": "#/definitions/SendStreamingMessageResponse",
            "definitions": s["definitions"],
        }
        return Draft7Validator(root)
    s = json.loads((SPEC / "a2a-v1.0-derived.lax.schema.json").read_text())
    ref = {"v1.0-jsonrpc": "JsonRpcStreamEvent", "v1.0-rest": "StreamResponse"}.get(
        kind, "RestErrorResponse"
    )
    return Draft202012Validator({"$ref": f"#/$defs/{ref}", "$defs": s["$defs"]})


_VALIDATORS: dict[str, Draft7Validator | Draft202012Validator] = {}
_NAIVE_TIME = re.compile(r'("timestamp":\s*"\d{4}-\d\d-\d\dT[\d:.]+)"')


def schema_errors(dialect: str, data: Any, tolerate: frozenset[str] = frozenset()) -> list[str]:
    """Schema violations of one SSE data payload in ``dialect`` (empty list: valid).

    ``tolerate`` neutralizes a known, separately reported deviation before validating, so
    the rest of the event is still checked: ``"naive-timestamps"`` adds the missing ``Z``.
    """
    key = {"v0.3-jsonrpc": "v0.3", "v1.0-jsonrpc": "v1.0-jsonrpc"}.get(dialect, "v1.0-rest")
    if key == "v1.0-rest" and isinstance(data, dict) and "error" in data:
        key = "v1.0-rest-error"
    if key not in _VALIDATORS:
        _VALIDATORS[key] = _validator(key)
    if "naive-timestamps" in tolerate:
        data = json.loads(_NAIVE_TIME.sub(r'\1Z"', json.dumps(data)))
    errors = list(_VALIDATORS[key].iter_errors(data))
    if not errors:
        return []
    best = best_match(errors)
    assert best is not None
    more = [f"(+{len(errors) - 1} more)"] if len(errors) > 1 else []
    return [f"{list(best.absolute_path)}: {best.message[:300]}", *more]


def declared_dialects(card: dict[str, Any]) -> dict[str, str]:
    """Dialect id -> interface URL, by the discovery rules of docs/architecture.md §2."""
    out: dict[str, str] = {}
    for itf in card.get("supportedInterfaces", []):
        version, binding = str(itf.get("protocolVersion", "")), itf.get("protocolBinding")
        if version.startswith("1.") or version == "1":
            if binding == "JSONRPC":
                out.setdefault("v1.0-jsonrpc", itf["url"])
            elif binding == "HTTP+JSON":
                out.setdefault("v1.0-rest", itf["url"])
        elif version.startswith("0.3") and binding == "JSONRPC":
            out.setdefault("v0.3-jsonrpc", itf["url"])
    if "v0.3-jsonrpc" not in out and str(card.get("protocolVersion", "")).startswith("0.3"):
        transports = [card.get("preferredTransport")] + [
            i.get("transport") for i in card.get("additionalInterfaces", [])
        ]
        if "JSONRPC" in transports and card.get("url"):
            out["v0.3-jsonrpc"] = card["url"]
    return out


@dataclass
class Event:
    """One decoded SSE event, the same shape for every dialect."""

    kind: str  # task | message | status | artifact | error
    body: dict[str, Any]  # the Task / Message / update / error object itself
    data: dict[str, Any]  # the whole SSE data payload
    sse: ServerSentEvent
    schema_errors: list[str] = field(default_factory=list)

    @property
    def state(self) -> str | None:
        status = self.body.get("status") if self.kind in ("task", "status") else None
        if not status:
            return None
        return V10_STATES.get(status.get("state"), status.get("state"))

    @property
    def status_text(self) -> str | None:
        msg = (self.body.get("status") or {}).get("message")
        return None if not msg else _text(msg["parts"])

    @property
    def text(self) -> str:
        """Text of a Message event or of an artifact update's parts."""
        parts = (
            self.body["artifact"]["parts"]
            if self.kind == "artifact"
            else self.body.get("parts", [])
        )
        return _text(parts)


def _text(parts: list[dict[str, Any]]) -> str:
    return "".join(p.get("text", "") for p in parts)


@dataclass(frozen=True)
class Dialect:
    """How to speak one dialect to one interface URL."""

    id: str
    url: str
    tolerate: frozenset[str] = frozenset()  # known deviations neutralized in schema checks

    @property
    def headers(self) -> dict[str, str]:
        return {} if self.id == "v0.3-jsonrpc" else {"A2A-Version": "1.0"}

    def message(self, text: str, task_id: str | None, context_id: str | None) -> dict[str, Any]:
        msg: dict[str, Any] = {"messageId": str(uuid.uuid4()), "parts": [{"text": text}]}
        if self.id == "v0.3-jsonrpc":
            msg.update(role="user", kind="message", parts=[{"kind": "text", "text": text}])
        else:
            msg["role"] = "ROLE_USER"
        if task_id:
            msg["taskId"] = task_id
        if context_id:
            msg["contextId"] = context_id
        return msg

    def request(self, op: str, **kw: Any) -> tuple[str, str, dict[str, Any] | None]:
        """(HTTP method, URL, JSON body) for op in stream|send|get|cancel|subscribe."""
        if op in ("stream", "send"):
            params: dict[str, Any] = {
                "message": self.message(kw["text"], kw.get("task_id"), kw.get("context_id"))
            }
        else:
            params = {"id": kw["task_id"]}
        if self.id == "v1.0-rest":
            base = self.url.rstrip("/")
            tid = kw.get("task_id")
            return {
                "stream": ("POST", f"{base}/message:stream", params),
                "send": ("POST", f"{base}/message:send", params),
                "get": ("GET", f"{base}/tasks/{tid}", None),
                "cancel": ("POST", f"{base}/tasks/{tid}:cancel", {}),
                "subscribe": ("GET", f"{base}/tasks/{tid}:subscribe", None),
            }[op]
        names = {
            "v0.3-jsonrpc": {
                "stream": "message/stream",
                "send": "message/send",
                "get": "tasks/get",
                "cancel": "tasks/cancel",
                "subscribe": "tasks/resubscribe",
            },
            "v1.0-jsonrpc": {
                "stream": "SendStreamingMessage",
                "send": "SendMessage",
                "get": "GetTask",
                "cancel": "CancelTask",
                "subscribe": "SubscribeToTask",
            },
        }[self.id]
        body = {"jsonrpc": "2.0", "id": kw.get("rpc_id", 1), "method": names[op], "params": params}
        return "POST", self.url, body

    def decode(self, sse: ServerSentEvent) -> Event:
        data = json.loads(sse.data)
        errors = schema_errors(self.id, data, self.tolerate)
        if self.id != "v1.0-rest":
            if "error" in data:
                return Event("error", data["error"], data, sse, errors)
            payload = data["result"]
        else:
            if "error" in data:
                return Event("error", data["error"], data, sse, errors)
            payload = data
        if self.id == "v0.3-jsonrpc":
            kind = {
                "task": "task",
                "message": "message",
                "status-update": "status",
                "artifact-update": "artifact",
            }.get(payload.get("kind", ""), "invalid")
            return Event(kind, payload, data, sse, errors)
        for member, kind in (
            ("task", "task"),
            ("message", "message"),
            ("statusUpdate", "status"),
            ("artifactUpdate", "artifact"),
        ):
            if member in payload:
                return Event(kind, payload[member], data, sse, errors)
        return Event("invalid", payload, data, sse, errors)

    def result(
        self, response: httpx.Response
    ) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
        """(result, error) of a unary call; REST bodies are the result itself."""
        body = response.json()
        if self.id == "v1.0-rest":
            return (None, body["error"]) if response.status_code >= 400 else (body, None)
        return body.get("result"), body.get("error")

    def task_of(self, result: dict[str, Any]) -> dict[str, Any]:
        """The Task inside a get/cancel result (1.0 JSON-RPC GetTask returns a bare Task)."""
        return result.get("task", result)


class Stream:
    """An open SSE response; :meth:`next` and :meth:`rest` are bounded by deadlines."""

    def __init__(
        self, dialect: Dialect, response: httpx.Response, events: AsyncIterator[ServerSentEvent]
    ):
        self.dialect = dialect
        self.response = response
        self._events = events
        self.events: list[Event] = []
        self.closed = False
        self.error: dict[str, Any] | None = None  # a plain JSON error answered instead of SSE

    async def next(self, wait: float) -> Event | None:
        """The next event, or None if the stream closed; TimeoutError past ``wait`` seconds."""
        try:
            sse = await asyncio.wait_for(anext(self._events), wait)
        except StopAsyncIteration:
            self.closed = True
            return None
        ev = self.dialect.decode(sse)
        self.events.append(ev)
        return ev

    async def rest(self, wait: float) -> list[Event]:
        """Read until the stream closes or ``wait`` seconds pass (then ``closed`` stays False)."""
        loop = asyncio.get_running_loop()
        end = loop.time() + wait
        while not self.closed:
            left = end - loop.time()
            if left <= 0:
                break
            try:
                await self.next(left)
            except TimeoutError:
                break
        return self.events

    async def until(self, pred: Any, wait: float) -> Event:
        """Read until an event satisfies ``pred``; AssertionError if it closes or times out."""
        loop = asyncio.get_running_loop()
        end = loop.time() + wait
        while True:
            ev = await self.next(max(0.0, end - loop.time()))
            assert ev is not None, f"stream closed before the awaited event: {summary(self.events)}"
            if pred(ev):
                return ev


@asynccontextmanager
async def open_stream(
    client: httpx.AsyncClient, dialect: Dialect, op: str = "stream", **kw: Any
) -> AsyncIterator[Stream]:
    """Open a streaming call; the caller reads with deadlines. Non-SSE answers are asserted."""
    method, url, body = dialect.request(op, **kw)
    async with aconnect_sse(client, method, url, json=body, headers=dialect.headers) as source:
        stream = Stream(dialect, source.response, source.aiter_sse().__aiter__())
        if "text/event-stream" not in source.response.headers.get("content-type", ""):
            await asyncio.wait_for(source.response.aread(), 10.0)
            stream.closed = True
            stream.error = source.response.json().get("error")
        yield stream


async def call(client: httpx.AsyncClient, dialect: Dialect, op: str, **kw: Any) -> httpx.Response:
    method, url, body = dialect.request(op, **kw)
    return await client.request(method, url, json=body, headers=dialect.headers)


def summary(events: list[Event]) -> str:
    return " ".join(f"{e.kind}:{e.state}" if e.state else e.kind for e in events)


async def record(
    client: httpx.AsyncClient,
    method: str,
    url: str,
    *,
    body: bytes,
    headers: dict[str, str],
    wait: float,
    title: str,
    on_chunk: Callable[[bytes], None] | None = None,
) -> str:
    """A raw transcript of one exchange: request, status, headers, body bytes with arrival times.

    Reads until the server closes or ``wait`` seconds pass (then says the stream was left open).
    """
    loop = asyncio.get_running_loop()
    req_headers = {"Content-Type": "application/json", **headers}
    lines = [f"# {title}", "", f"> {method} {url}"]
    lines += [f"> {k}: {v}" for k, v in req_headers.items()]
    lines += [">", *(f"> {line}" for line in body.decode().splitlines()), ""]
    t0 = loop.time()
    end = "closed by server"
    async with client.stream(method, url, content=body or None, headers=req_headers) as resp:
        lines.append(f"< HTTP/1.1 {resp.status_code} {resp.reason_phrase}")
        lines += [f"< {k}: {v}" for k, v in resp.headers.items()]
        lines.append("<")
        chunks = resp.aiter_raw().__aiter__()
        while True:
            left = t0 + wait - loop.time()
            try:
                chunk = await asyncio.wait_for(anext(chunks), max(left, 0.001))
            except StopAsyncIteration:
                break
            except TimeoutError:
                end = f"STILL OPEN after {wait:g}s (client gave up)"
                break
            lines.append(f"+{loop.time() - t0:.3f}s {chunk!r}")
            if on_chunk is not None:
                on_chunk(chunk)
    lines += ["", f"-- {end} at +{loop.time() - t0:.3f}s", ""]
    return "\n".join(lines)
