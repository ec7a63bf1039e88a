"""A raw SSE body as ``curl -N`` saves it (``curl -N -i`` adds the status line and headers).

The body alone says neither the request nor the dialect: the dialect is guessed from the
events, or given with ``--a2a-dialect``/``--a2a-binding`` or by a sidecar file
``<body file>.json`` (docs/recordings.md): ``dialect``, ``operation``, ``status``,
``content_type``, ``url``, ``method`` and ``request`` (the JSON body sent with ``curl -d``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pytest_a2a.recording.model import Chunk, Exchange, Recording, RecordingError

_FIELDS = (b"data:", b":", b"event:", b"id:", b"retry:", b"data\n", b"data\r")
SIDECAR_KEYS = {"dialect", "operation", "status", "content_type", "url", "method", "request"}


def looks_like(data: bytes) -> bool:
    """The first non-blank line is an SSE field or comment, or an HTTP status line (curl -i)."""
    head = data[:4096].removeprefix(b"\xef\xbb\xbf").lstrip(b"\r\n")
    return head.startswith(b"HTTP/") or head.startswith(_FIELDS)


def _split_head(data: bytes) -> tuple[int | None, list[tuple[str, str]] | None, bytes]:
    """curl -i output: (status, headers, body); a bare body: (None, None, body)."""
    if not data.startswith(b"HTTP/"):
        return None, None, data
    status: int | None = None
    headers: list[tuple[str, str]] = []
    rest = data
    while rest.startswith(b"HTTP/"):  # "HTTP/1.1 100 Continue" blocks come first
        head, sep, rest = rest.partition(b"\r\n\r\n") if b"\r\n\r\n" in rest \
            else rest.partition(b"\n\n")
        if not sep:
            raise RecordingError("curl -i output without the blank line ending the headers")
        lines = head.decode("latin-1").splitlines()
        parts = lines[0].split()
        status = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None
        headers = [(k.strip(), v.strip()) for k, _, v in
                   (line.partition(":") for line in lines[1:]) if k.strip()]
    return status, headers, rest


def _sidecar(path: Path) -> dict[str, Any]:
    side = path.with_name(path.name + ".json")
    if not side.is_file():
        return {}
    try:
        doc = json.loads(side.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise RecordingError(f"{side}: sidecar is not readable JSON ({exc})") from None
    if not isinstance(doc, dict):
        raise RecordingError(f"{side}: sidecar must be a JSON object")
    unknown = sorted(set(doc) - SIDECAR_KEYS)
    if unknown:
        raise RecordingError(f"{side}: unknown sidecar key(s) {unknown}; valid keys: "
                             f"{', '.join(sorted(SIDECAR_KEYS))}")
    return doc


def read(path: Path, data: bytes) -> Recording:
    try:
        status, headers, body = _split_head(data)
    except RecordingError as exc:
        raise RecordingError(f"{path}: {exc}") from None
    side = _sidecar(path)
    request = side.get("request")
    req_body = None
    if request is not None:
        req_body = (request if isinstance(request, str) else json.dumps(request)).encode()
    ex = Exchange(index=1, method=str(side.get("method") or "POST"), url=str(side.get("url")
                  or ""), request_body=req_body, status=status, response_headers=headers,
                  chunks=[Chunk(None, body)], total_bytes=len(body), end="unknown")
    if isinstance(side.get("status"), int):
        ex.status = side["status"]
    if isinstance(side.get("content_type"), str):
        ex.response_headers = [h for h in ex.response_headers or []
                               if h[0].lower() != "content-type"]
        ex.response_headers.append(("content-type", side["content_type"]))
    if isinstance(side.get("dialect"), str):
        ex.dialect = side["dialect"]
    if isinstance(side.get("operation"), str):
        ex.op = side["operation"]
    if headers is None and "content_type" not in side:
        ex.notes.append("body only (no status line or headers): HTTP status and content type "
                        "not judged; save with curl -N -i to keep them")
    ex.notes.append("raw body: no per-chunk arrival times")
    return Recording(path, "sse", [ex], meta={"sidecar": bool(side)})
