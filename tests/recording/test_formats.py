"""Recording formats: own format round trip (Hypothesis), the streaming writer (cap, redaction),
HAR 1.2, raw SSE bodies (curl -N, curl -N -i, sidecar), and refusal of non-recordings."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_a2a.recording import jsonl, load
from pytest_a2a.recording.model import (
    REDACTED,
    WIRE_ENDS,
    Chunk,
    Exchange,
    Recording,
    RecordingError,
)

SSE_V03 = (
    b'data: {"jsonrpc":"2.0","id":7,"result":{"kind":"task","id":"t1","contextId":"c1",'
    b'"status":{"state":"submitted"}}}\n\n'
    b'data: {"jsonrpc":"2.0","id":7,"result":{"kind":"status-update","taskId":"t1",'
    b'"contextId":"c1","final":true,"status":{"state":"completed"}}}\n\n'
)
REQ_V03 = {"jsonrpc": "2.0", "id": 7, "method": "message/stream",
           "params": {"message": {"kind": "message", "messageId": "m", "role": "user",
                                  "parts": [{"kind": "text", "text": "hi"}]}}}

times = st.floats(min_value=0, max_value=1e4, allow_nan=False).map(lambda t: round(t, 6))
names = st.text(st.characters(min_codepoint=33, max_codepoint=126, exclude_characters=":"),
                min_size=1, max_size=12)
values = st.text(max_size=30)


@st.composite
def exchanges(draw: st.DrawFn, index: int) -> Exchange:
    chunks = draw(st.lists(st.builds(Chunk, times, st.binary(max_size=64)), max_size=6))
    return Exchange(
        index=index, method=draw(st.sampled_from(["POST", "GET"])),
        url=draw(st.text(max_size=40)),
        request_headers=draw(st.lists(st.tuples(names, values), max_size=3)),
        request_body=draw(st.none() | st.binary(max_size=80)),
        op=draw(st.none() | st.sampled_from(["stream", "get", "resubscribe"])),
        dialect=draw(st.none() | st.sampled_from(load.DIALECT_IDS)),
        started=draw(st.none() | times), status=draw(st.none() | st.integers(100, 599)),
        response_headers=[], response_t=draw(st.none() | times), chunks=chunks,
        end=draw(st.sampled_from(WIRE_ENDS)), end_t=draw(st.none() | times),
        end_reason=draw(values), total_bytes=sum(len(c.data) for c in chunks) + 5,
        truncated=draw(st.booleans()), live_end=draw(st.none() | st.just("closed")))


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 4).flatmap(lambda n: st.tuples(*[exchanges(i + 1) for i in range(n)])))
def test_own_format_round_trip(exs: tuple[Exchange, ...]) -> None:
    """Whatever bytes, times and headers an exchange holds, dump → read gives them back."""
    for ex in exs:
        if ex.status is None:
            ex.response_headers, ex.response_t = None, None
    rec = Recording(Path("r.a2a.jsonl"), jsonl.FORMAT, list(exs), test="t::x")
    back = jsonl.read(Path("r.a2a.jsonl"), jsonl.dump(rec))
    assert back.test == "t::x"
    fields = ("index", "method", "url", "request_headers", "request_body", "op", "dialect",
              "started", "status", "response_headers", "response_t", "chunks", "end", "end_t",
              "end_reason", "total_bytes", "truncated", "live_end")
    for a, b in zip(exs, back.exchanges, strict=True):
        assert {f: getattr(a, f) for f in fields} == {f: getattr(b, f) for f in fields}


def test_writer_interleaves_caps_and_redacts(tmp_path: Path) -> None:
    path = tmp_path / "t.a2a.jsonl"
    w = jsonl.RecordingWriter(path, test="t", cap=1024, redact_names=["X-Token"])
    a = w.exchange(op="stream", dialect="v1.0-rest", method="POST", url="http://h/message:stream",
                   headers=[("X-Token", "s3cret"), ("Authorization", "Bearer x"), ("A", "1")],
                   body=b"{}")
    b = w.exchange(op="get", dialect="v1.0-rest", method="GET", url="http://h/tasks/t",
                   headers=[], body=None)
    a.response(0.01, 200, [("content-type", "text/event-stream")])
    a.chunk(0.02, b"x" * 1000)
    b.response(0.03, 200, [("content-type", "application/json")])
    a.chunk(0.04, b"\xff" * 100)  # crosses the cap: cut, and not UTF-8
    a.chunk(0.05, b"y" * 10)  # past the cap: dropped, counted
    b.chunk(0.03, b"{}")
    b.end(0.03, "closed")
    a.end(1.2, "open-after-terminal", "still open")
    w.close()
    a.chunk(1.3, b"late")  # a stream read after its test ended must not reopen the file
    text = path.read_text()
    assert "s3cret" not in text and "Bearer" not in text and text.count(REDACTED) == 2
    rec = load.load_file(path)
    sa, sb = rec.exchanges
    assert sum(len(c.data) for c in sa.chunks) == 1024 and sa.truncated
    assert sa.total_bytes == 1110 and sa.end == "client-left" and sa.live_end == \
        "open-after-terminal"
    assert sa.chunks[1].data == b"\xff" * 24 and sb.body == b"{}" and sb.end == "closed"


def _har(entries: list[dict[str, object]]) -> bytes:
    return json.dumps({"log": {"version": "1.2", "creator": {"name": "mitmproxy", "version":
                      "10.0"}, "entries": entries}}).encode()


def _entry(body: bytes, *, b64: bool, status: int = 200,
           ctype: str = "text/event-stream") -> dict[str, object]:
    content: dict[str, object] = {"size": len(body), "mimeType": ctype}
    if b64:
        content.update(text=base64.b64encode(body).decode(), encoding="base64")
    else:
        content["text"] = body.decode()
    return {"startedDateTime": "2026-01-01T00:00:00Z", "time": 12,
            "request": {"method": "POST", "url": "http://h/", "httpVersion": "HTTP/1.1",
                        "headers": [{"name": "Content-Type", "value": "application/json"}],
                        "postData": {"mimeType": "application/json",
                                     "text": json.dumps(REQ_V03)}},
            "response": {"status": status, "statusText": "OK", "httpVersion": "HTTP/1.1",
                         "headers": [{"name": "Content-Type", "value": ctype}],
                         "content": content},
            "timings": {"send": 0, "wait": 5, "receive": 7}}


@pytest.mark.parametrize("b64", [False, True])
def test_har_entries(tmp_path: Path, b64: bool) -> None:
    path = tmp_path / "cap.har"
    card = _entry(b'{"name": "x"}', b64=False, ctype="application/json")
    card["request"] = {"method": "GET", "url": "http://h/.well-known/agent-card.json",
                       "headers": []}
    path.write_bytes(_har([card, _entry(SSE_V03, b64=b64)]))
    rec = load.load_file(path)
    assert rec.kind == "har" and len(rec.exchanges) == 2
    ex = rec.exchanges[1]
    assert (ex.op, ex.dialect, ex.body, ex.timed) == ("stream", "v0.3-jsonrpc", SSE_V03, False)
    assert rec.exchanges[0].op is None  # the card fetch is no A2A operation


def test_raw_bodies(tmp_path: Path) -> None:
    bare = tmp_path / "bare.sse"
    bare.write_bytes(SSE_V03)
    ex = load.load_file(bare).exchanges[0]
    assert (ex.op, ex.dialect, ex.status) == ("stream", "v0.3-jsonrpc", None)
    assert any("guessed" in n for n in ex.notes)
    with_head = tmp_path / "head.txt"
    with_head.write_bytes(b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n\r\n" + SSE_V03)
    ex = load.load_file(with_head).exchanges[0]
    assert ex.status == 200 and ex.content_type == "text/event-stream" and ex.body == SSE_V03
    rest = tmp_path / "rest.sse"
    rest.write_bytes(b'data: {"statusUpdate": {"taskId": "t"}}\n\n')
    (tmp_path / "rest.sse.json").write_text(json.dumps({"dialect": "v1.0-jsonrpc",
                                                         "operation": "resubscribe"}))
    ex = load.load_file(rest).exchanges[0]
    assert (ex.dialect, ex.op) == ("v1.0-jsonrpc", "resubscribe")


@pytest.mark.parametrize("content, words", [
    (b"hello world\n", "not a recording"),
    (b'{"rec":"recording","format":"a2a-recording/9"}\n', "a2a-recording/9"),
    (b'{"log": {"entries": 3}}', "log.entries"),
    (b": ping\n\n", "cannot tell the dialect"),
])
def test_not_a_recording(tmp_path: Path, content: bytes, words: str) -> None:
    path = tmp_path / "f.txt"
    path.write_bytes(content)
    with pytest.raises(RecordingError, match=words):
        load.load_file(path)


def test_empty_directory(tmp_path: Path) -> None:
    (tmp_path / "notes.md").write_text("x")
    with pytest.raises(RecordingError, match="no recordings"):
        load.load(tmp_path)
