"""The adapters' shared launcher: bind first, then serve, then announce readiness.

Binding before building the app lets ``--port 0`` work and the agent card name the real port;
the ``listening on URL`` line is what ``--a2a-server-cmd`` launchers and the tests wait for.
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import sys
from collections.abc import Callable
from typing import Any

import uvicorn


def run(prog: str, create_app: Callable[[str], Any], argv: list[str] | None = None) -> None:
    """Parse ``--host``/``--port``, bind, serve ``create_app(base_url)`` until stopped."""
    parser = argparse.ArgumentParser(prog=prog)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)
    # IPPROTO_TCP so asyncio disables Nagle on accepted sockets (else ~40 ms per keep-alive answer)
    family = socket.AF_INET6 if ":" in args.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((args.host, args.port))
    host = f"[{args.host}]" if ":" in args.host else args.host
    base_url = f"http://{host}:{sock.getsockname()[1]}"
    server = _Server(uvicorn.Config(create_app(base_url), log_level="warning"), base_url)
    asyncio.run(server.serve(sockets=[sock]))
    sys.exit(0 if server.started else 1)


class _Server(uvicorn.Server):
    """uvicorn, announcing ``listening on URL`` once it accepts (what launchers wait for)."""

    def __init__(self, config: uvicorn.Config, base_url: str) -> None:
        super().__init__(config)
        self.base_url = base_url

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started:
            print(f"listening on {self.base_url}", flush=True)
