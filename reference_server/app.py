"""The ASGI application: card, JSON-RPC at ``POST /``, REST for everything else.

Anything unexpected becomes a JSON -32603 / google.rpc INTERNAL answer, never an HTML page.
"""

from __future__ import annotations

import logging
from typing import Any

from starlette.requests import Request

from reference_server.card import LEGACY_CARD_PATH, V03_ONLY_PATH, agent_card
from reference_server.errors import INTERNAL_ERROR, A2AError
from reference_server.http_io import json_response
from reference_server.jsonrpc import JsonRpcEndpoint
from reference_server.options import Options
from reference_server.rest import RestEndpoint
from reference_server.service import Service

CARD_PATH = "/.well-known/agent-card.json"
log = logging.getLogger("reference_server")


class ReferenceApp:
    def __init__(self, options: Options) -> None:
        self.options = options
        self.service = Service(options)
        self.jsonrpc = JsonRpcEndpoint(self.service)
        self.rest = RestEndpoint(self.service)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send, self.service)
            return
        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        try:
            app = await self._route(request)
        except Exception as exc:  # a server bug: still answer JSON
            log.exception("internal error")
            app = self._internal(request, exc)
        await app(scope, receive, send)

    async def _route(self, request: Request) -> Any:
        path = request.url.path
        legacy = self.options.fault("card-legacy-path")
        if path == (LEGACY_CARD_PATH if legacy else CARD_PATH):
            base = f"{request.url.scheme}://{request.url.netloc}"
            return json_response(agent_card(base, self.options))
        if path == "/" and request.method == "POST":
            return await self.jsonrpc.handle(request)
        if (
            path == V03_ONLY_PATH
            and request.method == "POST"
            and self.options.fault("interface-dialect-mismatch")
        ):
            return await self.jsonrpc.handle(request, version="0.3")  # ignores A2A-Version
        return await self.rest.handle(request)

    def _internal(self, request: Request, exc: Exception) -> Any:
        error = A2AError(INTERNAL_ERROR, f"internal error: {type(exc).__name__}: {exc}")
        if request.url.path == "/":
            return self.jsonrpc.error(error, None)
        return self.rest.error(error)

    def shutdown(self) -> None:
        self.service.shutdown()


async def _lifespan(receive: Any, send: Any, service: Service) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            service.shutdown()
            await send({"type": "lifespan.shutdown.complete"})
            return
