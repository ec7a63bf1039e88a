"""The wire transcript of one exchange, and the excerpt users read in a failure message.

A conformance failure is only actionable if it shows what the server actually sent and when:
the request, the status line and content type, every event and comment with its arrival time
(``+0.013s  data: {...}``), how many bytes arrived, and how the stream ended.

A transcript holds excerpts, never copies: an event becomes its clipped display lines when it
is recorded (a simple one keeps its wire bytes, shared with the event, and is formatted only
when shown), and a stream of endless small events keeps its first :data:`HEAD_ENTRIES` and last
:data:`TAIL_ENTRIES` entries (the count of the rest is shown), so its size is bounded whatever
the server sends.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from pytest_a2a.wire.sse import MAX_LINE, SSEComment, SSEEvent, clip, simple_lines

HEAD_ENTRIES = 300  # entries kept from a transcript's start ...
TAIL_ENTRIES = 200  # ... and from its end; the ones between are only counted


@dataclass(slots=True)
class Entry:
    """One transcript line source: a note (request, headers, end) or an SSE item's excerpt."""

    t: float
    kind: str  # "request" | "response" | "event" | "comment" | "note" | "end"
    text: str = ""
    lines: tuple[str, ...] = ()  # an event's clipped field lines (see ``SSEEvent.lines``)
    index: int | None = None  # event index in the stream, for ``excerpt(around=...)``
    n_lines: int = 0  # how many field lines the event really had
    nbytes: int = 0  # the event's size on the wire
    wire: bytes = b""  # a simple event's wire form, its ``lines`` computed only when shown

    def shown_lines(self) -> list[str]:
        """The event's display lines (clipped field lines, at most 5)."""
        if not self.wire:
            return list(self.lines)
        return [clip(line) for line in simple_lines(self.wire)]


def _simple_entry(index: int, t: float, wire: bytes) -> Entry:
    """A simple event's entry: its wire form (shared with the event), formatted when shown."""
    return Entry(t, "event", "", (), index, 1, len(wire), wire)


def _event_entry(ev: SSEEvent, index: int) -> Entry:
    lines = ev.lines
    if ev.n_lines > 6:  # multi-line data: keep it short but say so
        lines = [*lines[:4], lines[-1]]
    return Entry(ev.t, "event", lines=tuple(clip(line) for line in lines), index=index,
                 n_lines=ev.n_lines, nbytes=ev.nbytes)


@dataclass
class Transcript:
    """Everything seen on one request, in arrival order (times in s since the request was sent)."""

    entries: list[Entry] = field(default_factory=list)
    # a simple event in the tail is kept as (index, t, wire), a tuple of atoms the GC soon stops
    # tracking, and made an Entry only when shown: the tail of a burst turns over 20,000 times
    tail: deque[Entry | tuple[int, float, bytes]] = field(
        default_factory=lambda: deque(maxlen=TAIL_ENTRIES))
    omitted: int = 0  # entries counted but not kept (between ``entries`` and ``tail``)
    bytes_received: int = 0
    chunks: int = 0
    end: str | None = None
    end_t: float | None = None
    end_reason: str = ""
    _events: int = 0
    _comments: int = 0

    def _add(self, entry: Entry | tuple[int, float, bytes]) -> None:
        if len(self.entries) < HEAD_ENTRIES:
            if isinstance(entry, tuple):
                entry = _simple_entry(*entry)
            self.entries.append(entry)
            return
        if len(self.tail) == self.tail.maxlen:
            self.omitted += 1
        self.tail.append(entry)

    def request(self, method: str, url: str, note: str = "") -> None:
        text = f"{method} {url}" + (f"  ({note})" if note else "")
        self._add(Entry(0.0, "request", text))

    def response(self, t: float, status: int, content_type: str | None, extra: str = "") -> None:
        text = f"HTTP {status}  content-type: {content_type or '(none)'}"
        if extra:
            text += f"  {extra}"
        self._add(Entry(t, "response", text))

    def chunk(self, nbytes: int) -> None:
        self.bytes_received += nbytes
        self.chunks += 1

    def item(self, item: SSEEvent | SSEComment) -> None:
        if isinstance(item, SSEEvent):
            index = self._events
            self._events = index + 1
            if item.is_simple:  # formatted only if shown
                self._add((index, item.t, item.raw))
            else:
                self._add(_event_entry(item, index))
        else:
            self._add(Entry(item.t, "comment", clip(":" + item.text)))
            self._comments += 1

    def wire_event(self, t: float, wire: bytes) -> None:
        """A simple event as its wire bytes (what ``SSEParser.feed_wire`` hands out): every
        event of a burst, recorded with no object made for it (see ``tail``)."""
        index = self._events
        self._events = index + 1
        if len(self.entries) < HEAD_ENTRIES:
            self.entries.append(_simple_entry(index, t, wire))
            return
        tail = self.tail
        if len(tail) == TAIL_ENTRIES:
            self.omitted += 1
        tail.append((index, t, wire))

    def note(self, t: float, text: str) -> None:
        if len(text) > 4 * MAX_LINE:
            text = text[: 4 * MAX_LINE] + f" …({len(text) - 4 * MAX_LINE} chars)"
        self._add(Entry(t, "note", text))

    def finish(self, t: float, end: str, reason: str = "", pending: int = 0) -> None:
        if self.end is not None:
            return
        self.end, self.end_t, self.end_reason = end, t, reason
        parts = [f"end: {end}"]
        if reason:
            parts.append(f"({reason})")
        summary = (
            f"{self._events} events, {self._comments} comments, "
            f"{self.bytes_received} bytes in {self.chunks} chunks"
        )
        if pending:
            summary += f", {pending} bytes of an unterminated event discarded"
        self._add(Entry(t, "end", " ".join(parts) + "; " + summary))

    def _lines(self, entry: Entry) -> list[str]:
        stamp = f"+{entry.t:.3f}s  "
        if entry.kind != "event":
            return [stamp + entry.text]
        lines = entry.shown_lines()
        if entry.n_lines > 6:
            lines.insert(4, f"… {entry.n_lines - 5} more lines …")
        tag = f"#{entry.index} "
        out = [stamp + tag + lines[0]] if lines else [stamp + tag + "(empty)"]
        pad = " " * len(stamp + tag)
        out.extend(pad + line for line in lines[1:])
        if entry.nbytes > MAX_LINE:
            out[-1] += f"  [{entry.nbytes} bytes]"
        return out

    def kept(self) -> list[Entry]:
        """The entries kept, in order (a gap of ``omitted`` entries sits before ``tail``)."""
        tail = [_simple_entry(*e) if isinstance(e, tuple) else e for e in self.tail]
        if not self.omitted:
            return [*self.entries, *tail]
        gap = Entry(tail[0].t, "note", f"… {self.omitted} entries not kept …")
        return [*self.entries, gap, *tail]

    def excerpt(self, around: int | None = None, max_lines: int = 40) -> str:
        """Readable lines; if too long: the head, the lines ``around`` an event index, the tail."""
        entries = self.kept()
        blocks = [self._lines(e) for e in entries]
        flat = [line for block in blocks for line in block]
        if len(flat) <= max_lines:
            return "\n".join(flat)
        # Always keep the request/response head and the end line; fill the rest around the focus.
        head_n = 3
        tail_n = 4
        focus_line: int | None = None
        if around is not None:
            pos = 0
            for e, block in zip(entries, blocks, strict=True):
                if e.kind == "event" and e.index == around:
                    focus_line = pos
                    break
                pos += len(block)
        keep: set[int] = set(range(min(head_n, len(flat))))
        keep.update(range(max(0, len(flat) - tail_n), len(flat)))
        budget = max_lines - len(keep)
        if focus_line is not None:
            lo = max(0, focus_line - budget // 2)
            keep.update(range(lo, min(len(flat), lo + budget)))
        else:
            keep.update(range(head_n, min(len(flat), head_n + budget)))
        out: list[str] = []
        skipped = 0
        for i, line in enumerate(flat):
            if i in keep:
                if skipped:
                    out.append(f"          … {skipped} lines omitted …")
                    skipped = 0
                out.append(line)
            else:
                skipped += 1
        if skipped:
            out.append(f"          … {skipped} lines omitted …")
        return "\n".join(out)

    def __str__(self) -> str:
        return self.excerpt()
