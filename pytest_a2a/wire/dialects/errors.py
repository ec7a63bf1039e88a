"""Error answers in every form a server may use: JSON-RPC ``error``, google.rpc.Status, or text.

REST errors are mapped to their JSON-RPC code (by ErrorInfo ``reason``, else by HTTP status), so a
scenario asserts one code whatever the dialect; the REST ``reason`` is kept alongside.
"""

from __future__ import annotations

import json
from typing import Any

from pytest_a2a.wire.dialects.payloads import as_list, as_str
from pytest_a2a.wire.models import RpcError

# REST google.rpc.ErrorInfo reason -> JSON-RPC code (docs/architecture.md §2).
REASON_CODES: dict[str, int] = {
    "TASK_NOT_FOUND": -32001,
    "TASK_NOT_CANCELABLE": -32002,
    "PUSH_NOTIFICATION_NOT_SUPPORTED": -32003,
    "UNSUPPORTED_OPERATION": -32004,
    "CONTENT_TYPE_NOT_SUPPORTED": -32005,
    "INVALID_AGENT_RESPONSE": -32006,
    "EXTENSION_SUPPORT_REQUIRED": -32008,
    "VERSION_NOT_SUPPORTED": -32009,
    "PARSE_ERROR": -32700,
    "INVALID_REQUEST": -32600,
    "METHOD_NOT_FOUND": -32601,
    "INVALID_PARAMS": -32602,
    "INTERNAL": -32603,
}
HTTP_STATUS_CODES: dict[int, int] = {404: -32001, 500: -32603}


def decode_rpc_error(d: Any, http_status: int | None = None) -> RpcError:
    """A JSON-RPC ``error`` object (``reason`` taken from a 1.0 ErrorInfo in ``data``, if any)."""
    if not isinstance(d, dict):
        text = f"error member is not an object: {d!r}"[:200]
        return RpcError(message=text, http_status=http_status)
    code = d.get("code")
    reason = None
    for item in as_list(d.get("data")):
        if isinstance(item, dict) and isinstance(item.get("reason"), str):
            reason = item["reason"]
            break
    return RpcError(
        code=code if isinstance(code, int) and not isinstance(code, bool) else None,
        message=as_str(d.get("message")) or "",
        data=d.get("data"),
        http_status=http_status,
        reason=reason,
    )


def decode_rest_error(payload: Any, http_status: int | None) -> RpcError:
    """google.rpc.Status JSON -> RpcError with the JSON-RPC code (by reason, else by status)."""
    err = payload.get("error") if isinstance(payload, dict) else None
    if not isinstance(err, dict):
        text = payload if isinstance(payload, str) else json.dumps(payload)[:500]
        code = HTTP_STATUS_CODES.get(http_status or 0)
        return RpcError(code=code, message=text, data=payload, http_status=http_status)
    reason = None
    for item in as_list(err.get("details")):
        if isinstance(item, dict) and isinstance(item.get("reason"), str):
            reason = item["reason"]
            break
    code = REASON_CODES.get(reason or "") or HTTP_STATUS_CODES.get(http_status or 0)
    return RpcError(
        code=code,
        message=as_str(err.get("message")) or as_str(err.get("status")) or "",
        data=err,
        http_status=http_status,
        reason=reason,
    )


def decode_error_body(body: bytes, http_status: int | None, content_type: str | None) -> RpcError:
    """Whatever a server put in an error answer: JSON-RPC error, google.rpc.Status, or text."""
    payload: Any = None
    try:
        payload = json.loads(body) if body.strip() else None
    except ValueError:
        payload = None
    if isinstance(payload, dict) and isinstance(payload.get("error"), dict):
        err = payload["error"]
        if "jsonrpc" in payload or ("status" not in err and "details" not in err):
            return decode_rpc_error(payload["error"], http_status)
        return decode_rest_error(payload, http_status)
    text = body[:2000].decode("utf-8", "replace")
    note = f"{text!r}" if text else "(empty body)"
    if content_type:
        note += f" [{content_type}]"
    error = decode_rest_error(text, http_status)
    error.message = note
    return error
