"""The reference server behind a gate: any request without ``X-Conformance-Key: s3cret`` gets 401.

``python tests/plugin/header_gate.py PORT``: a stand-in for a server that needs auth, so a test
can prove ``--a2a-header`` reaches the server on every request of every scenario (card, calls,
streams, re-attaches, raw-socket slow readers).
"""

from __future__ import annotations

import sys
from typing import Any

import uvicorn

from reference_server.app import ReferenceApp
from reference_server.options import DEFAULT_BUFFER, make_options

HEADER = "X-Conformance-Key: s3cret"
_NAME, _VALUE = (s.strip().lower().encode() for s in HEADER.split(":", 1))


class Gate:
    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http" and (_NAME, _VALUE) not in [
                (k.lower(), v.lower()) for k, v in scope["headers"]]:
            body = b'{"error": "missing or wrong X-Conformance-Key"}'
            await send({"type": "http.response.start", "status": 401,
                        "headers": [(b"content-type", b"application/json"),
                                    (b"content-length", str(len(body)).encode())]})
            await send({"type": "http.response.body", "body": body})
            return
        await self.app(scope, receive, send)


if __name__ == "__main__":
    app = ReferenceApp(make_options([], [], DEFAULT_BUFFER))
    uvicorn.run(Gate(app), host="127.0.0.1", port=int(sys.argv[1]), log_level="warning",
                timeout_graceful_shutdown=1)
