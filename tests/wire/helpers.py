"""Wire-test helpers: sample events per dialect and small raw asyncio servers.

The raw servers speak HTTP/1.1 by hand on a loopback port so a test can be exactly as legit or
as hostile as it needs (CRLF, tiny chunks, never closing, keep-alives only, 10 MB events,
garbage instead of HTTP) -- things a real framework will not do on request.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

Handler = Callable[["Request", asyncio.StreamWriter], Awaitable[None]]


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body) if self.body else None

    @property
    def rpc_id(self) -> Any:
        doc = self.json
        return doc.get("id") if isinstance(doc, dict) else None


@dataclass
class RawServer:
    url: str
    requests: list[Request] = field(default_factory=list)
    disconnects: int = 0
    disconnected: asyncio.Event = field(default_factory=asyncio.Event)


async def _read_request(reader: asyncio.StreamReader) -> Request:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    method, path, _ = lines[0].split(" ", 2)
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            k, v = line.split(":", 1)
            headers[k.strip().lower()] = v.strip()
    body = b""
    if "content-length" in headers:
        body = await reader.readexactly(int(headers["content-length"]))
    return Request(method, path, headers, body)


@contextlib.asynccontextmanager
async def raw_server(handler: Handler) -> AsyncIterator[RawServer]:
    """Serve ``handler`` (one call per connection) on 127.0.0.1; closes everything on exit."""
    state = RawServer(url="")
    conns: set[asyncio.Task[Any]] = set()

    async def on_conn(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        conns.add(task)
        try:
            while True:
                try:
                    req = await _read_request(reader)
                except (asyncio.IncompleteReadError, ConnectionError):
                    return
                state.requests.append(req)
                await handler(req, writer)
                if writer.is_closing():
                    return
        except ConnectionError:
            state.disconnects += 1
            state.disconnected.set()
        finally:
            conns.discard(task)
            writer.close()

    server = await asyncio.start_server(on_conn, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    state.url = f"http://127.0.0.1:{port}"
    try:
        yield state
    finally:
        server.close()
        for t in list(conns):
            t.cancel()
        if conns:
            await asyncio.wait(list(conns), timeout=2.0)
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(2.0):
                await server.wait_closed()


def sse_head(content_type: str = "text/event-stream", chunked: bool = False) -> bytes:
    lines = ["HTTP/1.1 200 OK", f"Content-Type: {content_type}", "Cache-Control: no-cache"]
    lines.append("Transfer-Encoding: chunked" if chunked else "Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def chunk(data: bytes) -> bytes:
    """One HTTP/1.1 chunk (chunked transfer encoding)."""
    return f"{len(data):x}\r\n".encode() + data + b"\r\n"


def json_response(status: int, doc: Any, content_type: str = "application/json") -> bytes:
    body = json.dumps(doc).encode()
    reason = {200: "OK", 400: "Bad Request", 404: "Not Found", 500: "Internal Server Error"}
    head = (
        f"HTTP/1.1 {status} {reason.get(status, 'X')}\r\nContent-Type: {content_type}\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


# -- sample events per dialect ---------------------------------------------------------------


def _v03(rpc_id: Any, result: dict[str, Any]) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": rpc_id, "result": result}


def sample_events(dialect: str, rpc_id: Any = "r1", task: str = "t1", ctx: str = "c1") -> list[Any]:
    """A clean task stream: Task(submitted), working, artifact, completed (final)."""
    if dialect == "v0.3-jsonrpc":
        text = {"kind": "text", "text": "hello"}
        results: list[dict[str, Any]] = [
            {"kind": "task", "id": task, "contextId": ctx, "status": {"state": "submitted"}},
            {"kind": "status-update", "taskId": task, "contextId": ctx,
             "status": {"state": "working", "timestamp": "2025-01-01T00:00:00Z"}, "final": False},
            {"kind": "artifact-update", "taskId": task, "contextId": ctx,
             "artifact": {"artifactId": "a1", "parts": [text]}, "append": False, "lastChunk": True},
            {"kind": "status-update", "taskId": task, "contextId": ctx,
             "status": {"state": "completed"}, "final": True},
        ]
        return [_v03(rpc_id, r) for r in results]
    v10: list[dict[str, Any]] = [
        {"task": {"id": task, "contextId": ctx, "status": {"state": "TASK_STATE_SUBMITTED"}}},
        {"statusUpdate": {"taskId": task, "contextId": ctx,
                          "status": {"state": "TASK_STATE_WORKING",
                                     "timestamp": "2025-01-01T00:00:00.123Z"}}},
        {"artifactUpdate": {"taskId": task, "contextId": ctx,
                            "artifact": {"artifactId": "a1", "parts": [{"text": "hello"}]},
                            "append": False, "lastChunk": True}},
        {"statusUpdate": {"taskId": task, "contextId": ctx,
                          "status": {"state": "TASK_STATE_COMPLETED"}}},
    ]
    if dialect == "v1.0-rest":
        return v10
    return [{"jsonrpc": "2.0", "id": rpc_id, "result": r} for r in v10]


def encode_events(payloads: list[Any], eol: bytes = b"\n", *, comments: bool = False,
                  multiline: bool = False, fields: bool = False) -> bytes:
    out = bytearray()
    for i, p in enumerate(payloads):
        if comments:
            out += b": ping" + eol
        if fields:
            out += b"event: message" + eol + f"id: {i}".encode() + eol + b"retry: 1000" + eol
        text = json.dumps(p, indent=1) if multiline else json.dumps(p)
        for line in text.split("\n"):
            out += b"data: " + line.encode() + eol
        out += eol
    return bytes(out)


DIALECTS = ("v0.3-jsonrpc", "v1.0-jsonrpc", "v1.0-rest")
