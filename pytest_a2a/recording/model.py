"""What a recording holds, whatever file it came from: exchanges of bytes with arrival times.

One model for all readers (own format, HAR, a raw SSE body), so replay and judging never know
where a recording came from; what a source could not capture is ``None`` (no arrival times, no
response headers, no request) and the judges say "not judged" for what needs it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

#: How an exchange ended on the wire (not the client's verdict, which replay recomputes):
#: ``closed`` (the server ended the body), ``client-left`` (the client stopped reading at
#: ``end_t`` while the server had not closed), ``transport-error`` (connection failure),
#: ``no-response`` (no status line before the client gave up), ``unknown`` (the source does not
#: say, e.g. a HAR entry or a body saved by curl: the body is complete, its close time unknown).
WireEnd = Literal["closed", "client-left", "transport-error", "no-response", "unknown"]
WIRE_ENDS: tuple[WireEnd, ...] = ("closed", "client-left", "transport-error", "no-response",
                                  "unknown")
STREAMING_OPS = frozenset({"stream", "resubscribe"})

#: request headers always redacted, on top of the names given with --a2a-header
SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "x-api-key"})
REDACTED = "<redacted>"


class RecordingError(ValueError):
    """The file is not a recording this version can read (message names file and line)."""


@dataclass(slots=True)
class Chunk:
    """Bytes as one read returned them; ``t`` = seconds since the request was sent (or None)."""

    t: float | None
    data: bytes


@dataclass
class Exchange:
    """One HTTP request and its answer, as captured."""

    index: int
    method: str = "POST"
    url: str = ""
    request_headers: list[tuple[str, str]] = field(default_factory=list)
    request_body: bytes | None = None
    op: str | None = None  # stream | resubscribe | send | get | cancel | list | raw
    dialect: str | None = None  # v0.3-jsonrpc | v1.0-jsonrpc | v1.0-rest
    started: float | None = None  # seconds since the recording started
    status: int | None = None
    response_headers: list[tuple[str, str]] | None = None  # None: not captured
    response_t: float | None = None
    chunks: list[Chunk] = field(default_factory=list)
    end: WireEnd = "unknown"
    end_t: float | None = None
    end_reason: str = ""
    total_bytes: int = 0  # body bytes the server sent (recorded or not)
    truncated: bool = False  # chunks stop at the size cap; total_bytes says how much was sent
    live_end: str | None = None  # the live client's verdict (informational)
    notes: list[str] = field(default_factory=list)  # e.g. "dialect guessed from the events"

    @property
    def timed(self) -> bool:
        """Every chunk has its arrival time (incremental delivery and closure can be judged)."""
        return bool(self.chunks) and all(c.t is not None for c in self.chunks) \
            and self.end_t is not None

    @property
    def streaming(self) -> bool:
        return self.op in STREAMING_OPS

    @property
    def body(self) -> bytes:
        return b"".join(c.data for c in self.chunks)

    def response_header(self, name: str) -> str | None:
        wanted = name.lower()
        for key, value in self.response_headers or ():
            if key.lower() == wanted:
                return value
        return None

    def request_header(self, name: str) -> str | None:
        wanted = name.lower()
        for key, value in self.request_headers:
            if key.lower() == wanted:
                return value
        return None

    @property
    def content_type(self) -> str | None:
        return self.response_header("content-type")


@dataclass
class Recording:
    """One file's exchanges, in request order."""

    path: Path
    kind: str  # "a2a-recording/1" | "har" | "sse"
    exchanges: list[Exchange] = field(default_factory=list)
    test: str | None = None  # the test that made it (own format)
    meta: dict[str, object] = field(default_factory=dict)

    @property
    def name(self) -> str:
        """Stable short name used in test ids and expectation ``cases``."""
        name = self.path.name
        for suffix in (".a2a.jsonl", ".jsonl", ".har", ".sse", ".txt"):
            if name.endswith(suffix):
                return name[: -len(suffix)]
        return name

    def exchange_id(self, ex: Exchange) -> str:
        return f"{self.name}#{ex.index}"


def redact(headers: list[tuple[str, str]], names: frozenset[str]) -> list[tuple[str, str]]:
    """Headers with the values of ``names`` (lower-case) and of SECRET_HEADERS replaced."""
    hidden = names | SECRET_HEADERS
    return [(k, REDACTED if k.lower() in hidden else v) for k, v in headers]
