"""HAR 1.2 (http://www.softwareishard.com/blog/har-12-spec/), as mitmproxy and browser devtools
save it: one exchange per entry, the SSE body in ``response.content.text`` (base64 when
``content.encoding`` says so).

A HAR keeps the whole body but not when each byte arrived, so its exchanges are untimed:
requirements about delivery timing and closure are reported as not judged, never guessed.
"""

from __future__ import annotations

import base64
import binascii
import json
from pathlib import Path
from typing import Any

from pytest_a2a.recording.model import Chunk, Exchange, Recording, RecordingError


def looks_like(data: bytes) -> bool:
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    return head.startswith(b"{") and b'"log"' in data[:65536]


def _headers(value: Any, where: str) -> list[tuple[str, str]]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise RecordingError(f"{where}: headers must be a list of {{name, value}} objects")
    out = []
    for h in value:
        if not isinstance(h, dict) or not isinstance(h.get("name"), str):
            raise RecordingError(f"{where}: a header without a name: {h!r}")
        out.append((h["name"], str(h.get("value", ""))))
    return out


def _content(content: Any, where: str) -> tuple[bytes | None, str]:
    """(body bytes or None when the tool did not keep it, note)."""
    if not isinstance(content, dict):
        return None, "response.content missing"
    text = content.get("text")
    if not isinstance(text, str):
        return None, "the HAR holds no response body (content.text absent)"
    if content.get("encoding") == "base64":
        try:
            return base64.b64decode(text, validate=False), ""
        except (binascii.Error, ValueError) as exc:
            raise RecordingError(f"{where}: content.text is not base64 ({exc})") from None
    return text.encode("utf-8"), ""


def _entry(i: int, entry: Any, where: str) -> Exchange:
    if not isinstance(entry, dict):
        raise RecordingError(f"{where}: each entry must be an object")
    req, resp = entry.get("request"), entry.get("response")
    if not isinstance(req, dict) or not isinstance(req.get("url"), str):
        raise RecordingError(f"{where}: entry has no request.url")
    post = req.get("postData")
    body = None
    if isinstance(post, dict) and isinstance(post.get("text"), str):
        body = post["text"].encode("utf-8")
        if post.get("encoding") == "base64":  # not in HAR 1.2, but some exporters write it
            body = base64.b64decode(post["text"])
    ex = Exchange(index=i, method=str(req.get("method") or "GET"), url=req["url"],
                  request_headers=_headers(req.get("headers"), where), request_body=body)
    if isinstance(resp, dict):
        status = resp.get("status")
        # HAR writes status 0 for an aborted request (no answer)
        ex.status = status if isinstance(status, int) and status > 0 else None
        ex.response_headers = _headers(resp.get("headers"), where)
        data, note = _content(resp.get("content"), where)
        if data is not None:
            ex.chunks = [Chunk(None, data)]
            ex.total_bytes = len(data)
        if note:
            ex.notes.append(note)
            ex.truncated = True  # the body exists but was not kept: judge nothing from it
    ex.end = "unknown"
    ex.notes.append("HAR: no per-chunk arrival times")
    return ex


def read(path: Path, data: bytes) -> Recording:
    try:
        doc = json.loads(data)
    except ValueError as exc:
        raise RecordingError(f"{path}: looks like JSON but is not valid ({exc})") from None
    log = doc.get("log") if isinstance(doc, dict) else None
    entries = log.get("entries") if isinstance(log, dict) else None
    if not isinstance(entries, list):
        raise RecordingError(f"{path}: not a HAR file: expected an object with log.entries "
                             "(HAR 1.2, as saved by mitmproxy or browser devtools)")
    assert isinstance(log, dict)
    creator = log.get("creator")
    meta: dict[str, object] = {"har_version": log.get("version"),
                               "creator": creator if isinstance(creator, dict) else None}
    exchanges = [_entry(i, e, f"{path}: entry #{i}") for i, e in enumerate(entries, start=1)]
    return Recording(path, "har", exchanges, meta=meta)
