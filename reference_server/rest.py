"""The HTTP+JSON (REST) binding, v1.0, under the server root.

Routes: ``POST /message:send``, ``POST /message:stream``, ``GET /tasks/{id}``,
``POST /tasks/{id}:cancel``, ``GET|POST /tasks/{id}:subscribe``, ``GET /tasks``. Errors are
google.rpc.Status JSON (TaskNotFound → 404, other A2A errors → 400, internal → 500). A missing
``A2A-Version`` header is served as 1.0 (this binding only exists in 1.0 here).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import unquote

from starlette.requests import Request

from reference_server import wire_v10
from reference_server.errors import (
    CONTENT_TYPE_NOT_SUPPORTED,
    INVALID_REQUEST,
    UNSUPPORTED_OPERATION,
    VERSION_NOT_SUPPORTED,
    A2AError,
)
from reference_server.http_io import as_answered, json_response, plain_500, read_body
from reference_server.service import Service
from reference_server.sse import SseResponse, error_event_stream

ASGIApp = Callable[[dict[str, Any], Any, Any], Awaitable[None]]


class NoRoute(A2AError):
    pass


class RestEndpoint:
    def __init__(self, service: Service) -> None:
        self.service = service
        self.options = service.options
        self.enc = wire_v10.V10Encoder(service.options)

    async def handle(self, request: Request) -> ASGIApp:
        path, method = request.url.path, request.method
        streaming = path == "/message:stream" or path.endswith(":subscribe")
        try:
            self._check_version(request.headers.get("a2a-version"))
            return await self._route(request, path, method)
        except A2AError as error:
            return self.error(error, streaming=streaming)

    def error(self, error: A2AError, *, streaming: bool = False) -> ASGIApp:
        error = as_answered(error, self.options)
        if self.options.fault("errors-as-500"):
            return plain_500(error)
        status, body = error.rest_body(self.options.variant)
        if isinstance(error, NoRoute):
            body["error"]["status"] = "NOT_FOUND"
            body["error"].pop("details", None)
        if streaming and self.options.variant("sse-errors"):
            options = self.options

            async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
                await error_event_stream(body, options, send)

            return app
        return json_response(body, status)

    def _check_version(self, header: str | None) -> None:
        value = (header or "").strip()
        if value in ("", "1", "1.0") or value.startswith("1.0."):
            return
        if self.options.fault("version-not-checked"):
            return
        raise A2AError(VERSION_NOT_SUPPORTED, f"A2A-Version {value!r} is not supported; use 1.0")

    async def _route(self, request: Request, path: str, method: str) -> ASGIApp:
        svc, enc = self.service, self.enc
        if path in ("/message:send", "/message:stream"):
            _allow(method, "POST")
            req = wire_v10.decode_send(await self._json_body(request))
            if path == "/message:send":
                return json_response(enc.send_result(await svc.send(req), req.history_length))
            self._check_streaming()
            return self._stream(svc.stream(req))
        if path in ("/tasks", "/tasks/"):
            _allow(method, "GET")
            query = wire_v10.decode_list(dict(request.query_params))
            views, total, token = svc.list(query)
            return json_response(enc.list_result(views, query, total, token))
        if path.startswith("/tasks/"):
            rest = unquote(path[len("/tasks/") :])
            task_id, _, verb = rest.partition(":")
            if not task_id or "/" in task_id:
                raise _no_route(path)
            if verb == "":
                _allow(method, "GET")
                length = wire_v10.decode_get({"id": task_id, **dict(request.query_params)})[1]
                return json_response(enc.task(svc.get(task_id), length))
            if verb == "cancel":
                _allow(method, "POST")
                return json_response(enc.task(await svc.cancel(task_id)))
            if verb == "subscribe":
                _allow(method, "GET", "POST")
                self._check_streaming()
                return self._stream(await svc.resubscribe(task_id, v10=True))
        raise _no_route(path)

    async def _json_body(self, request: Request) -> Any:
        content_type = request.headers.get("content-type", "application/json")
        if "json" not in content_type.lower():
            raise A2AError(
                CONTENT_TYPE_NOT_SUPPORTED, f"content type {content_type!r}; send application/json"
            )
        body = await read_body(request, self.options.max_body)
        try:
            return json.loads(body)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise A2AError(INVALID_REQUEST, f"request body is not valid JSON: {exc}") from None

    def _check_streaming(self) -> None:
        if self.options.variant("no-streaming") and not self.options.fault(
            "streaming-capability-ignored"
        ):
            raise A2AError(UNSUPPORTED_OPERATION, "streaming is not supported by this agent")

    def _stream(self, plan: Any) -> ASGIApp:
        return SseResponse(
            plan,
            self.enc.stream_response,
            self.service,
            final_task=self.options.variant("final-task"),
        )


def _allow(method: str, *allowed: str) -> None:
    if method not in allowed:
        raise A2AError(
            UNSUPPORTED_OPERATION,
            f"method {method} not allowed here; use {' or '.join(allowed)}",
            http_status=405,
        )


def _no_route(path: str) -> NoRoute:
    return NoRoute(INVALID_REQUEST, f"no A2A HTTP+JSON route at {path!r}", http_status=404)
