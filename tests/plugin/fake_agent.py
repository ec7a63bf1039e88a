"""A tiny real A2A-ish server for plugin tests: serves an agent card (and one SSE stream).

Used where the reference server would be overkill (option, boot and collection tests): it
boots fast, declares exactly the interfaces a test asks for, and can record its pid.
Run: ``python fake_agent.py --port P [--dialects v0.3-jsonrpc,v1.0-rest] [--no-skill]
[--pidfile F] [--name N]``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, StreamingResponse
from starlette.routing import Route

ALL = ("v0.3-jsonrpc", "v1.0-jsonrpc", "v1.0-rest")


def card(base: str, dialects: tuple[str, ...], skill: bool, name: str) -> dict[str, Any]:
    interfaces = []
    if "v1.0-jsonrpc" in dialects:
        interfaces.append({"url": f"{base}/", "protocolBinding": "JSONRPC",
                           "protocolVersion": "1.0"})
    if "v1.0-rest" in dialects:
        interfaces.append({"url": base, "protocolBinding": "HTTP+JSON", "protocolVersion": "1.0"})
    data: dict[str, Any] = {
        "name": name,
        "version": "9.9",
        "description": "plugin test agent",
        "capabilities": {"streaming": True},
        "defaultInputModes": ["text/plain"],
        "defaultOutputModes": ["text/plain"],
        "skills": [{"id": "a2a-conformance", "name": "conformance", "description": "scripts",
                    "tags": []}] if skill else [],
        "supportedInterfaces": interfaces,
    }
    if "v0.3-jsonrpc" in dialects:
        data.update({"protocolVersion": "0.3.0", "url": f"{base}/",
                     "preferredTransport": "JSONRPC"})
    return data


def build_app(dialects: tuple[str, ...], skill: bool, name: str) -> Starlette:
    async def agent_card(request: Request) -> JSONResponse:
        base = str(request.base_url).rstrip("/")
        return JSONResponse(card(base, dialects, skill, name))

    async def stream(request: Request) -> StreamingResponse:
        async def body() -> AsyncIterator[bytes]:
            yield b'data: {"jsonrpc":"2.0","id":1,"result":{"kind":"status-update"}}\n\n'
            await asyncio.sleep(0)

        return StreamingResponse(body(), media_type="text/event-stream")

    return Starlette(routes=[
        Route("/.well-known/agent-card.json", agent_card),
        Route("/", stream, methods=["POST"]),
    ])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--dialects", default=",".join(ALL))
    parser.add_argument("--no-skill", action="store_true")
    parser.add_argument("--pidfile")
    parser.add_argument("--name", default="fake agent")
    args = parser.parse_args()
    if args.pidfile:
        with Path(args.pidfile).open("a") as fh:
            fh.write(f"{os.getpid()}\n")
    dialects = tuple(d for d in args.dialects.split(",") if d)
    app = build_app(dialects, not args.no_skill, args.name)
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
