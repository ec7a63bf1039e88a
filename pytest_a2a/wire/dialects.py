"""The three dialects: how each operation is encoded, and how each answer is decoded.

Scenarios are written once against the normalized model; everything dialect-specific (method
names, REST paths, ``A2A-Version``, ``kind`` vs wrapper members, enum spellings, REST error
bodies) is confined here. Decoding is lenient and never raises: a server that mixes spellings
still yields a usable event (its scenario of record judges the spelling via the schema), and an
undecodable payload becomes ``kind="invalid"`` with the reason.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import quote

from pytest_a2a.wire.models import (
    Artifact,
    ArtifactUpdate,
    DecodedPayload,
    Message,
    Part,
    RpcError,
    StatusUpdate,
    Task,
    TaskStatus,
)

Op = Literal["send", "stream", "get", "cancel", "resubscribe", "list"]
STREAMING_OPS = frozenset({"stream", "resubscribe"})

METHODS: dict[str, dict[str, str]] = {
    "0.3": {
        "send": "message/send",
        "stream": "message/stream",
        "get": "tasks/get",
        "cancel": "tasks/cancel",
        "resubscribe": "tasks/resubscribe",
    },
    "1.0": {
        "send": "SendMessage",
        "stream": "SendStreamingMessage",
        "get": "GetTask",
        "cancel": "CancelTask",
        "resubscribe": "SubscribeToTask",
        "list": "ListTasks",
    },
}

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

_WRAPPERS = ("task", "message", "statusUpdate", "artifactUpdate")


class UnsupportedOperation(ValueError):
    """The dialect has no such operation (e.g. ``list`` in v0.3)."""


@dataclass(frozen=True)
class HttpRequest:
    """One encoded request; ``path`` is relative to the interface URL ('' for JSON-RPC)."""

    op: str
    method: str
    path: str
    headers: dict[str, str]
    body: bytes | None
    rpc_id: str | None
    label: str
    fallback_method: str | None = None  # REST subscribe: retry with POST on 405
    params: dict[str, Any] = field(default_factory=dict)


def new_id(prefix: str) -> str:
    """Fresh unique id (uuid4: no shared counter, so safe across xdist workers and tasks)."""
    return f"{prefix}-{uuid.uuid4().hex}"


def norm_state(value: Any) -> str | None:
    """``TASK_STATE_INPUT_REQUIRED`` / ``input-required`` -> ``input-required``; else verbatim."""
    if not isinstance(value, str):
        return None
    if value.startswith("TASK_STATE_"):
        return value[11:].lower().replace("_", "-")
    return value


def norm_role(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    if value.startswith("ROLE_"):
        return value[5:].lower()
    return value


def _dict(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ValueError(f"{what} is {type(value).__name__}, expected an object")
    return value


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _bool(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def decode_part(d: Any) -> Part:
    if not isinstance(d, dict):
        return Part(kind="unknown")
    raw_file = d.get("file")
    file: dict[str, Any] = raw_file if isinstance(raw_file, dict) else {}
    if "text" in d:
        kind = "text"
    elif "data" in d:
        kind = "data"
    elif "url" in d or "raw" in d or file:
        kind = "file"
    else:
        kind = _str(d.get("kind")) or "unknown"
    return Part(
        kind=kind,
        text=_str(d.get("text")),
        data=d.get("data"),
        url=_str(d.get("url")) or _str(file.get("uri")),
        raw=_str(d.get("raw")) or _str(file.get("bytes")),
        filename=_str(d.get("filename")) or _str(file.get("name")),
        media_type=_str(d.get("mediaType")) or _str(file.get("mimeType")),
    )


def decode_message(d: Any) -> Message:
    d = _dict(d, "message")
    return Message(
        message_id=_str(d.get("messageId")),
        role=norm_role(d.get("role")),
        parts=[decode_part(p) for p in _list(d.get("parts"))],
        task_id=_str(d.get("taskId")),
        context_id=_str(d.get("contextId")),
    )


def decode_status(d: Any) -> TaskStatus:
    d = _dict(d, "status")
    msg = d.get("message")
    return TaskStatus(
        state=norm_state(d.get("state")),
        message=decode_message(msg) if isinstance(msg, dict) else None,
        timestamp=_str(d.get("timestamp")),
    )


def decode_artifact(d: Any) -> Artifact:
    d = _dict(d, "artifact")
    return Artifact(
        artifact_id=_str(d.get("artifactId")),
        name=_str(d.get("name")),
        description=_str(d.get("description")),
        parts=[decode_part(p) for p in _list(d.get("parts"))],
    )


def decode_task(d: Any) -> Task:
    d = _dict(d, "task")
    return Task(
        id=_str(d.get("id")),
        context_id=_str(d.get("contextId")),
        status=decode_status(d.get("status") if isinstance(d.get("status"), dict) else {}),
        artifacts=[decode_artifact(a) for a in _list(d.get("artifacts")) if isinstance(a, dict)],
        history=[decode_message(m) for m in _list(d.get("history")) if isinstance(m, dict)],
    )


def decode_status_update(d: Any) -> StatusUpdate:
    d = _dict(d, "statusUpdate")
    return StatusUpdate(
        task_id=_str(d.get("taskId")),
        context_id=_str(d.get("contextId")),
        status=decode_status(d.get("status") if isinstance(d.get("status"), dict) else {}),
        final=_bool(d.get("final")),
    )


def decode_artifact_update(d: Any) -> ArtifactUpdate:
    d = _dict(d, "artifactUpdate")
    art = d.get("artifact")
    return ArtifactUpdate(
        task_id=_str(d.get("taskId")),
        context_id=_str(d.get("contextId")),
        artifact=decode_artifact(art) if isinstance(art, dict) else Artifact(),
        append=_bool(d.get("append")),
        last_chunk=_bool(d.get("lastChunk")),
    )


def decode_rpc_error(d: Any, http_status: int | None = None) -> RpcError:
    """A JSON-RPC ``error`` object (``reason`` taken from a 1.0 ErrorInfo in ``data``, if any)."""
    if not isinstance(d, dict):
        text = f"error member is not an object: {d!r}"[:200]
        return RpcError(message=text, http_status=http_status)
    code = d.get("code")
    reason = None
    for item in _list(d.get("data")):
        if isinstance(item, dict) and isinstance(item.get("reason"), str):
            reason = item["reason"]
            break
    return RpcError(
        code=code if isinstance(code, int) and not isinstance(code, bool) else None,
        message=_str(d.get("message")) or "",
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
    for item in _list(err.get("details")):
        if isinstance(item, dict) and isinstance(item.get("reason"), str):
            reason = item["reason"]
            break
    code = REASON_CODES.get(reason or "") or HTTP_STATUS_CODES.get(http_status or 0)
    return RpcError(
        code=code,
        message=_str(err.get("message")) or _str(err.get("status")) or "",
        data=err,
        http_status=http_status,
        reason=reason,
    )


_KIND_DECODERS: dict[str, tuple[str, Callable[[Any], Any]]] = {
    "task": ("task", decode_task),
    "message": ("message", decode_message),
    "status-update": ("status", decode_status_update),
    "artifact-update": ("artifact", decode_artifact_update),
}
_WRAPPER_DECODERS: dict[str, tuple[str, Callable[[Any], Any]]] = {
    "task": ("task", decode_task),
    "message": ("message", decode_message),
    "statusUpdate": ("status", decode_status_update),
    "artifactUpdate": ("artifact", decode_artifact_update),
}


def _fill(out: DecodedPayload, kind: str, obj: Any) -> DecodedPayload:
    out.kind = kind  # type: ignore[assignment]
    if kind == "task":
        out.task = obj
    elif kind == "message":
        out.message = obj
    elif kind == "status":
        out.status_update = obj
    elif kind == "artifact":
        out.artifact_update = obj
    return out


def decode_stream_response(obj: Any, out: DecodedPayload, prefer_kind: bool) -> DecodedPayload:
    """A 1.0 StreamResponse (one wrapper member) or a 0.3 ``kind`` object, whichever it is."""
    if not isinstance(obj, dict):
        out.kind = "invalid"
        out.problems.append(f"result is {type(obj).__name__}, expected an object")
        return out
    wrappers = [k for k in _WRAPPERS if k in obj]
    kind = obj.get("kind")
    by_kind = isinstance(kind, str) and kind in _KIND_DECODERS
    if by_kind and (prefer_kind or not wrappers):
        name, fn = _KIND_DECODERS[str(kind)]
        return _fill(out, name, fn(obj))
    if len(wrappers) == 1:
        name, fn = _WRAPPER_DECODERS[wrappers[0]]
        return _fill(out, name, fn(obj[wrappers[0]]))
    if len(wrappers) > 1:
        out.kind = "invalid"
        out.problems.append(f"StreamResponse carries {len(wrappers)} payloads: {wrappers}")
        return out
    # No discriminator at all: infer from the shape, and say so.
    if "artifact" in obj and "taskId" in obj:
        guess = "artifact-update"
    elif "status" in obj and "taskId" in obj:
        guess = "status-update"
    elif "status" in obj and "id" in obj:
        guess = "task"
    elif "messageId" in obj or ("role" in obj and "parts" in obj):
        guess = "message"
    else:
        out.kind = "invalid"
        members = sorted(obj)[:8]
        out.problems.append(f"unrecognized event object (members {members}; kind={kind!r})")
        return out
    out.problems.append(f"no kind/wrapper member; shape looks like {guess}")
    name, fn = _KIND_DECODERS[guess]
    return _fill(out, name, fn(obj))


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

    def supports(self, op: str) -> bool:
        return self.is_rest or op in METHODS[self.version]

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
            body = {"jsonrpc": "2.0", "id": rpc_id, "method": method, "params": p}
            headers["Content-Type"] = "application/json"
            return HttpRequest(op, "POST", "", headers, _dumps(body), rpc_id, method, params=p)
        tid = quote(str(p.get("id", "")), safe="")
        if op == "send":
            return self._rest(op, "POST", "/message:send", headers, p)
        if op == "stream":
            return self._rest(op, "POST", "/message:stream", headers, p)
        if op == "get":
            query = f"?historyLength={p['historyLength']}" if "historyLength" in p else ""
            return self._rest(op, "GET", f"/tasks/{tid}{query}", headers, None, p)
        if op == "cancel":
            return self._rest(op, "POST", f"/tasks/{tid}:cancel", headers, {}, p)
        if op == "resubscribe":
            return self._rest(op, "GET", f"/tasks/{tid}:subscribe", headers, None, p, "POST")
        if op == "list":
            query = f"?contextId={quote(p['contextId'], safe='')}" if "contextId" in p else ""
            return self._rest(op, "GET", f"/tasks{query}", headers, None, p)
        raise UnsupportedOperation(op)

    def _rest(
        self,
        op: str,
        method: str,
        path: str,
        headers: dict[str, str],
        body: dict[str, Any] | None,
        params: dict[str, Any] | None = None,
        fallback: str | None = None,
    ) -> HttpRequest:
        if body is not None:
            headers["Content-Type"] = "application/json"
        return HttpRequest(
            op, method, path, headers, None if body is None else _dumps(body), None,
            f"{method} {path}", fallback, params if params is not None else (body or {}),
        )

    # -- decoding -------------------------------------------------------------------------

    def decode_event(self, payload: Any) -> DecodedPayload:
        """One SSE ``data`` payload (already JSON-decoded) -> normalized pieces; never raises."""
        out = DecodedPayload(kind="invalid")
        try:
            if not isinstance(payload, dict):
                out.problems.append(f"event is {type(payload).__name__}, expected a JSON object")
                return out
            if self.is_rest:
                if "error" in payload and not any(k in payload for k in _WRAPPERS):
                    out.kind = "error"
                    out.error = decode_rest_error(payload, None)
                    return out
                return decode_stream_response(payload, out, prefer_kind=False)
            out.has_rpc_id = "id" in payload
            out.rpc_id = payload.get("id")
            if "error" in payload and "result" not in payload:
                out.kind = "error"
                out.error = decode_rpc_error(payload["error"])
                return out
            if "result" not in payload:
                out.problems.append("JSON-RPC response has neither result nor error")
                return out
            return decode_stream_response(payload["result"], out, prefer_kind=not self.is_v1)
        except Exception as exc:  # a hostile payload must not crash the judge
            out.kind = "invalid"
            out.problems.append(f"undecodable event: {type(exc).__name__}: {exc}")
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
                    out.problems.append("Task wrapped in {'task': ...}")
                    result = result["task"]
                return _fill(out, "task", decode_task(result))
            return decode_stream_response(result, out, prefer_kind=not self.is_v1)
        except Exception as exc:
            out.problems.append(f"undecodable result: {type(exc).__name__}: {exc}")
            return out


def _dumps(obj: Any) -> bytes:
    return json.dumps(obj, separators=(",", ":")).encode()


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
