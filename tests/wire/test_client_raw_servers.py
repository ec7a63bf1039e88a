"""A2AClient streams against hand-written legit and hostile servers: every end is bounded."""

from __future__ import annotations

import asyncio
import json
import time

import pytest

from pytest_a2a.budget import Budget
from pytest_a2a.wire.client import A2AClient
from pytest_a2a.wire.gather import gather_bounded
from tests.wire.helpers import (
    Handler,
    Request,
    chunk,
    encode_events,
    json_response,
    raw_server,
    sample_events,
    sse_head,
)

pytestmark = pytest.mark.asyncio

SMALL = Budget(2.0)  # close_grace 0.2 s, idle 1.0 s, stream 2.0 s


def _client(url: str, dialect: str = "v1.0-jsonrpc", budget: Budget = SMALL) -> A2AClient:
    base = url + "/" if dialect.endswith("jsonrpc") else url
    return A2AClient(base, dialect, budget)


def _legit(eol: bytes = b"\n", size: int = 0, chunked: bool = False, **kw: bool) -> Handler:
    async def handler(req: Request, w: asyncio.StreamWriter) -> None:
        dialect = "v1.0-rest" if req.path.startswith("/message") else (
            "v1.0-jsonrpc" if req.headers.get("a2a-version") else "v0.3-jsonrpc")
        body = encode_events(sample_events(dialect, req.rpc_id), eol, **kw)
        w.write(sse_head(chunked=chunked))
        step = size or len(body)
        for i in range(0, len(body), step):
            piece = body[i : i + step]
            w.write(chunk(piece) if chunked else piece)
            await w.drain()
        if chunked:
            w.write(b"0\r\n\r\n")
        await w.drain()
        if not chunked:
            w.close()

    return handler


@pytest.mark.parametrize(
    ("eol", "size", "chunked", "opts"),
    [
        (b"\n", 0, False, {}),
        (b"\r\n", 0, True, {}),
        (b"\r", 3, False, {}),
        (b"\r\n", 1, True, {"comments": True, "multiline": True, "fields": True}),
        (b"\n", 7, False, {"comments": True, "fields": True}),
    ],
)
async def test_legit_variations_are_accepted(dialect: str, eol: bytes, size: int, chunked: bool,
                                             opts: dict[str, bool]) -> None:
    handler = _legit(eol, size, chunked, **opts)
    async with raw_server(handler) as srv, _client(srv.url, dialect) as c:
        res = await c.stream_collect("hi")
    assert res.end == "closed", res.excerpt()
    assert res.kinds() == ["task", "status", "artifact", "status"], res.describe()
    assert res.states() == ["submitted", "working", "completed"]
    assert all(not ev.schema_errors for ev in res.events), [ev.schema_errors for ev in res.events]
    assert res.content_type_ok
    assert res.artifact_text("a1") == "hello"
    if dialect != "v1.0-rest":
        assert all(ev.rpc_id == res.request_id for ev in res.events)
    if opts.get("comments"):
        assert len(res.comments) == 4 and res.comments[0].text == " ping"
    times = [ev.t for ev in res.events]
    assert times == sorted(times) and times[0] > 0


async def test_request_shape_per_dialect(dialect: str) -> None:
    async with raw_server(_legit()) as srv, _client(srv.url, dialect) as c:
        await c.stream_collect("hello", context_id="ctx-9")
        await c.stream_collect("hello")
    r1, r2 = srv.requests
    doc = r1.json
    if dialect == "v1.0-rest":
        assert (r1.method, r1.path) == ("POST", "/message:stream")
        msg = doc["message"]
        assert msg["role"] == "ROLE_USER" and msg["parts"] == [{"text": "hello"}]
    else:
        assert (r1.method, r1.path) == ("POST", "/")
        assert doc["method"] == ("message/stream" if dialect == "v0.3-jsonrpc"
                                 else "SendStreamingMessage")
        msg = doc["params"]["message"]
        assert r1.rpc_id != r2.rpc_id
    assert msg["contextId"] == "ctx-9"
    assert msg["messageId"] != (r2.json.get("params", r2.json))["message"]["messageId"]
    assert r1.headers.get("a2a-version") == (None if dialect == "v0.3-jsonrpc" else "1.0")
    assert r1.headers["accept"] == "text/event-stream"


async def test_open_after_terminal_is_bounded() -> None:
    async def handler(req: Request, w: asyncio.StreamWriter) -> None:
        w.write(sse_head() + encode_events(sample_events("v1.0-jsonrpc", req.rpc_id)))
        await w.drain()
        await asyncio.sleep(60)  # never closes

    async with raw_server(handler) as srv, _client(srv.url) as c:
        t0 = time.monotonic()
        res = await c.stream_collect("x")
        took = time.monotonic() - t0
    assert res.end == "open-after-terminal", res.describe()
    assert "terminal state completed" in res.end_reason
    assert took < SMALL.close_grace + 0.5
    assert len(res.events) == 4
    assert "end: open-after-terminal" in res.excerpt()


@pytest.mark.parametrize("state", ["TASK_STATE_INPUT_REQUIRED", "TASK_STATE_AUTH_REQUIRED"])
async def test_interrupted_then_open_is_bounded(state: str) -> None:
    async def handler(req: Request, w: asyncio.StreamWriter) -> None:
        evs = sample_events("v1.0-jsonrpc", req.rpc_id)[:2]
        evs[1]["result"]["statusUpdate"]["status"]["state"] = state
        w.write(sse_head() + encode_events(evs))
        await w.drain()
        await asyncio.sleep(60)

    async with raw_server(handler) as srv, _client(srv.url) as c:
        res = await c.stream_collect("x")
    assert res.end == "open-after-terminal"
    assert "interrupted state" in res.end_reason
    assert res.events[-1].is_interrupted


async def test_keepalives_only_is_stalled() -> None:
    async def handler(req: Request, w: asyncio.StreamWriter) -> None:
        w.write(sse_head())
        for _ in range(600):
            w.write(b": ping\n\n")
            await w.drain()
            await asyncio.sleep(0.05)

    async with raw_server(handler) as srv, _client(srv.url) as c:
        t0 = time.monotonic()
        res = await c.stream_collect("x")
    assert res.end == "stalled", res.describe()
    assert time.monotonic() - t0 < SMALL.idle + 0.5
    assert not res.events and len(res.comments) >= 5
    assert ": ping" in res.excerpt()


async def test_headers_then_silence_is_stalled() -> None:
    async def handler(req: Request, w: asyncio.StreamWriter) -> None:
        w.write(sse_head())
        await w.drain()
        await asyncio.sleep(60)

    async with raw_server(handler) as srv, _client(srv.url) as c:
        res = await c.stream_collect("x")
    assert res.end == "stalled" and res.status_code == 200


async def test_no_headers_is_stalled() -> None:
    async def handler(req: Request, w: asyncio.StreamWriter) -> None:
        await asyncio.sleep(60)

    async with raw_server(handler) as srv, _client(srv.url) as c:
        res = await c.stream_collect("x")
    assert res.end == "stalled" and res.status_code is None
    assert "no response headers" in res.end_reason


async def test_trickle_forever_is_timeout() -> None:
    async def handler(req: Request, w: asyncio.StreamWriter) -> None:
        ev = sample_events("v1.0-jsonrpc", req.rpc_id)[1]
        w.write(sse_head())
        for _ in range(600):
            w.write(encode_events([ev]))
            await w.drain()
            await asyncio.sleep(0.1)

    async with raw_server(handler) as srv, _client(srv.url) as c:
        t0 = time.monotonic()
        res = await c.stream_collect("x")
    assert res.end == "timeout", res.describe()
    assert time.monotonic() - t0 < SMALL.stream + 0.5
    assert len(res.events) >= 10


async def test_ten_megabyte_event_is_oversize() -> None:
    async def handler(req: Request, w: asyncio.StreamWriter) -> None:
        w.write(sse_head() + b'data: {"x":"')
        for _ in range(10):
            w.write(b"y" * 1024 * 1024)
            await w.drain()
        await asyncio.sleep(60)

    async with raw_server(handler) as srv, _client(srv.url) as c:
        res = await c.stream_collect("x")
    assert res.end == "oversize", res.describe()
    assert "exceeded" in res.end_reason


async def test_garbage_instead_of_http_is_transport_error() -> None:
    async def handler(req: Request, w: asyncio.StreamWriter) -> None:
        w.write(b"\x00\xff\xfegarbage that is not HTTP\r\n\r\n")
        await w.drain()
        w.close()

    async with raw_server(handler) as srv, _client(srv.url) as c:
        res = await c.stream_collect("x")
    assert res.end == "transport-error", res.describe()


async def test_garbage_in_sse_body_is_invalid_events() -> None:
    async def handler(req: Request, w: asyncio.StreamWriter) -> None:
        w.write(sse_head() + b"data: not json\n\ndata: [1,2]\n\n\x00\xff\n\n")
        await w.drain()
        w.close()

    async with raw_server(handler) as srv, _client(srv.url) as c:
        res = await c.stream_collect("x")
    assert res.end == "closed"
    assert res.kinds() == ["invalid", "invalid"]
    assert "not JSON" in res.events[0].reason
    assert res.events[0].schema_errors


async def test_json_error_instead_of_stream() -> None:
    async def handler(req: Request, w: asyncio.StreamWriter) -> None:
        doc = {"jsonrpc": "2.0", "id": req.rpc_id, "error": {"code": -32001, "message": "nope"}}
        w.write(json_response(200, doc))
        await w.drain()

    async with raw_server(handler) as srv, _client(srv.url) as c:
        res = await c.resubscribe_collect("missing")
    assert res.end == "json-error"
    assert res.error is not None and res.error.code == -32001 and res.error.http_status == 200
    assert res.rpc_error is res.error


async def test_rest_error_and_subscribe_post_fallback() -> None:
    async def handler(req: Request, w: asyncio.StreamWriter) -> None:
        if req.method == "GET":
            w.write(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
            await w.drain()
            return
        doc = {"error": {"code": 404, "status": "NOT_FOUND", "message": "no such task",
                         "details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo",
                                      "reason": "TASK_NOT_FOUND", "domain": "a2a-protocol.org"}]}}
        w.write(json_response(404, doc))
        await w.drain()

    async with raw_server(handler) as srv, _client(srv.url, "v1.0-rest") as c:
        res = await c.resubscribe_collect("t/1")
    assert [(r.method, r.path) for r in srv.requests] == [
        ("GET", "/tasks/t%2F1:subscribe"), ("POST", "/tasks/t%2F1:subscribe")]
    assert res.end == "http-error"
    assert res.error is not None
    err = res.error
    assert (err.code, err.reason, err.http_status) == (-32001, "TASK_NOT_FOUND", 404)


async def test_wrong_content_type_still_parsed() -> None:
    async def handler(req: Request, w: asyncio.StreamWriter) -> None:
        w.write(sse_head("application/x-ndjson")
                + encode_events(sample_events("v1.0-jsonrpc", req.rpc_id)))
        await w.drain()
        w.close()

    async with raw_server(handler) as srv, _client(srv.url) as c:
        res = await c.stream_collect("x")
    assert res.end == "closed" and len(res.events) == 4
    assert res.content_type == "application/x-ndjson" and not res.content_type_ok
    assert "not text/event-stream" in res.excerpt()


async def test_plain_text_500() -> None:
    async def handler(req: Request, w: asyncio.StreamWriter) -> None:
        w.write(b"HTTP/1.1 500 Internal Server Error\r\nContent-Type: text/plain\r\n"
                b"Content-Length: 4\r\n\r\nboom")
        await w.drain()

    async with raw_server(handler) as srv, _client(srv.url) as c:
        res = await c.stream_collect("x")
        call = await c.get_task("t1")
    assert res.end == "http-error" and res.error is not None
    assert res.error.http_status == 500 and res.error.code == -32603 and "boom" in res.error.message
    assert call.error is not None and call.error.http_status == 500


async def test_next_event_and_client_leaving() -> None:
    async def handler(req: Request, w: asyncio.StreamWriter) -> None:
        evs = sample_events("v1.0-jsonrpc", req.rpc_id)
        w.write(sse_head() + encode_events(evs[:1]))
        await w.drain()
        await asyncio.sleep(0.5)
        for _ in range(1000):  # keep-alives until the client's leaving shows up as a write error
            w.write(b": ping\n\n")
            await w.drain()
            await asyncio.sleep(0.01)

    async with raw_server(handler) as srv, _client(srv.url) as c:
        async with c.stream("x") as s:
            ev = await s.next_event()
            assert ev is not None and ev.kind == "task" and ev.task is not None
            assert ev.task.id == "t1"
            t0 = time.monotonic()
            assert await s.next_event(timeout=0.2) is None
            assert s.is_open and time.monotonic() - t0 < 0.5
        assert s.end == "closed-by-client"
        async with asyncio.timeout(2.0):
            await srv.disconnected.wait()


async def test_unary_calls_and_headers(dialect: str) -> None:
    task = sample_events(dialect)[0]
    task_obj = (task["result"] if dialect != "v1.0-rest" else task)
    task_obj = task_obj.get("task", task_obj)

    async def handler(req: Request, w: asyncio.StreamWriter) -> None:
        if dialect == "v1.0-rest":
            doc: object = {"task": task_obj} if req.path == "/message:send" else task_obj
            if req.path == "/tasks":
                doc = {"tasks": [task_obj], "nextPageToken": "", "pageSize": 1, "totalSize": 1}
        else:
            method = req.json["method"]
            result: object = task_obj
            if method == "SendMessage":
                result = {"task": task_obj}
            if method == "ListTasks":
                result = {"tasks": [task_obj], "nextPageToken": "", "pageSize": 1, "totalSize": 1}
            doc = {"jsonrpc": "2.0", "id": req.rpc_id, "result": result}
        w.write(json_response(200, doc))
        await w.drain()

    async with raw_server(handler) as srv:
        base = srv.url + "/" if dialect.endswith("jsonrpc") else srv.url
        async with A2AClient(base, dialect, SMALL, headers={"Authorization": "Bearer k"}) as c:
            calls = [await c.send("hi", blocking=False), await c.get_task("t1", history_length=0),
                     await c.cancel("t1")]
            if dialect != "v0.3-jsonrpc":
                lst = await c.list_tasks()
                assert [t.id for t in lst.tasks] == ["t1"] and lst.ok, lst.describe()
    for r in calls:
        assert r.ok and r.task is not None and r.task.id == "t1", r.describe()
        assert r.state == "submitted" and not r.schema_errors and not r.problems, r.schema_errors
    assert all(r.headers["authorization"] == "Bearer k" for r in srv.requests)
    if dialect == "v1.0-rest":
        assert [(r.method, r.path) for r in srv.requests][:3] == [
            ("POST", "/message:send"), ("GET", "/tasks/t1?historyLength=0"),
            ("POST", "/tasks/t1:cancel")]
        assert srv.requests[0].json["configuration"] == {"returnImmediately": True}
    else:
        sent = srv.requests[0].json
        conf = sent["params"]["configuration"]
        assert conf == ({"blocking": False} if dialect == "v0.3-jsonrpc"
                        else {"returnImmediately": True})
        assert srv.requests[1].json["params"] == {"id": "t1", "historyLength": 0}


async def test_many_concurrent_streams_share_one_client() -> None:
    async with raw_server(_legit(size=50)) as srv, _client(srv.url, budget=Budget(10)) as c:
        results = await gather_bounded([c.stream_collect("x") for _ in range(200)], 10.0)
    assert all(not isinstance(r, BaseException) for r in results), results[:3]
    assert {r.end for r in results if not isinstance(r, BaseException)} == {"closed"}
    ids = {json.loads(r.body)["id"] for r in srv.requests}
    assert len(ids) == 200


async def test_gather_bounded_reports_timeouts() -> None:
    async def quick() -> int:
        return 1

    async def slow() -> int:
        await asyncio.sleep(30)
        return 2

    async def bad() -> int:
        raise ValueError("x")

    t0 = time.monotonic()
    out = await gather_bounded([quick(), slow(), bad()], 0.2)
    assert time.monotonic() - t0 < 1.0
    assert out[0] == 1 and isinstance(out[1], TimeoutError) and isinstance(out[2], ValueError)
