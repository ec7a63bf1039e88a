"""Budget derivation, transcript excerpts, card discovery rules, chunked decoding, slow reads."""

from __future__ import annotations

import asyncio
import json
import socket

import pytest

from pytest_a2a.budget import Budget
from pytest_a2a.wire.card import card_urls, parse_card
from pytest_a2a.wire.slowread import ChunkedDecoder, SlowStream
from pytest_a2a.wire.sse import parse_all
from pytest_a2a.wire.transcript import Transcript
from tests.wire.helpers import Request, chunk, encode_events, raw_server, sample_events, sse_head


def test_budget_derivation() -> None:
    b = Budget(10.0)
    assert (b.close_grace, b.idle, b.call, b.connect, b.stream) == (1.0, 5.0, 5.0, 5.0, 10.0)
    assert Budget(1.0).close_grace == 0.2 and Budget(100.0).close_grace == 2.0
    assert 0 < b.remaining() <= 10.0 and b.scaled(0.5).total == 5.0
    with pytest.raises(ValueError):
        Budget(0)


def test_transcript_excerpt_shapes() -> None:
    tr = Transcript()
    tr.request("POST", "http://h/", "SendStreamingMessage")
    tr.response(0.002, 200, "text/event-stream")
    body = b": ping\n\n" + b"".join(
        b'data: {"n": %d, "pad": "' % i + b"x" * 400 + b'"}\n\n' for i in range(100))
    for item in parse_all(body):
        tr.item(item)
    tr.chunk(len(body))
    tr.finish(1.5, "open-after-terminal", "still open 1.00s after terminal state completed")
    text = tr.excerpt(max_lines=20)
    lines = text.splitlines()
    assert len(lines) <= 22
    assert lines[0] == "+0.000s  POST http://h/  (SendStreamingMessage)"
    assert lines[2] == "+0.000s  : ping"
    assert "lines omitted" in text and "chars)…" in text and '"}' in lines[4]
    assert lines[-1].startswith("+1.500s  end: open-after-terminal (still open")
    assert "100 events, 1 comments" in lines[-1]
    around = tr.excerpt(around=60, max_lines=20)
    assert "#60 " in around and "#10 " not in around
    assert len(tr.excerpt(max_lines=1000).splitlines()) == 104


def test_card_rules_v03_only_and_relative_urls() -> None:
    card = {"name": "x", "protocolVersion": "0.3.0", "url": "/rpc",
            "additionalInterfaces": [{"transport": "GRPC", "url": "grpc://h"}],
            "capabilities": {"streaming": True}, "skills": [{"id": "other"}]}
    info = parse_card(card, "http://h:1/.well-known/agent-card.json")
    assert info.interfaces == {"v0.3-jsonrpc": "http://h:1/rpc"}
    assert info.streaming is True and not info.declares_conformance_skill
    assert parse_card({**card, "preferredTransport": "HTTP+JSON"}).interfaces == {}
    card2 = {**card, "preferredTransport": "GRPC",
             "additionalInterfaces": [{"transport": "JSONRPC", "url": "http://h/j"}]}
    assert parse_card(card2).interfaces == {"v0.3-jsonrpc": "http://h/j"}


def test_card_rules_v1_first_entry_wins_and_unknown_ignored() -> None:
    card = {"supportedInterfaces": [
        {"url": "http://a/rest", "protocolBinding": "HTTP+JSON", "protocolVersion": "1.0"},
        {"url": "http://a/rpc", "protocolBinding": "JSONRPC", "protocolVersion": "1.0.1"},
        {"url": "http://b/rpc", "protocolBinding": "JSONRPC", "protocolVersion": "1.0"},
        {"url": "http://a/grpc", "protocolBinding": "GRPC", "protocolVersion": "1.0"},
        {"url": "http://a/v2", "protocolBinding": "JSONRPC", "protocolVersion": "2.0"},
        {"url": "http://a/old", "protocolBinding": "JSONRPC", "protocolVersion": "0.3.0"}],
        "capabilities": {}, "skills": [{"id": "a2a-conformance"}], "name": "n", "version": "9"}
    info = parse_card(card)
    assert info.interfaces == {"v1.0-rest": "http://a/rest", "v1.0-jsonrpc": "http://a/rpc",
                               "v0.3-jsonrpc": "http://a/old"}
    assert info.streaming is None and info.declares_conformance_skill
    assert info.implementation == "n 9"
    assert card_urls("http://h:1/") == ["http://h:1/.well-known/agent-card.json",
                                        "http://h:1/.well-known/agent.json"]
    assert card_urls("http://h/x/card.json") == ["http://h/x/card.json"]


def test_chunked_decoder_any_split() -> None:
    payload = b"hello world, " * 50
    enc = b"".join(chunk(payload[i : i + 37]) for i in range(0, len(payload), 37))
    enc = enc.replace(b"\r\n", b";ext=1\r\n", 1) + b"0\r\nTrailer: x\r\n\r\n"
    for size in (1, 2, 3, 7, 64, len(enc)):
        dec = ChunkedDecoder()
        out = b"".join(dec.feed(enc[i : i + size]) for i in range(0, len(enc), size))
        assert out == payload and dec.done
    with pytest.raises(ValueError):
        ChunkedDecoder().feed(b"zz\r\n")


@pytest.mark.asyncio
async def test_slow_reader_exerts_backpressure_then_catches_up() -> None:
    """The server's writes block while the reader is slow; after speed_up all events arrive."""
    written = [0]
    total_events = 3000

    async def handler(req: Request, w: asyncio.StreamWriter) -> None:
        sock = w.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
        w.transport.set_write_buffer_limits(high=4096)
        evs = sample_events("v1.0-rest")
        pad = {"statusUpdate": {**evs[1]["statusUpdate"], "metadata": {"pad": "x" * 1000}}}
        w.write(sse_head(chunked=True))
        for _ in range(total_events):
            data = encode_events([pad])
            w.write(chunk(data))
            await w.drain()
            written[0] += len(data)
        w.write(chunk(encode_events([evs[3]])) + b"0\r\n\r\n")
        await w.drain()

    async with raw_server(handler) as srv:
        body = json.dumps({"message": {}}).encode()
        async with SlowStream(srv.url, "/message:stream", body, dialect="v1.0-rest",
                              budget=Budget(20), rcvbuf=4096, read_bytes=512, pause=0.05) as s:
            first = await s.next_event(timeout=5)
            assert first is not None and first.kind == "status"
            await asyncio.sleep(0.5)  # reading slowly on purpose: this is the load being applied
            total = total_events * len(encode_events([{"x": "x" * 1100}]))
            assert written[0] < total / 4, (written[0], total)
            s.speed_up()
            res = await s.collect()
    assert res.end == "closed", res.describe()
    assert len(res.events) == total_events + 1 and res.reached_terminal()
    assert s.rcvbuf_effective is not None and s.rcvbuf_effective <= 16384
