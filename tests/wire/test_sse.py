"""The SSE parser: every line end, every chunk boundary; httpx-sse as an independent oracle."""

from __future__ import annotations

import codecs
import time
from dataclasses import dataclass

import pytest
from httpx_sse._decoders import SSEDecoder, SSELineDecoder
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pytest_a2a.wire.sse import BOM, SSEComment, SSEEvent, SSEOversize, SSEParser, parse_all

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
