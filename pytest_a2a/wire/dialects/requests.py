"""Encoded requests: the record every dialect produces, the JSON-RPC envelope, raw requests.

Kept apart from :class:`~pytest_a2a.wire.dialects.dialect.Dialect` because the raw requests of
error scenarios are dialect-agnostic apart from the headers the caller chooses.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

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


class UnsupportedOperation(ValueError):
    """The dialect has no such operation (e.g. ``list`` in v0.3)."""


@dataclass(frozen=True)
class HttpRequest:
    """One encoded request; ``path`` is relative to the interface URL ('' for JSON-RPC)."""

    op: str  # send | stream | get | cancel | resubscribe | list, or "raw" (sent as given)
    method: str
    path: str
    headers: dict[str, str]
    body: bytes | None
    rpc_id: str | None  # the JSON-RPC id sent (None for REST)
    label: str
    fallback_method: str | None = None  # REST subscribe: retry with POST on 405


def new_id(prefix: str) -> str:
    """Fresh unique id (uuid4: no shared counter, so safe across xdist workers and tasks)."""
    return f"{prefix}-{uuid.uuid4().hex}"


def envelope(method: str, params: Any, rpc_id: Any) -> dict[str, Any]:
    """The JSON-RPC 2.0 request object."""
    return {"jsonrpc": "2.0", "id": rpc_id, "method": method, "params": params}


def dumps(obj: Any) -> bytes:
    """Compact JSON, as the dialects send it."""
    return json.dumps(obj, separators=(",", ":")).encode()


def raw_request(
    method: str,
    path: str,
    base_headers: Mapping[str, str],
    body: bytes | str | None = None,
    json_body: Any = None,
    headers: Mapping[str, str] | None = None,
) -> HttpRequest:
    """Exactly this request: ``json_body`` (if given) replaces ``body`` and its ``id`` is kept
    so the answer's id can be compared; ``headers`` override ``base_headers``."""
    hdrs = dict(base_headers)
    content = body.encode() if isinstance(body, str) else body
    rpc_id = None
    if json_body is not None:
        content = json.dumps(json_body).encode()
        hdrs["Content-Type"] = "application/json"
        if isinstance(json_body, dict):
            rpc_id = json_body.get("id")
    hdrs.update(headers or {})
    return HttpRequest("raw", method, path, hdrs, content, rpc_id, f"raw {method} {path or '/'}")
