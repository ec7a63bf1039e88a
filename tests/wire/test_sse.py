"""The SSE parser: every line end, every chunk boundary; httpx-sse as an independent oracle."""

from __future__ import annotations

import codecs
import gc
import sys
import time
from dataclasses import dataclass

import pytest
from httpx_sse._decoders import SSEDecoder, SSELineDecoder
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pytest_a2a.run import options
from pytest_a2a.wire import sse
from pytest_a2a.wire.sse import BOM, SSEComment, SSEEvent, SSEOversize, SSEParser, parse_all
from pytest_a2a.wire.transcript import HEAD_ENTRIES, TAIL_ENTRIES, Transcript

EOLS = (b"\n", b"\r\n", b"\r")


@dataclass
class Block:
    """One generated event block: its lines, and the event a correct parser must produce."""

    lines: list[str]
    data: str | None  # None: no data line, nothing dispatched
    event: str
    id: str | None
    retry: int | None
    comments: list[str]


_value = st.text(
    alphabet=st.characters(blacklist_categories=["Cs"], blacklist_characters="\r\n\x00"),
    max_size=12,
)
_name = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=8)


@st.composite
def blocks(draw: st.DrawFn, need_data: bool = True) -> Block:
    lines: list[str] = []
    data: list[str] = []
    event, ev_id, retry = "", None, None
    comments: list[str] = []
    n = draw(st.integers(min_value=1, max_value=5))
    kinds = draw(st.lists(st.sampled_from(["data", "event", "id", "retry", "comment", "other"]),
                          min_size=n, max_size=n))
    if need_data and "data" not in kinds:
        kinds.append("data")
    for kind in kinds:
        value = draw(_value)
        sep = draw(st.sampled_from([": ", ":", ":  "]))  # exactly one leading space is stripped
        stripped = value if sep == ":" else (value if sep == ": " else " " + value)
        if sep == ":" and value.startswith(" "):
            stripped = value[1:]
        if kind == "comment":
            lines.append(":" + value)
            comments.append(value)
        elif kind == "data":
            if draw(st.booleans()) and not value:
                lines.append("data")  # field without a colon: value is ""
                data.append("")
            else:
                lines.append("data" + sep + value)
                data.append(stripped)
        elif kind == "event":
            lines.append("event" + sep + value)
            event = stripped
        elif kind == "id":
            lines.append("id" + sep + value)
            ev_id = stripped
        elif kind == "retry":
            digits = str(draw(st.integers(min_value=0, max_value=10**6)))
            lines.append("retry: " + digits)
            retry = int(digits)
        else:
            lines.append(draw(_name).replace("data", "x").replace("event", "x")
                         .replace("id", "x").replace("retry", "x") + ": " + value)
    return Block(lines, "\n".join(data) if data else None, event or "message", ev_id, retry,
                 comments)


def encode(bl: list[Block], eol: bytes) -> bytes:
    out = bytearray()
    for b in bl:
        for line in b.lines:
            out += line.encode() + eol
        out += eol
    return bytes(out)


def feed_cut(data: bytes, cuts: list[int]) -> list[SSEEvent | SSEComment]:
    parser = SSEParser()
    out: list[SSEEvent | SSEComment] = []
    prev = 0
    for c in [*sorted(set(cuts)), len(data)]:
        if prev < c <= len(data):
            out.extend(parser.feed(data[prev:c], float(prev)))
            prev = c
    return out


def oracle(data: bytes, cuts: list[int]) -> list[tuple[str, str, str]]:
    """httpx-sse's decoder (its own line splitter + field decoder) on the same chunks."""
    text_dec = codecs.getincrementaldecoder("utf-8")("replace")
    lines_dec = SSELineDecoder()
    dec = SSEDecoder()
    out = []
    prev = 0
    pieces = []
    for c in [*sorted(set(cuts)), len(data)]:
        if prev < c <= len(data):
            pieces.append(data[prev:c])
            prev = c
    for piece in pieces:
        text = text_dec.decode(piece)
        if not text:
            continue
        for line in lines_dec.decode(text):
            sse = dec.decode(line)
            if sse is not None:
                out.append((sse.event or "message", sse.data, sse.id))
    for line in lines_dec.flush():  # end of stream: a trailing CR is a line end
        sse = dec.decode(line)
        if sse is not None:
            out.append((sse.event or "message", sse.data, sse.id))
    return out


def ours(items: list[SSEEvent | SSEComment]) -> list[tuple[str, str, str]]:
    last = ""
    out = []
    for it in items:
        if isinstance(it, SSEEvent):
            last = it.id if it.id is not None else last
            out.append((it.event, it.data, last))
    return out


def expected(bl: list[Block]) -> list[tuple[str, str, str | None, int | None]]:
    return [(b.event, b.data, b.id, b.retry) for b in bl if b.data is not None]


_settings = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@_settings
@given(st.lists(blocks(need_data=False), min_size=1, max_size=6), st.sampled_from(EOLS),
       st.lists(st.integers(min_value=0, max_value=400), max_size=12))
def test_any_chunking_any_eol_matches_the_model(
    bl: list[Block], eol: bytes, cuts: list[int]
) -> None:
    data = encode(bl, eol)
    items = feed_cut(data, cuts)
    got = [(e.event, e.data, e.id, e.retry) for e in items if isinstance(e, SSEEvent)]
    assert got == expected(bl)
    assert [c.text for c in items if isinstance(c, SSEComment)] == [
        c for b in bl for c in b.comments]
    # raw bytes of events + comments account for every byte but the event-less blocks' lines
    evs = [e for e in items if isinstance(e, SSEEvent)]
    assert all(e.raw.endswith(eol) for e in evs)


@_settings
@given(st.lists(blocks(), min_size=1, max_size=6), st.sampled_from(EOLS),
       st.lists(st.integers(min_value=0, max_value=400), max_size=12))
def test_agrees_with_httpx_sse_oracle(bl: list[Block], eol: bytes, cuts: list[int]) -> None:
    data = encode(bl, eol)
    assert ours(feed_cut(data, cuts)) == oracle(data, cuts)


@pytest.mark.parametrize("eol", EOLS)
@pytest.mark.parametrize("bom", [b"", BOM])
def test_every_single_byte_boundary(eol: bytes, bom: bytes) -> None:
    """Split the stream in two at every byte (incl. inside CRLF and the BOM), and byte by byte."""
    lines = [": ping", "event: message", "id: 7", "retry: 1000", "data: {\"a\": 1,",
             "data:  \"b\": \"é😀\"}", "", "data", "", "foo", "data: x", ""]
    data = bom + b"".join(line.encode() + eol for line in lines)
    whole = parse_all(data)
    want = [("message", '{"a": 1,\n "b": "é😀"}', "7", 1000), ("message", "", None, None),
            ("message", "x", None, None)]
    assert [(e.event, e.data, e.id, e.retry) for e in whole if isinstance(e, SSEEvent)] == want
    for cut in range(len(data) + 1):
        got = feed_cut(data, [cut])
        assert [(type(i), getattr(i, "data", None)) for i in got] == [
            (type(i), getattr(i, "data", None)) for i in whole], cut
    assert [(type(i), getattr(i, "data", None)) for i in parse_all(data, 1)] == [
        (type(i), getattr(i, "data", None)) for i in whole]


def test_crlf_split_across_chunks_is_one_line_end() -> None:
    p = SSEParser()
    assert p.feed(b"data: a\r") == []
    assert p.feed(b"\n") == []  # the LF completes the CRLF, it is not a blank line
    (ev,) = p.feed(b"\r\n")
    assert isinstance(ev, SSEEvent) and ev.data == "a" and ev.raw == b"data: a\r\n\r\n"


def test_cr_then_cr_is_a_blank_line() -> None:
    p = SSEParser()
    assert p.feed(b"data: a\r") == []
    (ev,) = p.feed(b"\rdata: b\r\r")[:1]
    assert isinstance(ev, SSEEvent) and ev.data == "a"


def test_bom_only_at_start_and_only_once() -> None:
    (ev,) = parse_all(BOM + b"data: x\n\n")
    assert isinstance(ev, SSEEvent) and ev.data == "x"
    # A second BOM is content: the field name becomes "\ufeffdata", an unknown field.
    assert parse_all(BOM + BOM + b"data: x\n\n") == []


def test_arrival_times_and_raw_bytes_kept() -> None:
    p = SSEParser()
    assert p.feed(b": hi\ndata: 1\n", 0.5) == [SSEComment(" hi", 0.5, b": hi\n")]
    (ev,) = p.feed(b"\n", 0.75)
    assert isinstance(ev, SSEEvent)
    assert (ev.t_first, ev.t, ev.raw, ev.lines) == (0.5, 0.75, b"data: 1\n\n", ["data: 1"])


def test_incomplete_event_at_eof_is_discarded_and_counted() -> None:
    p = SSEParser()
    assert p.feed(b"data: complete\n\ndata: partial\n") != []
    assert p.pending_bytes == len(b"data: partial\n")
    assert p.close() == len(b"data: partial\n")


def test_oversize_event_stops_parser() -> None:
    p = SSEParser(max_event_bytes=1000)
    first = p.feed(b"data: ok\n\ndata: " + b"x" * 600 + b"\n")
    assert [e.data for e in first if isinstance(e, SSEEvent)] == ["ok"]
    assert not p.oversize
    assert p.feed(b"data: " + b"y" * 600 + b"\n") == []
    assert p.oversize
    with pytest.raises(SSEOversize):
        p.feed(b"\n")


def test_oversize_single_line_without_newline() -> None:
    p = SSEParser(max_event_bytes=1024)
    for _ in range(3):
        p.feed(b"z" * 500)
    assert p.oversize


def test_tiny_chunks_of_a_long_line_stay_linear() -> None:
    """A 1 MB line in 100-byte chunks: no rescans of the pending buffer."""
    p = SSEParser()
    line = b"data: " + b"x" * 1_000_000
    t0 = time.perf_counter()
    for i in range(0, len(line), 100):
        assert p.feed(line[i : i + 100]) == []
    (ev,) = p.feed(b"\n\n")
    assert isinstance(ev, SSEEvent) and len(ev.data) == 1_000_000
    assert time.perf_counter() - t0 < 2.0


def test_twenty_thousand_events_parse_completely() -> None:
    """Correctness of a large burst; its speed is measured in benchmarks/bench_sse_parser.py."""
    ev = b'data: {"jsonrpc":"2.0","id":"r","result":{"statusUpdate":{"taskId":"t"}}}\r\n\r\n'
    items = parse_all(ev * 20_000, 16384)
    assert len(items) == 20_000


# -- bounded memory on hostile input ----------------------------------------------------------


def test_oversize_frees_the_buffer_and_says_limit_and_option() -> None:
    p = SSEParser(max_event_bytes=4096)
    p.feed(b"data: " + b"x" * 5000)
    assert p.oversize and p.pending_bytes == 5006
    assert len(p._buf) == 0 and p._event_bytes == 0  # nothing of the endless line is kept
    reason = p.oversize_reason
    assert "4096 byte" in reason and "--a2a-max-event-bytes" in reason and "5006 bytes" in reason


def test_large_event_keeps_its_data_and_only_an_excerpt_of_its_wire_form() -> None:
    body = b"event: big\n" + b"".join(b"data: %06d" % i + b"y" * 3000 + b"\n" for i in range(50))
    (ev,) = parse_all(body + b"\n", 7919)
    assert isinstance(ev, SSEEvent) and ev.event == "big"
    assert ev.data.count("\n") == 49 and len(ev.data) == 50 * 3006 + 49  # data is whole
    assert ev.nbytes == len(body) + 1 and ev.n_lines == 51
    assert len(ev.raw) == sse.RAW_HEAD + sse.RAW_TAIL  # ... the wire form is an excerpt
    assert ev.raw.startswith(b"event: big\ndata: 000000") and ev.raw.endswith(b"yyy\n\n")
    assert len(ev.lines) == sse.HEAD_LINES + 1 and all(len(x) <= sse.MAX_LINE for x in ev.lines)
    assert ev.lines[-1].startswith("data: 000049") and "bytes)… yyy" in ev.lines[1]


def test_long_comment_is_clipped() -> None:
    (c,) = parse_all(b":" + b"p" * 100_000 + b"\n")
    assert isinstance(c, SSEComment) and len(c.text) <= sse.MAX_LINE
    assert len(c.raw) <= sse.RAW_HEAD + 2


def test_process_wide_bound_stops_the_big_holders_only() -> None:
    """Many streams each holding part of an endless event: together they stay bounded."""
    limit = 1024 * 1024
    cap = sse.PROCESS_FACTOR * limit
    before = sse.LEDGER.total
    parsers = [SSEParser(max_event_bytes=limit) for _ in range(40)]
    small = SSEParser(max_event_bytes=limit)
    piece = b"x" * (limit // 2)
    for p in parsers:
        p.feed(b"data: " + piece)
    stopped = [p for p in parsers if p.oversize]
    live = [p for p in parsers if not p.oversize]
    assert stopped and live  # crowding stops some, not all
    assert sse.LEDGER.total - before <= cap  # the held bytes never exceed the process bound
    assert "together" in stopped[0].oversize_reason
    assert small.feed(b"data: tiny\n\n")[0].data == "tiny"  # small events always pass
    for p in live:
        p.close()
    assert sse.LEDGER.total == before
    p = SSEParser(max_event_bytes=limit)
    p.feed(b"data: " + piece)
    assert sse.LEDGER.total == before + len(piece) + 6
    del p
    gc.collect()
    assert sse.LEDGER.total == before  # a parser dropped without close() releases its share


def test_parser_default_matches_the_option_default() -> None:
    assert options.DEFAULT_MAX_EVENT_BYTES == sse.DEFAULT_MAX_EVENT_BYTES
    sizes = {"4194304": 4 << 20, "512KiB": 512 << 10, "16 MiB": 16 << 20, "1g": 1 << 30,
             "1024": 1024}
    assert {text: options._max_event_bytes(text) for text in sizes} == sizes
    for bad in ("0", "1023", "2GiB", "-5", "4MB", "MiB", "1.5MiB"):
        with pytest.raises(pytest.UsageError, match="a2a-max-event-bytes"):
            options._max_event_bytes(bad)


def test_transcript_keeps_excerpts_not_events() -> None:
    tr = Transcript()
    (ev,) = parse_all(b"data: " + b"z" * 1_000_000 + b"\n\n")
    assert isinstance(ev, SSEEvent)
    refs = sys.getrefcount(ev)
    tr.item(ev)
    assert sys.getrefcount(ev) == refs  # the transcript holds no reference to the event
    text = tr.excerpt()
    assert "[1000008 bytes]" in text and len(text) < 400


def test_transcript_of_endless_small_events_is_bounded() -> None:
    tr = Transcript()
    tr.request("POST", "http://h/")
    n = 5000
    for i, item in enumerate(parse_all(b"".join(b"data: %d\n\n" % i for i in range(n)))):
        assert isinstance(item, SSEEvent) and item.data == str(i)
        tr.item(item)
    tr.finish(2.0, "timeout", "stream still running")
    assert len(tr.entries) + len(tr.tail) == HEAD_ENTRIES + TAIL_ENTRIES
    full = tr.excerpt(max_lines=10_000)
    assert f"… {n + 2 - HEAD_ENTRIES - TAIL_ENTRIES} entries not kept …" in full
    assert f"{n} events, 0 comments" in full.splitlines()[-1] and f"#{n - 1} " in full


def test_unary_answers_share_the_process_bound() -> None:
    from pytest_a2a.wire.ledger import BodyHold

    before = sse.LEDGER.total
    one = BodyHold(1024 * 1024)
    assert one.hold(1000) is None and sse.LEDGER.total == before + 1000
    assert "--a2a-max-event-bytes" in (one.hold(1024 * 1024 + 1) or "")
    one.release()
    crowd = [BodyHold(1024 * 1024) for _ in range(40)]
    stops = [h.hold(512 * 1024) for h in crowd]
    assert stops[0] is None and any(stops) and "together" in next(s for s in stops if s)
    for h in crowd:
        h.release()
    assert sse.LEDGER.total == before


# -- the fast path of simple events -----------------------------------------------------------

_SIMPLE_BODIES = [
    b"data: x\n\n", b"data:x\n\n", b"data:  x\n\n", b"data:\n\n", b"data: \n\n", b"data: x\r\n\r\n",
    b"data:\r\n\r\n", "data: é😀\n\n".encode(), b"data: \xff\xfe bad utf-8\n\n",
    b"data: " + b"y" * 300 + b"\n\n", b"data: " + b"z" * 900 + b"\r\n\r\n",
    b"data: " + b"w" * (sse.RAW_HEAD - 8) + b"\n\n",  # exactly RAW_HEAD bytes: still simple
]
_OTHER_BODIES = [
    b"data: " + b"v" * (sse.RAW_HEAD - 7) + b"\n\n",  # one byte more: the general path
    b"data: a\ndata: b\n\n", b"id: 1\ndata: a\n\n", b"data: a\n\r\n", b"data: a\r\n\n",
    b"data: a\r\r", b"data: a\n: ping\n\n", b"event: e\ndata: a\n\n", b"datax: a\n\n",
]


@pytest.mark.parametrize("body", _SIMPLE_BODIES + _OTHER_BODIES)
def test_whole_events_take_the_fast_path_and_equal_the_line_by_line_parse(body: bytes) -> None:
    """Byte by byte, a data line completes before its blank line arrives, so every event takes
    the general path: the fast path must produce the very same events, comments and state."""
    stream = body + b": between\n" + body + body
    fast, slow = SSEParser(), SSEParser()
    got = fast.feed(stream, 1.5)
    want = [item for i in range(len(stream)) for item in slow.feed(stream[i : i + 1], 1.5)]
    assert got == want and got
    assert (fast.last_event_id, fast.pending_bytes) == (slow.last_event_id, slow.pending_bytes)
    events = [e for e in got if isinstance(e, SSEEvent)]
    slow_events = [e for e in want if isinstance(e, SSEEvent)]
    for a, b in zip(events, slow_events, strict=True):
        assert (a.nbytes, a.n_lines, a.t_first) == (b.nbytes, b.n_lines, b.t_first)
        assert not b.is_simple
    assert (bool(events) and all(e.is_simple for e in events)) == (body in _SIMPLE_BODIES)


def test_crlf_then_lf_at_a_chunk_end_is_two_line_ends() -> None:
    """A CRLF ending a chunk is complete: an LF starting the next chunk is a blank line (only a
    lone CR at a chunk's end may be half of a line end)."""
    p = SSEParser()
    assert p.feed(b"data: a\r\n") == []
    (ev,) = p.feed(b"\n")
    assert isinstance(ev, SSEEvent) and ev.data == "a" and ev.raw == b"data: a\r\n\n"
    (ev,) = p.feed(b"data: b\n\n")
    assert isinstance(ev, SSEEvent) and ev.data == "b"


def test_transcript_of_simple_events_reads_as_the_general_path() -> None:
    """Simple events are formatted only when shown; the excerpt is the same text."""
    body = b"".join(b"data: {\"n\": %d, \"pad\": \"%s\"}\n\n" % (i, b"p" * (i % 300))
                    for i in range(HEAD_ENTRIES + TAIL_ENTRIES + 50))
    fast, slow = Transcript(), Transcript()
    for item in parse_all(body):
        fast.item(item)
    for item in parse_all(body, 1):
        slow.item(item)
    for tr in (fast, slow):
        tr.finish(1.0, "closed")
    assert fast.excerpt(max_lines=100_000) == slow.excerpt(max_lines=100_000)
    assert fast.excerpt(around=HEAD_ENTRIES + 120) == slow.excerpt(around=HEAD_ENTRIES + 120)
    full = fast.excerpt(max_lines=100_000)
    assert "bytes]" in full and "… 51 entries not kept …" in full  # 50 events and the end line
