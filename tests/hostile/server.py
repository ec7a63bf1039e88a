"""A hostile A2A target: a valid agent card, then one misbehaviour on every interface request.

Standard library only (threading ``http.server`` plus raw socket writes where HTTP itself is
broken), so it shares no code with the judge or the reference server. Run it as
``python -m tests.hostile.server --mode MODE`` (port 0: the bound port is printed on stdout as
``PORT <n>``), or in-process with :func:`serve`.

The card declares 1.0 JSON-RPC (``/rpc``), 1.0 HTTP+JSON (``/rest``) and 0.3 JSON-RPC
(``/v03``), streaming, and the ``a2a-conformance`` skill, so every scenario of the suite runs
against the misbehaviour. In stream modes *every* request to an interface (unary or stream,
any method) gets the hostile event stream; no stream ever carries a terminal status.
"""

from __future__ import annotations

import argparse
import json
import os
import select
import socket
import struct
import threading
import time
import uuid
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

CARD_PATHS = ("/.well-known/agent-card.json", "/.well-known/agent.json")
HUGE_EVENT_BYTES = 64 * 1024 * 1024
#: a stream mode's connection is given up (server side) after this long, so a hostile run
#: cannot leak threads forever; far above any budget the tests use
HOLD_MAX = 120.0
_PIECE = b"x" * (1024 * 1024)

STREAM_MODES = (
    "never-closes",  # the Task, then silence on an open connection
    "keepalive-only",  # ': ping' comments forever, never an event
    "working-forever",  # the Task, then non-terminal 'working' status updates forever
    "huge-event",  # the Task, then one 64 MiB event, then close
    "endless-line",  # 'data: xxxx…' forever, never a newline
    "invalid-utf8",  # events whose data is not UTF-8, then close
    "non-json",  # events whose data is not JSON, then close
    "tcp-reset",  # the Task and half an event, then a TCP RST
    "broken-chunked",  # one valid chunk, then an invalid chunk-size line, then close
)
POST_MODES = (
    "post-html-502",  # every interface request: HTTP 502 with an HTML error page
    "post-never",  # every interface request: read, never answered
    "post-close",  # every interface request: connection closed without an answer
)
CARD_MODES = (
    "card-redirect",  # the card URL redirects to itself
    "card-not-json",  # the card is an HTML page
)
MODES = STREAM_MODES + POST_MODES + CARD_MODES


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())


def agent_card(base: str) -> dict[str, Any]:
    return {
        "name": "pytest-a2a hostile target",
        "description": "Serves a valid card, then misbehaves on every interface request.",
        "version": "0.0.1",
        "supportedInterfaces": [
            {"url": f"{base}/rpc", "protocolBinding": "JSONRPC", "protocolVersion": "1.0"},
            {"url": f"{base}/rest", "protocolBinding": "HTTP+JSON", "protocolVersion": "1.0"},
            {"url": f"{base}/v03", "protocolBinding": "JSONRPC", "protocolVersion": "0.3"},
        ],
        "url": f"{base}/v03",
        "protocolVersion": "0.3.0",
        "preferredTransport": "JSONRPC",
        "capabilities": {"streaming": True, "pushNotifications": False},
        "defaultInputModes": ["text/plain"],
        "defaultOutputModes": ["text/plain"],
        "skills": [
            {
                "id": "a2a-conformance",
                "name": "a2a-conformance/1 script agent (claimed, never honoured)",
                "description": "Claims the script agent so every scenario runs.",
                "tags": ["conformance"],
            }
        ],
    }


class _Wire:
    """The request's dialect, ids and the JSON of its events (never a terminal status)."""

    def __init__(self, path: str, body: bytes) -> None:
        self.v03 = path.startswith("/v03")
        self.rest = path.startswith("/rest")
        self.rpc_id: Any = None
        self.task_id = f"task-{uuid.uuid4()}"
        self.context_id = f"ctx-{uuid.uuid4()}"
        try:
            doc = json.loads(body) if body else None
        except ValueError:
            doc = None
        if isinstance(doc, dict):
            self.rpc_id = doc.get("id")
            params = doc.get("params")
            if isinstance(params, dict) and isinstance(params.get("id"), str):
                self.task_id = params["id"]

    def _wrap(self, result: dict[str, Any]) -> bytes:
        doc = result if self.rest else {"jsonrpc": "2.0", "id": self.rpc_id, "result": result}
        return json.dumps(doc).encode()

    def _status(self, state: str) -> dict[str, Any]:
        return {"state": state if self.v03 else f"TASK_STATE_{state.upper()}", "timestamp": _now()}

    def task(self) -> bytes:
        task: dict[str, Any] = {
            "id": self.task_id, "contextId": self.context_id, "status": self._status("submitted")
        }
        return self._wrap({"kind": "task", **task} if self.v03 else {"task": task})

    def working(self) -> bytes:
        upd: dict[str, Any] = {
            "taskId": self.task_id, "contextId": self.context_id, "status": self._status("working")
        }
        if self.v03:
            return self._wrap({"kind": "status-update", **upd, "final": False})
        return self._wrap({"statusUpdate": upd})


def event(data: bytes) -> bytes:
    return b"data: " + data + b"\n\n"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: HostileServer

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        if self.path.split("?", 1)[0] in CARD_PATHS:
            self._card()
        else:
            self._interface(b"")

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(min(length, 1024 * 1024)) if length else b""
        self._interface(body)

    def _send_raw(self, data: bytes) -> None:
        self.wfile.write(data)
        self.wfile.flush()

    def _card(self) -> None:
        mode = self.server.mode
        if mode == "card-redirect":
            self.send_response(302)
            self.send_header("Location", self.path)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if mode == "card-not-json":
            page = b"<html><body><h1>Welcome to nginx!</h1></body></html>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            self._send_raw(page)
            return
        body = json.dumps(agent_card(self.server.base)).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self._send_raw(body)

    def _interface(self, body: bytes) -> None:
        mode = self.server.mode
        try:
            if mode in CARD_MODES:
                self.send_error(404)
            elif mode == "post-html-502":
                page = b"<html><head><title>502 Bad Gateway</title></head><body>" \
                    b"<center><h1>502 Bad Gateway</h1></center><hr>nginx</body></html>"
                self.send_response(502)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(page)))
                self.end_headers()
                self._send_raw(page)
            elif mode == "post-never":
                self._hold()
            elif mode == "post-close":
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
            else:
                self._stream(_Wire(self.path.split("?", 1)[0], body))
        except OSError:  # the client left: that is its right
            self.close_connection = True

    def _hold(self, tick: Callable[[], None] | None = None, every: float = 0.0) -> None:
        """Keep the connection open until the client leaves (or HOLD_MAX), calling ``tick``."""
        self.close_connection = True
        until = time.monotonic() + HOLD_MAX
        sock = self.connection
        while not self.server.stopping.is_set() and time.monotonic() < until:
            readable, _, _ = select.select([sock], [], [], every or 0.5)
            if readable and not sock.recv(4096, socket.MSG_PEEK):
                return  # EOF: the client closed
            if readable:
                sock.recv(4096)
            if tick is not None:
                tick()

    def _stream_headers(self, chunked: bool = False) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True

    def _stream(self, wire: _Wire) -> None:
        mode = self.server.mode
        if mode == "broken-chunked":
            self._stream_headers(chunked=True)
            first = event(wire.task())
            self._send_raw(b"%x\r\n%s\r\n" % (len(first), first))
            self._send_raw(b"zz-not-a-size\r\ngarbage\r\n")
            return
        self._stream_headers()
        if mode == "keepalive-only":
            self._hold(lambda: self._send_raw(b": ping\n\n"), every=0.2)
            return
        if mode == "endless-line":
            self._send_raw(b"data: ")
            until = time.monotonic() + HOLD_MAX
            while not self.server.stopping.is_set() and time.monotonic() < until:
                self._send_raw(_PIECE)
            return
        self._send_raw(event(wire.task()))
        if mode == "never-closes":
            self._hold()
        elif mode == "working-forever":
            self._hold(lambda: self._send_raw(event(wire.working())), every=0.05)
        elif mode == "huge-event":
            head = wire.working()[:-2] + b', "pad": "'  # a valid JSON event, 64 MiB long
            self._send_raw(b"data: " + head)
            for _ in range(HUGE_EVENT_BYTES // len(_PIECE)):
                self._send_raw(_PIECE)
            self._send_raw(b'"}}\n\n')
        elif mode == "invalid-utf8":
            for _ in range(3):
                self._send_raw(b'data: {"jsonrpc": "2.0", "result": "\xff\xfe\xc3\x28"}\n\n')
        elif mode == "non-json":
            for _ in range(3):
                self._send_raw(b"data: this is not JSON <html>\n\n")
        elif mode == "tcp-reset":
            half = event(wire.working())
            self._send_raw(half[: len(half) // 2])
            self.connection.setsockopt(
                socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
            )
            self.connection.close()


class HostileServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256

    def __init__(self, mode: str, host: str = "127.0.0.1", port: int = 0) -> None:
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}; modes: {', '.join(MODES)}")
        super().__init__((host, port), Handler)
        self.mode = mode
        self.stopping = threading.Event()
        self.base = f"http://{host}:{self.server_address[1]}"

    def stop(self) -> None:
        self.stopping.set()
        self.shutdown()
        self.server_close()


def serve(mode: str) -> HostileServer:
    """Start a server in a daemon thread; ``stop()`` it when done."""
    server = HostileServer(mode)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def _exit_at_stdin_eof() -> None:
    while os.read(0, 4096):
        pass
    os._exit(0)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", required=True, choices=MODES)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--exit-with-stdin", action="store_true",
                        help="exit when stdin closes (the parent died: no orphaned server)")
    args = parser.parse_args(argv)
    server = HostileServer(args.mode, port=args.port)
    if args.exit_with_stdin:
        threading.Thread(target=_exit_at_stdin_eof, daemon=True).start()
    print(f"PORT {server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.stopping.set()
        server.server_close()


if __name__ == "__main__":
    main()
