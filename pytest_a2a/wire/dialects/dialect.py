"""The three dialects: how each operation is encoded, and how each answer is decoded.

Scenarios are written once against the normalized model; everything dialect-specific (method
names, REST paths, ``A2A-Version``, JSON-RPC envelope vs bare REST body, ``kind`` vs wrapper
members) is decided here. Decoding is lenient and never raises: a server that mixes spellings
still yields a usable event (its scenario of record judges the spelling via the schema), and an
undecodable payload becomes ``kind="invalid"`` with the reason.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from sys import intern
from typing import Any
from urllib.parse import quote

from pytest_a2a.wire.dialects.errors import decode_error_body, decode_rest_error, decode_rpc_error
from pytest_a2a.wire.dialects.payloads import (
    WRAPPERS,
    Decoded,
    decode_stream_response,
    decode_task,
)
from pytest_a2a.wire.dialects.requests import (
    METHODS,
    STREAMING_OPS,
    HttpRequest,
    UnsupportedOperation,
    dumps,
    envelope,
    new_id,
)
from pytest_a2a.wire.models import DecodedPayload
from pytest_a2a.wire.results import CallResult
from pytest_a2a.wire.schema import validate_result


@dataclass(frozen=True)
class Dialect:
    """One of ``v0.3-jsonrpc``, ``v1.0-jsonrpc``, ``v1.0-rest``."""

    id: str
    version: str  # "0.3" | "1.0"
    binding: str  # "jsonrpc" | "rest"

    @property
    def is_rest(self) -> bool:
        return self.binding == "rest"

    @property
    def is_v1(self) -> bool:
        return self.version == "1.0"

    def version_headers(self) -> dict[str, str]:
        return {"A2A-Version": "1.0"} if self.is_v1 else {}

    def method_name(self, op: str) -> str:
        try:
            return METHODS[self.version][op]
        except KeyError:
            raise UnsupportedOperation(f"{self.id} has no {op!r} operation") from None

    # -- encoding -------------------------------------------------------------------------

    def user_message(
        self,
        text: str,
        task_id: str | None = None,
        context_id: str | None = None,
        message_id: str | None = None,
    ) -> dict[str, Any]:
        msg: dict[str, Any]
        if self.is_v1:
            msg = {"messageId": message_id or new_id("msg"), "role": "ROLE_USER",
                   "parts": [{"text": text}]}
        else:
            msg = {"kind": "message", "messageId": message_id or new_id("msg"), "role": "user",
                   "parts": [{"kind": "text", "text": text}]}
        if task_id is not None:
            msg["taskId"] = task_id
        if context_id is not None:
            msg["contextId"] = context_id
        return msg

    def params(
        self,
        op: str,
        *,
        text: str | None = None,
        task_id: str | None = None,
        context_id: str | None = None,
        message_id: str | None = None,
        history_length: int | None = None,
        blocking: bool | None = None,
    ) -> dict[str, Any]:
        """The ``params`` object (JSON-RPC) or JSON body (REST) of an operation."""
        if op in ("send", "stream"):
            p: dict[str, Any] = {
                "message": self.user_message(text or "", task_id, context_id, message_id)
            }
            if blocking is not None and op == "send":
                p["configuration"] = (
                    {"returnImmediately": not blocking} if self.is_v1 else {"blocking": blocking}
                )
            return p
        if op in ("get", "cancel", "resubscribe"):
            if task_id is None:
                raise ValueError(f"{op} needs a task id")
            p = {"id": task_id}
            if op == "get" and history_length is not None:
                p["historyLength"] = history_length
            return p
        if op == "list":
            return {"contextId": context_id} if context_id is not None else {}
        raise UnsupportedOperation(op)

    def build(self, op: str, params: dict[str, Any] | None = None, **kwargs: Any) -> HttpRequest:
        """Encode ``op``; ``params`` overrides the generated params (for error scenarios)."""
        p = self.params(op, **kwargs) if params is None else params
        accept = "text/event-stream" if op in STREAMING_OPS else "application/json"
        headers = {"Accept": accept, **self.version_headers()}
        if not self.is_rest:
            rpc_id = new_id("req")
            method = self.method_name(op)
            headers["Content-Type"] = "application/json"
            body = dumps(envelope(method, p, rpc_id))
            return HttpRequest(op, "POST", "", headers, body, rpc_id, method)
        tid = quote(str(p.get("id", "")), safe="")
        if op == "send":
            return self._rest(op, "POST", "/message:send", headers, p)
        if op == "stream":
            return self._rest(op, "POST", "/message:stream", headers, p)
        if op == "get":
            query = f"?historyLength={p['historyLength']}" if "historyLength" in p else ""
            return self._rest(op, "GET", f"/tasks/{tid}{query}", headers, None)
        if op == "cancel":
            return self._rest(op, "POST", f"/tasks/{tid}:cancel", headers, {})
        if op == "resubscribe":
            return self._rest(op, "GET", f"/tasks/{tid}:subscribe", headers, None, "POST")
        if op == "list":
            query = f"?contextId={quote(p['contextId'], safe='')}" if "contextId" in p else ""
            return self._rest(op, "GET", f"/tasks{query}", headers, None)
        raise UnsupportedOperation(op)

    def _rest(
        self,
        op: str,
        method: str,
        path: str,
        headers: dict[str, str],
        body: dict[str, Any] | None,
        fallback: str | None = None,
    ) -> HttpRequest:
        if body is not None:
            headers["Content-Type"] = "application/json"
        return HttpRequest(
            op, method, path, headers, None if body is None else dumps(body), None,
            f"{method} {path}", fallback,
        )

    # -- decoding -------------------------------------------------------------------------

    def decode_event(self, payload: Any, out: Decoded | None = None) -> Decoded:
        """One SSE ``data`` payload (already JSON-decoded) -> normalized pieces, decoded into
        ``out`` (the stream's :class:`StreamEvent`) or a fresh record; never raises."""
        out = out if out is not None else DecodedPayload(kind="invalid")
        try:
            if not isinstance(payload, dict):
                out.problems += (f"event is {type(payload).__name__}, expected a JSON object",)
                return out
            if self.binding == "rest":
                if "error" in payload and not any(k in payload for k in WRAPPERS):
                    return out.keep("error", decode_rest_error(payload, None))
                return decode_stream_response(payload, out, prefer_kind=False)
            if "id" in payload:
                rpc_id = payload["id"]
                # every event of a stream repeats it: one copy, not one per kept event
                out.rpc_id = intern(rpc_id) if type(rpc_id) is str else rpc_id
                out.has_rpc_id = True
            if "result" not in payload:
                if "error" in payload:
                    out.keep("error", decode_rpc_error(payload["error"]))
                else:
                    out.problems += ("JSON-RPC response has neither result nor error",)
                return out
            return decode_stream_response(payload["result"], out, self.version != "1.0")
        except Exception as exc:  # a hostile payload must not crash the judge
            out.kind = "invalid"
            out.problems += (f"undecodable event: {type(exc).__name__}: {exc}",)
            return out

    def decode_result(self, op: str, result: Any) -> DecodedPayload:
        """The success result of a unary call (send: Task or Message; get/cancel: Task)."""
        out = DecodedPayload(kind="invalid")
        try:
            if op == "list":
                out.kind = "task"
                return out
            if op in ("get", "cancel"):
                if isinstance(result, dict) and "task" in result and "status" not in result:
                    out.problems += ("Task wrapped in {'task': ...}",)
                    result = result["task"]
                out.keep("task", decode_task(result))
                return out
            decode_stream_response(result, out, prefer_kind=not self.is_v1)
            return out
        except Exception as exc:
            out.problems += (f"undecodable result: {type(exc).__name__}: {exc}",)
            return out

    def decode_call(self, req: HttpRequest, res: CallResult) -> None:
        """Fill ``res`` from its answer (status, body): the JSON-RPC envelope or REST body is
        unwrapped, errors are decoded whatever their form, and the result is schema-checked.
        A raw request is always judged by its shape (it may be JSON-RPC sent to any dialect)."""
        try:
            res.raw = json.loads(res.body) if res.body.strip() else None
        except ValueError:
            res.raw = None
        status = res.http_status or 0
        payload = res.raw
        if req.op == "raw" or not self.is_rest:
            if isinstance(payload, dict) and "error" in payload and "result" not in payload:
                res.error = decode_error_body(res.body, status, res.content_type)
                res.response_id = payload.get("id")
                return
            if not 200 <= status < 300 or payload is None:
                if not 200 <= status < 300:
                    res.error = decode_error_body(res.body, status, res.content_type)
                else:
                    res.problems.append("2xx answer is not JSON")
                return
            if req.op == "raw":
                return
            if not isinstance(payload, dict) or "result" not in payload:
                res.problems.append("JSON-RPC response has neither result nor error")
                return
            res.response_id = payload.get("id")
            if res.response_id != req.rpc_id:
                res.problems.append(f"response id {res.response_id!r} != request id {req.rpc_id!r}")
            result = payload["result"]
        else:
            if not 200 <= status < 300:
                res.error = decode_error_body(res.body, status, res.content_type)
                return
            result = payload
        if req.op == "list":
            tasks = result.get("tasks") if isinstance(result, dict) else None
            res.tasks = [decode_task(t) for t in tasks or [] if isinstance(t, dict)]
            if not isinstance(tasks, list):
                res.problems.append("list result has no tasks array")
        else:
            d = self.decode_result(req.op, result)
            res.task, res.message = d.task, d.message
            res.problems.extend(d.problems)
        res.schema_errors = validate_result(self.id, req.op, result)


DIALECTS: dict[str, Dialect] = {
    d.id: d
    for d in (
        Dialect("v0.3-jsonrpc", "0.3", "jsonrpc"),
        Dialect("v1.0-jsonrpc", "1.0", "jsonrpc"),
        Dialect("v1.0-rest", "1.0", "rest"),
    )
}


def get_dialect(dialect: str | Dialect) -> Dialect:
    if isinstance(dialect, Dialect):
        return dialect
    try:
        return DIALECTS[dialect]
    except KeyError:
        raise ValueError(f"unknown dialect {dialect!r}; known: {', '.join(DIALECTS)}") from None
