"""The JSON-RPC binding at ``POST /``: v0.3 and v1.0, told apart by the ``A2A-Version`` header.

Order of checks: body size, JSON (-32700, id null), envelope (-32600), version (-32009),
method (-32601), params (-32602), then the operation. Errors are always JSON (or, with the
``sse-errors`` variant and a streaming method, one SSE error event).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from reference_server import wire_v03, wire_v10
from reference_server.errors import (
    INVALID_REQUEST,
    METHOD_NOT_FOUND,
    PARSE_ERROR,
    PUSH_NOT_SUPPORTED,
    UNSUPPORTED_OPERATION,
    VERSION_NOT_SUPPORTED,
    A2AError,
)
from reference_server.http_io import as_answered, json_response, plain_500, read_body
from reference_server.model import Event
from reference_server.requests import decode_id
from reference_server.service import Service, StreamPlan
from reference_server.sse import SseResponse, error_event_stream

ASGIApp = Callable[[dict[str, Any], Any, Any], Awaitable[None]]
RpcId = str | int | None

STREAMING_03 = frozenset({"message/stream", "tasks/resubscribe"})
STREAMING_10 = frozenset({"SendStreamingMessage", "SubscribeToTask"})
PUSH_03 = frozenset(
    {
        "tasks/pushNotificationConfig/set",
        "tasks/pushNotificationConfig/get",
        "tasks/pushNotificationConfig/list",
        "tasks/pushNotificationConfig/delete",
    }
)
PUSH_10 = frozenset(
    {
        "CreateTaskPushNotificationConfig",
        "GetTaskPushNotificationConfig",
        "ListTaskPushNotificationConfigs",
        "DeleteTaskPushNotificationConfig",
    }
)


def version_of(header: str | None, *, checked: bool) -> str:
    """``"0.3"`` or ``"1.0"`` for an ``A2A-Version`` header value (R22)."""
    value = (header or "").strip()
    if value in ("", "0.3", "0.3.0"):
        return "0.3"
    if value in ("1", "1.0") or value.startswith("1.0."):
        return "1.0"
    if not checked:  # fault version-not-checked
        return "1.0"
    raise A2AError(VERSION_NOT_SUPPORTED, f"A2A-Version {value!r} is not supported; use 1.0 or 0.3")


class JsonRpcEndpoint:
    def __init__(self, service: Service) -> None:
        self.service = service
        self.options = service.options
        self.v03 = wire_v03.V03Encoder(service.options)
        self.v10 = wire_v10.V10Encoder(service.options)

    async def handle(self, request: Request, *, version: str | None = None) -> ASGIApp:
        """Answer one request; ``version`` fixes the dialect instead of ``A2A-Version``."""
        rpc_id: RpcId = None
        streaming = False
        try:
            body = await read_body(request, self.options.max_body)
            try:
                doc = json.loads(body)
            except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                raise A2AError(PARSE_ERROR, f"parse error: {exc}") from None
            rpc_id = _readable_id(doc)
            method, params = _envelope(doc)
            checked = not self.options.fault("version-not-checked")
            version = version or version_of(request.headers.get("a2a-version"), checked=checked)
            streaming = method in (STREAMING_10 if version == "1.0" else STREAMING_03)
            if version == "1.0":
                return await self._dispatch_10(method, params, rpc_id)
            return await self._dispatch_03(method, params, rpc_id)
        except A2AError as error:
            return self.error(error, rpc_id, streaming=streaming)

    def error(self, error: A2AError, rpc_id: RpcId, *, streaming: bool = False) -> ASGIApp:
        error = as_answered(error, self.options)
        if self.options.fault("errors-as-500"):
            return plain_500(error)
        payload = {"jsonrpc": "2.0", "id": rpc_id, "error": error.rpc_error()}
        if streaming and self.options.variant("sse-errors"):
            options = self.options

            async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
                await error_event_stream(payload, options, send)

            return app
        return json_response(payload, error.http_status or 200)

    def _check_streaming(self) -> None:
        if self.options.variant("no-streaming") and not self.options.fault(
            "streaming-capability-ignored"
        ):
            raise A2AError(UNSUPPORTED_OPERATION, "streaming is not supported by this agent")

    # ---- v0.3 ---------------------------------------------------------------------

    async def _dispatch_03(self, method: str, params: Any, rpc_id: RpcId) -> ASGIApp:
        enc, svc = self.v03, self.service
        if method == "message/send":
            req = wire_v03.decode_send(params)
            return _result(rpc_id, enc.send_result(await svc.send(req), req.history_length))
        if method == "message/stream":
            self._check_streaming()
            return self._stream(svc.stream(wire_v03.decode_send(params)), rpc_id, enc.stream_result)
        if method == "tasks/get":
            task_id, length = wire_v03.decode_get(params)
            return _result(rpc_id, enc.task(svc.get(task_id), length))
        if method == "tasks/cancel":
            return _result(rpc_id, enc.task(await svc.cancel(decode_id(params))))
        if method == "tasks/resubscribe":
            self._check_streaming()
            plan = await svc.resubscribe(decode_id(params), v10=False)
            return self._stream(plan, rpc_id, enc.stream_result)
        if method in PUSH_03:
            raise A2AError(PUSH_NOT_SUPPORTED, "push notifications are not supported")
        raise A2AError(METHOD_NOT_FOUND, f"method {method!r} not found (A2A 0.3 JSON-RPC)")

    # ---- v1.0 ---------------------------------------------------------------------

    async def _dispatch_10(self, method: str, params: Any, rpc_id: RpcId) -> ASGIApp:
        enc, svc = self.v10, self.service
        if method == "SendMessage":
            req = wire_v10.decode_send(params)
            return _result(rpc_id, enc.send_result(await svc.send(req), req.history_length))
        if method == "SendStreamingMessage":
            self._check_streaming()
            plan = svc.stream(wire_v10.decode_send(params))
            return self._stream(plan, rpc_id, enc.stream_response, final_task=True)
        if method == "GetTask":
            task_id, length = wire_v10.decode_get(params)
            return _result(rpc_id, enc.task(svc.get(task_id), length))
        if method == "CancelTask":
            return _result(rpc_id, enc.task(await svc.cancel(wire_v10.decode_id(params))))
        if method == "SubscribeToTask":
            self._check_streaming()
            plan = await svc.resubscribe(wire_v10.decode_id(params), v10=True)
            return self._stream(plan, rpc_id, enc.stream_response, final_task=True)
        if method == "ListTasks":
            query = wire_v10.decode_list(params)
            views, total, token = svc.list(query)
            return _result(rpc_id, enc.list_result(views, query, total, token))
        if method in PUSH_10:
            raise A2AError(PUSH_NOT_SUPPORTED, "push notifications are not supported")
        raise A2AError(METHOD_NOT_FOUND, f"method {method!r} not found (A2A 1.0 JSON-RPC)")

    def _stream(
        self,
        plan: StreamPlan,
        rpc_id: RpcId,
        encode: Callable[[Event], dict[str, Any]],
        *,
        final_task: bool = False,
    ) -> ASGIApp:
        event_id = _mismatched(rpc_id) if self.options.fault("rpc-id-mismatch") else rpc_id

        def envelope(event: Event) -> dict[str, Any]:
            return {"jsonrpc": "2.0", "id": event_id, "result": encode(event)}

        return SseResponse(
            plan,
            envelope,
            self.service,
            final_task=final_task and self.options.variant("final-task"),
        )


def _readable_id(doc: Any) -> RpcId:
    """The request id if one can be read (errors echo it), else null."""
    rpc_id = doc.get("id") if isinstance(doc, dict) else None
    return rpc_id if isinstance(rpc_id, str | int) and not isinstance(rpc_id, bool) else None


def _envelope(doc: Any) -> tuple[str, Any]:
    """(method, params) of a JSON-RPC 2.0 request, or -32600."""
    if not isinstance(doc, dict):
        raise A2AError(INVALID_REQUEST, "invalid request: expected one JSON-RPC request object")
    rpc_id = doc.get("id")
    if "id" not in doc or isinstance(rpc_id, bool) or not isinstance(rpc_id, str | int | None):
        raise A2AError(INVALID_REQUEST, "invalid request: id must be a string, number or null")
    if doc.get("jsonrpc") != "2.0":
        raise A2AError(INVALID_REQUEST, 'invalid request: "jsonrpc" must be "2.0"')
    method = doc.get("method")
    if not isinstance(method, str) or not method:
        raise A2AError(INVALID_REQUEST, "invalid request: method must be a non-empty string")
    params = doc.get("params")
    if params is not None and not isinstance(params, dict):
        raise A2AError(INVALID_REQUEST, "invalid request: params must be an object")
    return method, {} if params is None else params


def _result(rpc_id: RpcId, result: Any) -> Response:
    return json_response({"jsonrpc": "2.0", "id": rpc_id, "result": result})


def _mismatched(rpc_id: RpcId) -> RpcId:
    """Fault rpc-id-mismatch: an id that is not the request's."""
    if isinstance(rpc_id, int):
        return rpc_id + 1000
    return f"{rpc_id}-other" if rpc_id is not None else "unexpected-id"
