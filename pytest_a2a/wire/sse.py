"""Incremental SSE parser (WHATWG "event stream interpretation"): bytes in, events and comments out.

Servers legally vary line ends (LF, CRLF, CR, even a CR/LF pair split across two TCP chunks),
send ``: ping`` comments, split ``data`` over several lines, add ``event:``/``id:``/``retry:``
fields and a leading BOM; a conformance judge must accept all of them, and must keep the raw
bytes and arrival time of what it saw so a failure can show the wire. Line ends are found in C
(memchr when a chunk has no CR, else a regex search); Python work is per line, never per byte,
and a whole simple event (one ``data`` line, then a blank line: every event of a burst) is one
step that keeps only its wire bytes (:mod:`pytest_a2a.wire.sse_items`).

Memory is bounded on hostile input: an event (or an unterminated line) larger than
``max_event_bytes`` stops the parser (``oversize``) and frees what it buffered, and an event
keeps its full ``data`` but only an excerpt of its wire form (``raw``: the first
:data:`RAW_HEAD` and last :data:`RAW_TAIL` bytes; ``lines``: the first field lines and the last,
each clipped to :data:`MAX_LINE` characters), so a 4 MiB event is held once, not four times.
The bound also holds process-wide (:mod:`pytest_a2a.wire.ledger`): all parsers and unary
answers together hold a few times the maximum in unfinished events, not 100 times it.
"""

from __future__ import annotations

import re
import weakref

from pytest_a2a.wire.ledger import (
    DEFAULT_MAX_EVENT_BYTES,
    LEDGER,
    MAX_EVENT_OPTION,
    PROCESS_FACTOR,
    PROCESS_SHARE_MIN,
    Share,
)
from pytest_a2a.wire.sse_items import (
    BOM,
    HEAD_LINES,
    LINE_TAIL,
    MAX_LINE,
    RAW_HEAD,
    RAW_TAIL,
    SHORT_LINE,
    SSEComment,
    SSEEvent,
    SSEItem,
    WireItem,
    clip,
    clip_bytes,
    simple_data,
    simple_event,
    simple_lines,
)

__all__ = [  # the items live in sse_items; they are re-exported for the parser's users
    "BOM", "DEFAULT_MAX_EVENT_BYTES", "HEAD_LINES", "LEDGER", "LINE_TAIL", "MAX_EVENT_OPTION",
    "MAX_LINE", "PROCESS_FACTOR", "PROCESS_SHARE_MIN", "RAW_HEAD", "RAW_TAIL", "SSEComment",
    "SSEEvent", "SSEItem", "SSEOversize", "SSEParser", "WireItem", "clip", "parse_all",
    "simple_data", "simple_event", "simple_lines",
]

_EOL = re.compile(rb"\r\n|\r|\n")
_COLON = re.compile(rb":")


class SSEOversize(Exception):
    """An event or line exceeded the parser's cap; the stream must be abandoned."""


class SSEParser:
    """Feed chunks with their arrival time; get back the events and comments they completed."""

    __slots__ = (
        "__weakref__",
        "_bom_pending",
        "_buf",
        "_cr_owner",
        "_data",
        "_event_bytes",
        "_event_type",
        "_has_data",
        "_head_lines",
        "_id",
        "_last_id",
        "_last_line",
        "_line_count",
        "_raw_head",
        "_raw_tail",
        "_retry",
        "_scan",
        "_share",
        "_skip_lf",
        "_stopped_pending",
        "_stopped_total",
        "_t_first",
        "max_event_bytes",
        "oversize",
        "total_bytes",
    )

    def __init__(self, max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES) -> None:
        self.max_event_bytes = max_event_bytes
        self.oversize = False
        self.total_bytes = 0
        self._buf = bytearray()
        self._scan = 0
        self._skip_lf = False
        self._cr_owner: SSEItem | None = None
        self._bom_pending = True
        self._last_id: str | None = None
        self._stopped_pending = 0
        self._stopped_total = 0
        self._share = Share()
        weakref.finalize(self, LEDGER.release, self._share)
        self._reset_event()

    def _reset_event(self) -> None:
        self._data: list[str] = []
        self._has_data = False
        self._event_type = ""
        self._id: str | None = None
        self._retry: int | None = None
        self._raw_head = bytearray()
        self._raw_tail = b""
        self._head_lines: list[str] = []
        self._last_line = ""
        self._line_count = 0
        self._event_bytes = 0
        self._t_first = -1.0

    @property
    def last_event_id(self) -> str | None:
        """The SSE "last event ID" (persists across events, as a browser would resend it)."""
        return self._last_id

    @property
    def pending_bytes(self) -> int:
        """Bytes received but not part of a dispatched event or comment (incomplete at EOF);
        after ``oversize``, what was pending when the parser stopped."""
        if self.oversize:
            return self._stopped_pending
        return len(self._buf) + self._event_bytes

    @property
    def oversize_reason(self) -> str:
        """What a user reads when the parser stopped: the limit, what arrived, what to change."""
        limit = self.max_event_bytes
        if self._stopped_total:
            together = limit * PROCESS_FACTOR
            return (
                f"{self._stopped_pending} bytes of one event arrived without its end while the "
                f"streams of this run held {self._stopped_total} bytes of unfinished events "
                f"together, more than {PROCESS_FACTOR} x the {limit} byte maximum "
                f"({together / 2**20:.0f} MiB); the stream was abandoned (the maximum is "
                f"{MAX_EVENT_OPTION})"
            )
        return (
            f"one event exceeded the {limit} byte ({limit / 2**20:.1f} MiB) maximum: "
            f"{self._stopped_pending} bytes arrived without the event's end; the stream was "
            f"abandoned (raise the limit with {MAX_EVENT_OPTION} if such events are legitimate)"
        )

    def feed(self, chunk: bytes, t: float = 0.0) -> list[SSEItem]:
        """Parse one chunk that arrived at ``t``.

        Past the cap, :attr:`oversize` is set (the items completed before it are still returned),
        the buffered bytes are freed, and any further ``feed`` raises :class:`SSEOversize`.
        """
        return [simple_event(item, t) if isinstance(item, bytes) else item
                for item in self.feed_wire(chunk, t)]

    def feed_wire(self, chunk: bytes, t: float = 0.0) -> list[WireItem]:
        """:meth:`feed`, with each simple event handed out as its bare wire bytes (arrival time
        ``t``; :func:`~pytest_a2a.wire.sse_items.simple_event` makes its :class:`SSEEvent`):
        what a stream keeps of a burst event."""
        if self.oversize:
            raise SSEOversize(f"parser stopped: event larger than {self.max_event_bytes} bytes")
        self.total_bytes += len(chunk)
        buf = self._buf
        if self._skip_lf and chunk:
            self._skip_lf = False
            if chunk[:1] == b"\n":
                # The LF of a CRLF split across chunks: part of the previous line's raw bytes.
                owner, self._cr_owner = self._cr_owner, None
                if isinstance(owner, SSEEvent):
                    owner.raw += b"\n"
                    owner.size += 1
                elif owner is not None:
                    owner.raw += b"\n"
                elif self._event_bytes:
                    self._add_raw(b"\n")
                chunk = chunk[1:]
        buf += chunk
        if self._bom_pending:
            if len(buf) < len(BOM) and BOM.startswith(bytes(buf)):
                return []
            self._bom_pending = False
            if buf.startswith(BOM):
                del buf[:3]
        out: list[WireItem] = []
        pos = 0
        end = len(buf)
        cap = min(RAW_HEAD, self.max_event_bytes)  # a simple event is kept whole in ``raw``
        # Without a CR the line ends are the LFs, found by memchr; else by one regex search
        # a line (the bytes before ``_scan`` are a line's start: no CR among them either).
        lf_only = buf.find(b"\r", self._scan) < 0
        search = _EOL.search
        at = self._scan
        view = memoryview(buf)  # slices of it copy nothing; released before ``buf`` shrinks
        try:
            while True:
                if lf_only:
                    start = buf.find(b"\n", at)
                    if start < 0:
                        break
                    stop = start + 1
                else:
                    m = search(buf, at)
                    if m is None:
                        break
                    start, stop = m.span()
                if not self._line_count and buf.startswith(b"data:", pos):
                    # Fast path: a whole event of one data line (LF or CRLF, then a blank line)
                    # is kept as its wire bytes; the line-by-line path below would yield the
                    # same event (data, lines, sizes), only slower.
                    # LF or CRLF twice (a line end with a lone CR takes the general path)
                    blank = stop + stop - start
                    if buf[stop - 1] == 10 and blank - pos <= cap and \
                            buf.startswith(b"\n" if blank - stop == 1 else b"\r\n", stop):
                        out.append(bytes(view[pos:blank]))
                        pos = at = blank
                        continue
                n_out = len(out)
                self._line(view[pos:start], view[pos:stop], t, out)
                if stop == end and stop - start == 1 and buf[start] == 13:  # 13 = CR
                    # a lone CR at the chunk's end may be half of a CRLF split across chunks:
                    # whose raw bytes the LF belongs to: an item just emitted, or the event
                    self._skip_lf = True
                    last = out[-1] if len(out) > n_out else None  # never a simple event's bytes
                    self._cr_owner = None if isinstance(last, bytes) else last
                pos = at = stop
                if self._event_bytes > self.max_event_bytes:
                    break
        finally:
            view.release()
        if pos:
            del buf[:pos]
        self._scan = len(buf)
        pending = len(buf) + self._event_bytes
        if pending == self._share.n:
            return out
        total = LEDGER.set(self._share, pending)
        crowded = pending > PROCESS_SHARE_MIN and total > PROCESS_FACTOR * self.max_event_bytes
        if pending > self.max_event_bytes or crowded:
            # The caller checks the flag; events completed so far are kept, the rest is freed.
            self.oversize = True
            self._stopped_pending = pending
            self._stopped_total = total if pending <= self.max_event_bytes else 0
            self._buf = bytearray()
            self._scan = 0
            self._reset_event()
            LEDGER.release(self._share)
        return out

    def _add_raw(self, piece: bytes | memoryview) -> None:
        """Account wire bytes to the pending event, keeping only its head and tail."""
        n = len(piece)
        self._event_bytes += n
        if len(self._raw_head) + n <= RAW_HEAD:
            self._raw_head += piece
            return
        room = RAW_HEAD - len(self._raw_head)
        if room > 0:
            self._raw_head += piece[:room]
            piece = piece[room:]
        if len(piece):
            self._raw_tail = (self._raw_tail + bytes(piece[-RAW_TAIL:]))[-RAW_TAIL:]

    def _line(self, line: memoryview, raw: memoryview, t: float, out: list[WireItem]) -> None:
        """One line (``raw`` = the line with its end). Short lines, the common case, are decoded
        whole; a long one is decoded once for its value and only excerpted for display."""
        if not line:
            if self._has_data:
                self._add_raw(raw)
                self._dispatch(t, out)
            self._reset_event()
            return
        short = len(line) <= SHORT_LINE
        if line[0] == 58:  # 58 = ":" -> comment
            text = str(line[1:], "utf-8", "replace") if short else clip_bytes(line[1:])
            out.append(SSEComment(text=text, t=t, raw=bytes(raw[:RAW_HEAD])))
            return
        if self._t_first < 0:
            self._t_first = t
        self._add_raw(raw)
        if short:
            text = str(line, "utf-8", "replace")
            shown = text if len(text) <= MAX_LINE else clip(text)
            name, colon, value = text.partition(":")
            if colon and value[:1] == " ":
                value = value[1:]
        else:
            shown = clip_bytes(line)
            found = _COLON.search(line)
            if found is None:
                name, value = str(line, "utf-8", "replace"), ""
            else:
                at = found.start()
                name = str(line[:at], "utf-8", "replace")
                start = at + 2 if at + 1 < len(line) and line[at + 1] == 32 else at + 1  # " "
                value = str(line[start:], "utf-8", "replace")
        self._line_count += 1
        if self._line_count <= HEAD_LINES:
            self._head_lines.append(shown)
        else:
            self._last_line = shown
        if name == "data":
            self._data.append(value)
            self._has_data = True
        elif name == "event":
            self._event_type = value
        elif name == "id":
            if "\x00" not in value:
                self._id = value
                self._last_id = value
        elif name == "retry":
            if value.isascii() and value.isdigit():
                self._retry = int(value)
        # any other field name is ignored, as the standard requires

    def _dispatch(self, t: float, out: list[WireItem]) -> None:
        lines = self._head_lines
        if self._line_count > HEAD_LINES:
            lines.append(self._last_line)
        raw = bytes(self._raw_head) + self._raw_tail if self._raw_tail else bytes(self._raw_head)
        out.append(
            SSEEvent(
                data="\n".join(self._data),
                event=self._event_type or "message",
                id=self._id,
                retry=self._retry,
                t=t,
                t_first=self._t_first if self._t_first >= 0 else t,
                raw=raw,
                lines=lines,
                size=self._event_bytes,
                line_count=self._line_count,
            )
        )

    def close(self) -> int:
        """End of stream: the standard discards an undispatched event. Returns bytes discarded."""
        pending = self.pending_bytes
        self._buf.clear()
        self._scan = 0
        self._reset_event()
        LEDGER.release(self._share)
        return pending


def parse_all(data: bytes, chunk_size: int | None = None) -> list[SSEItem]:
    """Parse a whole body (optionally in fixed-size chunks); convenience for tests and fixtures."""
    parser = SSEParser(max_event_bytes=max(DEFAULT_MAX_EVENT_BYTES, len(data) + 1))
    if not chunk_size:
        return parser.feed(data)
    out: list[SSEItem] = []
    for i in range(0, len(data), chunk_size):
        out.extend(parser.feed(data[i : i + chunk_size]))
    return out
