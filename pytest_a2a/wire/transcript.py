"""The wire transcript of one exchange, and the excerpt users read in a failure message.

A conformance failure is only actionable if it shows what the server actually sent and when:
the request, the status line and content type, every event and comment with its arrival time
(``+0.013s  data: {...}``), how many bytes arrived, and how the stream ended.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pytest_a2a.wire.sse import SSEComment, SSEEvent

MAX_LINE = 200
_TAIL = 60  # the end of a JSON line (state, final, lastChunk) matters as much as its start


@dataclass(slots=True)
class Entry:
    """One transcript line source: a note (request, headers, end) or an SSE item."""

    t: float
    kind: str  # "request" | "response" | "event" | "comment" | "note" | "end"
    text: str = ""
    item: SSEEvent | SSEComment | None = None
    index: int | None = None  # event index in the stream, for ``excerpt(around=...)``


def _clip(text: str, limit: int = MAX_LINE) -> str:
    text = text.replace("\r", "\\r").replace("\n", "\\n")
    if len(text) <= limit:
        return text
    head = limit - _TAIL - 20
    return f"{text[:head]} …({len(text) - head - _TAIL} chars)… {text[-_TAIL:]}"


@dataclass
class Transcript:
    """Everything seen on one request, in arrival order (times in s since the request was sent)."""

    entries: list[Entry] = field(default_factory=list)
    bytes_received: int = 0
    chunks: int = 0
    end: str | None = None
    end_t: float | None = None
    end_reason: str = ""
    _events: int = 0
    _comments: int = 0

    def request(self, method: str, url: str, note: str = "") -> None:
        text = f"{method} {url}" + (f"  ({note})" if note else "")
        self.entries.append(Entry(0.0, "request", text))

    def response(self, t: float, status: int, content_type: str | None, extra: str = "") -> None:
        text = f"HTTP {status}  content-type: {content_type or '(none)'}"
        if extra:
            text += f"  {extra}"
        self.entries.append(Entry(t, "response", text))

    def chunk(self, nbytes: int) -> None:
        self.bytes_received += nbytes
        self.chunks += 1

    def item(self, item: SSEEvent | SSEComment) -> None:
        if isinstance(item, SSEEvent):
            self.entries.append(Entry(item.t, "event", item=item, index=self._events))
            self._events += 1
        else:
            self.entries.append(Entry(item.t, "comment", item=item))
            self._comments += 1

    def note(self, t: float, text: str) -> None:
        self.entries.append(Entry(t, "note", text))

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
        self.entries.append(Entry(t, "end", " ".join(parts) + "; " + summary))

    def _lines(self, entry: Entry) -> list[str]:
        stamp = f"+{entry.t:.3f}s  "
        if entry.kind == "comment":
            assert isinstance(entry.item, SSEComment)
            return [stamp + _clip(":" + entry.item.text)]
        if entry.kind == "event":
            ev = entry.item
            assert isinstance(ev, SSEEvent)
            lines = ev.lines
            if len(lines) > 6:  # multi-line data: keep it short but say so
                lines = [*lines[:4], f"… {len(ev.lines) - 5} more lines …", lines[-1]]
            tag = f"#{entry.index} "
            out = [stamp + tag + _clip(lines[0])] if lines else [stamp + tag + "(empty)"]
            pad = " " * len(stamp + tag)
            out.extend(pad + _clip(line) for line in lines[1:])
            if ev.nbytes > MAX_LINE:
                out[-1] += f"  [{ev.nbytes} bytes]"
            return out
        return [stamp + entry.text]

    def excerpt(self, around: int | None = None, max_lines: int = 40) -> str:
        """Readable lines; if too long: the head, the lines ``around`` an event index, the tail."""
        blocks = [self._lines(e) for e in self.entries]
        flat = [line for block in blocks for line in block]
        if len(flat) <= max_lines:
            return "\n".join(flat)
        # Always keep the request/response head and the end line; fill the rest around the focus.
        head_n = 3
        tail_n = 4
        focus_line: int | None = None
        if around is not None:
            pos = 0
            for e, block in zip(self.entries, blocks, strict=True):
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
