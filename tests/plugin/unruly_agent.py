"""A stdlib A2A-looking server that misbehaves on request, for the stall and root-cause tests.

Serves an agent card (JSON-RPC 1.0 at ``/`` unless ``jsonrpc_url`` points elsewhere, e.g. at
a closed port); every POST is answered as ``post_mode`` says. ``GET /control/freeze?s=N``
freezes the whole server for N seconds from now, the way a blocked event loop does: the
connection is accepted (the kernel does that) and nothing is answered until the time is up.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from urllib.parse import parse_qs, urlsplit


class UnrulyAgent:
    def __init__(self, *, post_mode: str = "html502", jsonrpc_url: str | None = None) -> None:
        self.post_mode = post_mode
        self.jsonrpc_url = jsonrpc_url
        self.frozen_until = 0.0
        self.stopping = threading.Event()
        agent = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                if parts.path == "/control/freeze":
                    seconds = float(parse_qs(parts.query)["s"][0])
                    agent.frozen_until = time.monotonic() + seconds
                    return self._send(200, "text/plain", b"frozen")
                agent.wait_if_frozen()
                if parts.path == "/.well-known/agent-card.json":
                    return self._send(200, "application/json", json.dumps(agent.card(
                        f"http://{self.headers['Host']}")).encode())
                return self._send(404, "text/html", b"<html>not found</html>")

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                agent.wait_if_frozen()
                if agent.post_mode == "html502":
                    return self._send(502, "text/html", b"<html><h1>502 Bad Gateway</h1></html>")
                body = {"jsonrpc": "2.0", "id": None,
                        "error": {"code": -32601, "message": "no methods here"}}
                return self._send(200, "application/json", json.dumps(body).encode())

            def _send(self, status: int, ctype: str, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def card(self, base: str) -> dict[str, object]:
        return {
            "name": "unruly agent", "version": "1", "description": "misbehaves on request",
            "capabilities": {"streaming": True}, "defaultInputModes": ["text/plain"],
            "defaultOutputModes": ["text/plain"], "skills": [],
            "supportedInterfaces": [{"url": self.jsonrpc_url or f"{base}/",
                                     "protocolBinding": "JSONRPC", "protocolVersion": "1.0"}],
        }

    def wait_if_frozen(self) -> None:
        while time.monotonic() < self.frozen_until and not self.stopping.is_set():
            self.stopping.wait(0.01)

    def __enter__(self) -> UnrulyAgent:
        self._thread.start()
        return self

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stopping.set()
        self.server.shutdown()
        self.server.server_close()
