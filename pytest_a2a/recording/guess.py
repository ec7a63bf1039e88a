"""What a captured request was (dialect, operation, ids), read from its method, URL and body,
or, when only the response body was captured, from the events themselves.

Captures from other tools carry no dialect or operation; guessing them from the wire is what
a person reading the capture would do, and every guess is noted on the exchange so a report
never presents a guess as a fact.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

from pytest_a2a.recording.model import Exchange
from pytest_a2a.wire.sse import SSEEvent, parse_all

#: JSON-RPC method -> (version, op)
RPC_METHODS: dict[str, tuple[str, str]] = {
    "message/stream": ("0.3", "stream"), "message/send": ("0.3", "send"),
    "tasks/get": ("0.3", "get"), "tasks/cancel": ("0.3", "cancel"),
    "tasks/resubscribe": ("0.3", "resubscribe"),
    "SendStreamingMessage": ("1.0", "stream"), "SendMessage": ("1.0", "send"),
    "GetTask": ("1.0", "get"), "CancelTask": ("1.0", "cancel"),
    "SubscribeToTask": ("1.0", "resubscribe"), "ListTasks": ("1.0", "list"),
}
_REST = (
    (re.compile(r"/message:stream$"), "POST", "stream"),
    (re.compile(r"/message:send$"), "POST", "send"),
    (re.compile(r"/tasks/([^/]+):subscribe$"), None, "resubscribe"),
    (re.compile(r"/tasks/([^/]+):cancel$"), "POST", "cancel"),
    (re.compile(r"/tasks/([^/:]+)$"), "GET", "get"),
    (re.compile(r"/tasks$"), "GET", "list"),
)
_WRAPPERS = ("task", "message", "statusUpdate", "artifactUpdate")


@dataclass(frozen=True)
class RequestFacts:
    """What the judges need from a request: JSON-RPC id, the task it names, the message."""

    rpc_id: Any = None
    has_rpc_id: bool = False
    task_id: str | None = None  # get / cancel / resubscribe target
    message: dict[str, Any] | None = None  # send / stream

    @property
    def follow_up(self) -> bool:
        """A message continuing an existing task (it names a taskId)."""
        return bool(self.message and self.message.get("taskId"))

    @property
    def text(self) -> str:
        parts = (self.message or {}).get("parts")
        if not isinstance(parts, list):
            return ""
        return "".join(p["text"] for p in parts if isinstance(p, dict)
                       and isinstance(p.get("text"), str))


def _json(body: bytes | None) -> Any:
    if not body:
        return None
    try:
        return json.loads(body)
    except ValueError:
        return None


def request_facts(ex: Exchange) -> RequestFacts:
    payload = _json(ex.request_body)
    if isinstance(payload, dict) and "jsonrpc" in payload:
        params = payload.get("params")
        params = params if isinstance(params, dict) else {}
        msg = params.get("message")
        tid = params.get("id")
        return RequestFacts(payload.get("id"), "id" in payload,
                            tid if isinstance(tid, str) else None,
                            msg if isinstance(msg, dict) else None)
    path = urlsplit(ex.url).path
    for pattern, _method, _op in _REST:
        m = pattern.search(path)
        if m is not None and m.groups():
            return RequestFacts(task_id=unquote(m.group(1)))
    if isinstance(payload, dict) and isinstance(payload.get("message"), dict):
        return RequestFacts(message=payload["message"])
    return RequestFacts()


def guess_from_request(ex: Exchange) -> tuple[str | None, str | None]:
    """(dialect, op) from the request alone; (None, None) when it says nothing."""
    payload = _json(ex.request_body)
    if isinstance(payload, dict) and "jsonrpc" in payload:
        method = payload.get("method")
        version, op = RPC_METHODS.get(method, (None, "raw")) if isinstance(method, str) \
            else (None, "raw")
        if version is None:
            header = ex.request_header("A2A-Version")
            version = "1.0" if header and header.strip().startswith("1") else "0.3"
        return f"v{version}-jsonrpc", op
    path = urlsplit(ex.url).path
    for pattern, method, op in _REST:
        if pattern.search(path) and (method is None or ex.method.upper() == method):
            return "v1.0-rest", op
    return None, None


def first_events(body: bytes, limit: int = 3) -> list[Any]:
    """The JSON payloads of the first SSE events of a body (undecodable ones skipped)."""
    out: list[Any] = []
    for item in parse_all(body):
        if isinstance(item, SSEEvent):
            try:
                out.append(json.loads(item.data))
            except ValueError:
                continue
            if len(out) >= limit:
                break
    return out


def guess_from_events(body: bytes) -> str | None:
    """The dialect the events are written in: a JSON-RPC envelope with 0.3 ``kind`` objects
    (v0.3-jsonrpc) or 1.0 wrapper members (v1.0-jsonrpc), or bare 1.0 wrappers (v1.0-rest)."""
    for payload in first_events(body):
        if not isinstance(payload, dict):
            continue
        if "jsonrpc" in payload:
            result = payload.get("result")
            if isinstance(result, dict):
                if "kind" in result:
                    return "v0.3-jsonrpc"
                if any(w in result for w in _WRAPPERS):
                    return "v1.0-jsonrpc"
            continue  # an error envelope says nothing about the version
        if any(w in payload for w in _WRAPPERS):
            return "v1.0-rest"
    return None


def complete(ex: Exchange, dialect_hint: str | None = None, op_hint: str | None = None) -> None:
    """Fill ``ex.dialect`` / ``ex.op`` (hint, else the request, else the events); note guesses."""
    if ex.dialect is None or ex.op is None:
        dialect, op = guess_from_request(ex)
        if ex.dialect is None and dialect is not None and dialect_hint is None:
            ex.dialect = dialect
        if ex.op is None and op is not None and op_hint is None:
            ex.op = op
    if ex.op == "raw":  # a request sent as given (error scenarios): its method says what
        _dialect, op = guess_from_request(ex)
        if op not in (None, "raw"):
            ex.op = op
            ex.notes.append(f"operation {op} read from the raw request")
    if dialect_hint is not None:
        ex.dialect = dialect_hint
    if op_hint is not None:
        ex.op = op_hint
    if ex.dialect is None:
        ex.dialect = guess_from_events(ex.body)
        if ex.dialect is not None:
            ex.notes.append(f"dialect {ex.dialect} guessed from the events")
    if ex.op is None and ex.dialect is not None and ex.content_type is not None \
            and "event-stream" in ex.content_type:
        ex.op = "stream"
        ex.notes.append("operation assumed: stream (a re-attach cannot be told apart)")
