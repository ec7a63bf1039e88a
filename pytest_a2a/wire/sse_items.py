"""What the SSE parser (:mod:`pytest_a2a.wire.sse`) hands out: events and comments, and how
their wire form is shown (clipped lines), apart from how they are parsed.

A simple event (one ``data`` line of at most :data:`RAW_HEAD` bytes: every event of a burst)
keeps only its wire bytes; its ``data`` and display ``lines`` are computed from them when asked,
so a 20,000-event stream holds each event's text once (issue 11).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "BOM", "HEAD_LINES", "LINE_TAIL", "MAX_LINE", "RAW_HEAD", "RAW_TAIL", "SHORT_LINE",
    "SSEComment", "SSEEvent", "SSEItem", "WireItem", "clip", "clip_bytes", "shown_line",
    "simple_data", "simple_event", "simple_lines",
]

BOM = b"\xef\xbb\xbf"
RAW_HEAD = 2048  # wire bytes of an event kept from its start ...
RAW_TAIL = 256  # ... and from its end (a smaller event is kept whole)
MAX_LINE = 200  # characters of a field line kept (and shown in transcripts)
LINE_TAIL = 60  # the end of a JSON line (state, final, lastChunk) matters as much as its start
SHORT_LINE = 4 * MAX_LINE  # lines up to this many bytes are decoded whole
HEAD_LINES = 5  # field lines kept from an event's start; the last one is kept too


def clip(text: str, limit: int = MAX_LINE) -> str:
    """One display line of at most ``limit`` characters: head ``…(N chars)…`` tail."""
    text = text.replace("\r", "\\r").replace("\n", "\\n")
    if len(text) <= limit:
        return text
    head = limit - LINE_TAIL - 20
    return f"{text[:head]} …({len(text) - head - LINE_TAIL} chars)… {text[-LINE_TAIL:]}"


def clip_bytes(line: bytes | memoryview) -> str:
    """:func:`clip` of a line's text, decoding only the part that is shown."""
    if len(line) <= 4 * MAX_LINE:
        return clip(str(line, "utf-8", "replace"))
    head = str(line[: 4 * MAX_LINE], "utf-8", "replace")[: MAX_LINE - LINE_TAIL - 20]
    tail = str(line[-4 * LINE_TAIL :], "utf-8", "replace")[-LINE_TAIL:]
    return f"{head} …({len(line) - len(head) - len(tail)} bytes)… {tail}"


def shown_line(line: bytes | memoryview) -> str:
    """The display form of one field line (what ``SSEEvent.lines`` holds)."""
    if len(line) > SHORT_LINE:
        return clip_bytes(line)
    text = str(line, "utf-8", "replace")
    return text if len(text) <= MAX_LINE else clip(text)


def _simple_eol(raw: bytes) -> int:
    """Length of the line end of a simple event's wire form (LF or CRLF)."""
    return 2 if raw[-2] == 13 else 1  # 13 = CR: "...\r\n\r\n"


def simple_data(raw: bytes) -> str:
    """The ``data`` of a simple event from its wire form (one leading space is dropped)."""
    # 32 = " ": "data: x" / "data:x"; 13 = CR: the line ends are "\r\n\r\n", else "\n\n"
    return str(raw[6 if raw[5] == 32 else 5 : -4 if raw[-2] == 13 else -2], "utf-8", "replace")


def simple_lines(raw: bytes) -> list[str]:
    """The ``lines`` of a simple event (one ``data`` line, then a blank line) from its wire form:
    how lazily kept events and transcript entries show themselves."""
    return [shown_line(raw[: len(raw) - 2 * _simple_eol(raw)])]


class SSEEvent:
    """One dispatched SSE event: ``data`` lines joined with ``\\n``, plus its other fields.

    ``raw`` and ``lines`` are the wire form, whole for a small event and an excerpt of a large
    one (``size`` and ``line_count`` say how large it really was). A simple event (one ``data``
    line of at most :data:`RAW_HEAD` bytes, the common case) keeps only ``raw``: its ``data`` and
    ``lines`` are computed from it when asked, so a burst holds each event's text once.
    """

    __slots__ = ("_data", "_lines", "event", "id", "line_count", "raw", "retry", "size", "t",
                 "t_first")

    def __init__(
        self,
        data: str | None = None,
        event: str = "message",
        id: str | None = None,
        retry: int | None = None,
        t: float = 0.0,
        t_first: float = 0.0,
        raw: bytes = b"",
        lines: list[str] | None = None,
        size: int = 0,
        line_count: int = 0,
    ) -> None:
        """``data=None`` and ``lines=None``: a simple event, both computed from ``raw``."""
        self._data = data
        self.event = event
        self.id = id
        self.retry = retry
        self.t = t
        self.t_first = t_first
        self.raw = raw
        self._lines = lines
        self.size = size
        self.line_count = line_count

    @property
    def data(self) -> str:
        return self._data if self._data is not None else simple_data(self.raw)

    @property
    def lines(self) -> list[str]:
        return self._lines if self._lines is not None else simple_lines(self.raw)

    @property
    def is_simple(self) -> bool:
        """``data`` and ``lines`` are computed from ``raw`` (see the class note)."""
        return self._lines is None

    @property
    def nbytes(self) -> int:
        return max(self.size, len(self.raw))

    @property
    def n_lines(self) -> int:
        return max(self.line_count, 1 if self._lines is None else len(self._lines))

    def _key(self) -> tuple[object, ...]:
        return (self.data, self.event, self.id, self.retry, self.t, self.t_first, self.raw,
                self.lines, self.size, self.line_count)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SSEEvent) and self._key() == other._key()

    __hash__ = None  # type: ignore[assignment]  # mutable, compared by value (as a dataclass)

    def __repr__(self) -> str:
        return (f"SSEEvent(data={self.data!r}, event={self.event!r}, id={self.id!r}, "
                f"retry={self.retry!r}, t={self.t!r}, raw={self.raw!r}, size={self.size!r})")


@dataclass(slots=True)
class SSEComment:
    """A comment line (``: ping``); ``text`` is what follows the colon (clipped if long)."""

    text: str
    t: float = 0.0
    raw: bytes = b""


SSEItem = SSEEvent | SSEComment

#: What :meth:`~pytest_a2a.wire.sse.SSEParser.feed_wire` hands out: a simple event as its bare
#: wire bytes (no object around them: a kept burst event holds nothing the GC must walk), any
#: other event or comment as its item.
WireItem = bytes | SSEEvent | SSEComment


def simple_event(raw: bytes, t: float) -> SSEEvent:
    """The :class:`SSEEvent` of a simple event's wire form (see :data:`WireItem`)."""
    return SSEEvent(None, "message", None, None, t, t, raw, None, len(raw), 1)
