"""The project's own recording format, ``a2a-recording/1``: JSON Lines, one record per line.

Written while the run goes (a crash still leaves what was seen, memory stays bounded, and
concurrent exchanges interleave by their ``x``), read back by :func:`read`. Chunks are stored
as text when they are UTF-8 (readable, greppable) and as base64 otherwise. The layout is
documented in docs/recordings.md; a reader refuses versions it does not know.
"""

from __future__ import annotations

import base64
import binascii
import json
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import IO, Any

from pytest_a2a.recording.model import (
    WIRE_ENDS,
    Chunk,
    Exchange,
    Recording,
    RecordingError,
    WireEnd,
    redact,
)
from pytest_a2a.run.options import DEFAULT_RECORD_CAP

FORMAT = "a2a-recording/1"
FORMAT_PREFIX = "a2a-recording/"
SUFFIX = ".a2a.jsonl"
#: default per-exchange cap on recorded body bytes (docs/recordings.md says why this size)
DEFAULT_CAP = DEFAULT_RECORD_CAP


def _round(t: float | None) -> float | None:
    return None if t is None else round(t, 6)


def encode_bytes(data: bytes, key: str = "text") -> dict[str, str]:
    """``{key: text}`` when ``data`` is UTF-8, else ``{key + "_b64": base64}``."""
    try:
        return {key: data.decode("utf-8")}
    except UnicodeDecodeError:
        return {f"{key}_b64": base64.b64encode(data).decode("ascii")}


def live_to_wire(live_end: str, had_response: bool) -> WireEnd:
    """The wire fact behind a live client's verdict (replay recomputes the verdict)."""
    if live_end in ("closed", "http-error", "json-error"):
        return "closed"
    if live_end == "transport-error":
        return "transport-error"
    return "client-left" if had_response else "no-response"


class ExchangeWriter:
    """Observer of one exchange (the transport calls it); writes its records as they happen."""

    def __init__(self, owner: RecordingWriter, x: int) -> None:
        self._owner = owner
        self.x = x
        self.total = 0
        self.recorded = 0
        self.truncated = False
        self._had_response = False
        self._ended = False

    def response(self, t: float, status: int, headers: Iterable[tuple[str, str]]) -> None:
        self._had_response = True
        self._owner.write({"rec": "response", "x": self.x, "t": _round(t), "status": status,
                           "headers": [[k, v] for k, v in headers]})

    def chunk(self, t: float, data: bytes) -> None:
        self.total += len(data)
        room = self._owner.cap - self.recorded
        if room <= 0:
            self.truncated = True
            return
        if len(data) > room:
            data, self.truncated = data[:room], True
        self.recorded += len(data)
        self._owner.write({"rec": "chunk", "x": self.x, "t": _round(t), **encode_bytes(data)})

    def end(self, t: float, live_end: str, reason: str = "") -> None:
        if self._ended:
            return
        self._ended = True
        self._owner.write({
            "rec": "end", "x": self.x, "t": _round(t),
            "end": live_to_wire(live_end, self._had_response), "live": live_end,
            "reason": reason, "bytes": self.total, "truncated": self.truncated,
        })
        self._owner.flush()


class RecordingWriter:
    """One recording file (one test); opened on the first exchange, flushed as each exchange
    ends (a crashed run still leaves every finished exchange on disk)."""

    def __init__(self, path: Path, *, test: str, cap: int = DEFAULT_CAP,
                 redact_names: Iterable[str] = (), budget: float | None = None) -> None:
        self.path = path
        self.test = test
        self.cap = cap
        self.redact_names = frozenset(n.lower() for n in redact_names)
        self.budget = budget
        self._fh: IO[str] | None = None
        self._t0 = time.monotonic()
        self._next = 1
        self.bytes_written = 0
        self.closed = False

    def write(self, record: Mapping[str, Any]) -> None:
        if self.closed:  # a stream the test left open, still read after the test ended
            return
        if self._fh is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._fh = self.path.open("w", encoding="utf-8")
            self._line({"rec": "recording", "format": FORMAT, "test": self.test,
                        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                        "cap_bytes": self.cap, "budget_s": self.budget})
        self._line(record)

    def _line(self, record: Mapping[str, Any]) -> None:
        assert self._fh is not None
        line = json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n"
        self._fh.write(line)
        self.bytes_written += len(line)

    def flush(self) -> None:
        if self._fh is not None:
            self._fh.flush()

    def exchange(self, *, op: str, dialect: str | None, method: str, url: str,
                 headers: Iterable[tuple[str, str]], body: bytes | None) -> ExchangeWriter:
        x, self._next = self._next, self._next + 1
        record: dict[str, Any] = {
            "rec": "request", "x": x, "at": _round(time.monotonic() - self._t0), "op": op,
            "dialect": dialect, "method": method, "url": url,
            "headers": [[k, v] for k, v in redact(list(headers), self.redact_names)],
        }
        if body is not None:
            record.update(encode_bytes(body, "body"))
        self.write(record)
        return ExchangeWriter(self, x)

    def close(self) -> None:
        self.closed = True
        fh, self._fh = self._fh, None
        if fh is not None:
            fh.close()


def dump(rec: Recording) -> str:
    """A whole recording as ``a2a-recording/1`` text (conversions, tests); the streaming
    :class:`RecordingWriter` writes the same records as they happen."""
    head: dict[str, Any] = {"rec": "recording", "format": FORMAT, "test": rec.test}
    head.update({k: v for k, v in rec.meta.items() if k not in head and k != "format"})
    lines = [head]
    for ex in rec.exchanges:
        req: dict[str, Any] = {"rec": "request", "x": ex.index, "at": _round(ex.started),
                               "op": ex.op, "dialect": ex.dialect, "method": ex.method,
                               "url": ex.url, "headers": [[k, v] for k, v in ex.request_headers]}
        if ex.request_body is not None:
            req.update(encode_bytes(ex.request_body, "body"))
        lines.append(req)
        if ex.status is not None:
            lines.append({"rec": "response", "x": ex.index, "t": _round(ex.response_t),
                          "status": ex.status,
                          "headers": [[k, v] for k, v in ex.response_headers or []]})
        lines += [{"rec": "chunk", "x": ex.index, "t": _round(c.t), **encode_bytes(c.data)}
                  for c in ex.chunks]
        lines.append({"rec": "end", "x": ex.index, "t": _round(ex.end_t), "end": ex.end,
                      "live": ex.live_end, "reason": ex.end_reason, "bytes": ex.total_bytes,
                      "truncated": ex.truncated})
    return "".join(json.dumps(line, ensure_ascii=False, separators=(",", ":")) + "\n"
                   for line in lines)


# -- reading --------------------------------------------------------------------------------


def _need(rec: dict[str, Any], key: str, typ: type, where: str) -> Any:
    value = rec.get(key)
    if not isinstance(value, typ) or isinstance(value, bool):
        raise RecordingError(f"{where}: member {key!r} missing or not a {typ.__name__}")
    return value


def _bytes_of(rec: dict[str, Any], key: str, where: str) -> bytes | None:
    if isinstance(rec.get(key), str):
        return str(rec[key]).encode("utf-8")
    if isinstance(rec.get(key + "_b64"), str):
        try:
            return base64.b64decode(rec[key + "_b64"], validate=True)
        except (binascii.Error, ValueError) as exc:
            raise RecordingError(f"{where}: {key}_b64 is not base64 ({exc})") from None
    return None


def _headers(value: Any, where: str) -> list[tuple[str, str]]:
    if not isinstance(value, list) or not all(
            isinstance(h, list) and len(h) == 2 and all(isinstance(s, str) for s in h)
            for h in value):
        raise RecordingError(f"{where}: headers must be a list of [name, value] pairs")
    return [(str(k), str(v)) for k, v in value]


def _time(rec: dict[str, Any], where: str) -> float | None:
    t = rec.get("t")
    if t is None:
        return None
    if isinstance(t, bool) or not isinstance(t, int | float) or t < 0:
        raise RecordingError(f"{where}: t must be a non-negative number of seconds")
    return float(t)


def is_own(head: bytes) -> bool:
    """The first line is an ``a2a-recording`` header record."""
    first = head.split(b"\n", 1)[0]
    return b'"rec"' in first and FORMAT_PREFIX.encode() in first


def read(path: Path, text: str) -> Recording:
    """Parse an ``a2a-recording/1`` file (``text`` is its content)."""
    # "\n" only: str.splitlines() would also split inside strings at U+0085, U+2028, ...
    lines = text.split("\n")
    where = f"{path}:1"
    try:
        head = json.loads(lines[0]) if lines else None
    except ValueError as exc:
        raise RecordingError(f"{where}: not JSON ({exc})") from None
    if not isinstance(head, dict) or head.get("rec") != "recording":
        raise RecordingError(f"{where}: the first line must be the 'recording' header record")
    fmt = head.get("format")
    if fmt != FORMAT:
        raise RecordingError(f"{where}: format {fmt!r}; this pytest-a2a reads {FORMAT!r} "
                             "(a newer recording needs a newer pytest-a2a)")
    rec_out = Recording(path, FORMAT, test=head.get("test") if isinstance(head.get("test"), str)
                        else None, meta={k: v for k, v in head.items() if k != "rec"})
    by_x: dict[int, Exchange] = {}
    for n, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        where = f"{path}:{n}"
        try:
            rec = json.loads(line)
        except ValueError as exc:
            raise RecordingError(f"{where}: not JSON ({exc})") from None
        if not isinstance(rec, dict):
            raise RecordingError(f"{where}: each line must be a JSON object")
        kind = rec.get("rec")
        x = _need(rec, "x", int, where)
        if kind == "request":
            if x in by_x:
                raise RecordingError(f"{where}: exchange x={x} requested twice")
            by_x[x] = Exchange(
                index=x, method=_need(rec, "method", str, where), url=_need(rec, "url", str, where),
                request_headers=_headers(rec.get("headers", []), where),
                request_body=_bytes_of(rec, "body", where),
                op=rec.get("op") if isinstance(rec.get("op"), str) else None,
                dialect=rec.get("dialect") if isinstance(rec.get("dialect"), str) else None,
                started=rec.get("at") if isinstance(rec.get("at"), int | float) else None)
            continue
        ex = by_x.get(x)
        if ex is None:
            raise RecordingError(f"{where}: record for exchange x={x} before its request")
        if kind == "response":
            ex.status = _need(rec, "status", int, where)
            ex.response_headers = _headers(rec.get("headers", []), where)
            ex.response_t = _time(rec, where)
        elif kind == "chunk":
            data = _bytes_of(rec, "text", where)
            if data is None:
                raise RecordingError(f"{where}: a chunk needs 'text' or 'text_b64'")
            ex.chunks.append(Chunk(_time(rec, where), data))
        elif kind == "end":
            end = rec.get("end")
            if end not in WIRE_ENDS:
                raise RecordingError(f"{where}: end {end!r}; valid: {', '.join(WIRE_ENDS)}")
            ex.end, ex.end_t = end, _time(rec, where)
            ex.end_reason = str(rec.get("reason") or "")
            ex.live_end = rec.get("live") if isinstance(rec.get("live"), str) else None
            ex.total_bytes = int(rec.get("bytes") or 0)
            ex.truncated = rec.get("truncated") is True
        else:
            raise RecordingError(f"{where}: unknown record {kind!r} (request, response, chunk, "
                                 "end)")
    for ex in by_x.values():
        if not ex.total_bytes:
            ex.total_bytes = sum(len(c.data) for c in ex.chunks)
        if ex.end == "unknown" and ex.end_t is None:
            ex.notes.append("no end record: the run stopped while this exchange was open")
    rec_out.exchanges = [by_x[x] for x in sorted(by_x)]
    return rec_out
