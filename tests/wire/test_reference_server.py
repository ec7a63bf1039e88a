"""The client against the real reference server: every call in every dialect, every variant.

The reference server is started as a *target* (``reference_server.start()``); nothing of its
wire code is used by the judge.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

import reference_server
from pytest_a2a import script
from pytest_a2a.budget import Budget
from pytest_a2a.wire.card import discover_sync
from pytest_a2a.wire.client import A2AClient
from pytest_a2a.wire.gather import gather_bounded
from tests.wire.helpers import DIALECTS

pytestmark = pytest.mark.asyncio

BUDGET = Budget(5.0)  # close_grace 0.5 s, idle 2.5 s
STEPS: list[dict[str, Any]] = [{"status": "working"}, {"artifact": {"id": "a1", "text": "hel"}},
         {"artifact": {"id": "a1", "text": "lo", "append": True, "last": True}},
         {"message": "note"}, {"status": "completed"}]


@pytest.fixture(scope="module")
def ref() -> Iterator[reference_server.RunningServer]:
    with reference_server.start() as server:
        yield server


def _client(url: str, dialect: str, **kw: object) -> A2AClient:
    info = discover_sync(url, timeout=BUDGET.call)
    return A2AClient(info.interfaces[dialect], dialect, BUDGET, **kw)  # type: ignore[arg-type]


async def test_card_discovery(ref: reference_server.RunningServer) -> None:
    info = discover_sync(ref.url, timeout=BUDGET.call)
    assert set(info.dialects) == set(DIALECTS)
    assert info.interfaces["v1.0-rest"] == ref.url
    assert info.interfaces["v1.0-jsonrpc"] == info.interfaces["v0.3-jsonrpc"] == ref.url + "/"
    assert info.declares_conformance_skill and info.streaming is True
    assert info.implementation.startswith("pytest-a2a reference server")
    same = discover_sync(ref.url + "/.well-known/agent-card.json", timeout=BUDGET.call)
    assert same.interfaces == info.interfaces


async def test_stream_all_calls(ref: reference_server.RunningServer, dialect: str) -> None:
    async with _client(ref.url, dialect) as c:
        res = await c.stream_collect(script.build(STEPS))
        assert res.end == "closed", res.excerpt()
        assert res.kinds()[0] == "task" and res.reached_terminal(), res.describe()
        assert all(not ev.schema_errors for ev in res.events), res.excerpt()
        assert res.artifact_text("a1") == "hello"
        notes = [ev.status_update.status.message for ev in res.events
                 if ev.status_update is not None and ev.status_update.status.message is not None]
        assert [m.text for m in notes] == ["note"] and notes[0].role == "agent"
        if dialect == "v0.3-jsonrpc":
            assert res.events[-1].final is True
        else:
            assert all(ev.rpc_id == res.request_id for ev in res.events) or dialect == "v1.0-rest"
        task_id = res.task_id
        assert task_id and all(ev.task_id == task_id for ev in res.events)

        got = await c.get_task(task_id)
        assert got.ok and got.state == "completed" and not got.schema_errors, got.describe()
        assert got.task is not None and got.task.artifacts[0].text == "hello"
        again = await c.cancel(task_id)
        assert again.error is not None and again.error.code == -32002, again.describe()
        missing = await c.get_task("no-such-task")
        assert missing.error is not None and missing.error.code == -32001
        reply = await c.send(script.build([{"reply": "pong"}]))
        assert reply.ok and reply.message is not None and reply.message.text == "pong"
        sent = await c.send(script.build([{"status": "completed"}]))
        assert sent.ok and sent.state == "completed", sent.describe()
        if dialect != "v0.3-jsonrpc":
            listed = await c.list_tasks()
            assert listed.ok and task_id in {t.id for t in listed.tasks}, listed.describe()
        # a Message reply over a stream: one message event, then close
        res = await c.stream_collect(script.build([{"reply": "pong"}]))
        assert res.kinds() == ["message"] and res.end == "closed"


async def test_resubscribe_and_cancel_mid_stream(ref: reference_server.RunningServer,
                                                 dialect: str) -> None:
    async with _client(ref.url, dialect) as c:
        text = script.build([{"status": "working"}, {"wait_cancel": 10}])
        async with c.stream(text) as s:
            first = await s.events_until(lambda ev: ev.state == "working")
            assert first is not None, s.result().excerpt()
            task_id = first.task_id
            assert task_id
            async with c.resubscribe(task_id) as sub:
                snap = await sub.next_event()
                assert snap is not None and snap.kind == "task" and snap.state == "working"
                canceled = await c.cancel(task_id)
                assert canceled.ok, canceled.describe()
                assert canceled.state in ("canceled", "working")
                sub_res = await sub.collect()
            res = await s.collect()
        for r in (res, sub_res):
            assert r.end == "closed" and r.last_state() == "canceled", r.describe()
        terminal = await c.resubscribe_collect(task_id)
        err = terminal.rpc_error
        if dialect == "v0.3-jsonrpc":  # 0.3: implementation-defined (Task then close, or error)
            assert err is not None or terminal.last_state() == "canceled"
        else:
            assert err is not None and err.code == -32004, terminal.describe()
        unknown = await c.resubscribe_collect("no-such-task")
        assert unknown.rpc_error is not None and unknown.rpc_error.code == -32001


async def test_raw_error_requests(ref: reference_server.RunningServer) -> None:
    async with _client(ref.url, "v1.0-jsonrpc") as c:
        r = await c.raw(body=b"{not json")
        assert r.error is not None and r.error.code == -32700 and r.response_id is None
        r = await c.jsonrpc("NoSuchMethod", {})
        assert r.error is not None and r.error.code == -32601
        r = await c.raw(json_body={"jsonrpc": "2.0", "id": 1, "method": "GetTask", "params": {}})
        assert r.error is not None and r.error.code == -32602, r.describe()
        r = await c.raw(json_body={"jsonrpc": "2.0", "id": 1, "method": "GetTask",
                                   "params": {"id": "x"}}, headers={"A2A-Version": "9.9"})
        assert r.error is not None and r.error.code == -32009, r.describe()
    async with _client(ref.url, "v1.0-rest") as c:
        r = await c.raw("GET", "/tasks/nope")
        assert r.error is not None and (r.error.code, r.error.reason) == (-32001, "TASK_NOT_FOUND")


async def test_many_concurrent_streams(ref: reference_server.RunningServer) -> None:
    async with _client(ref.url, "v1.0-rest") as c:
        text = script.build([{"status": "working"}, {"sleep": 0.2}, {"status": "completed"}])
        out = await gather_bounded([c.stream_collect(text) for _ in range(200)], 20.0)
    bad = [r for r in out if isinstance(r, BaseException) or r.end != "closed"]
    assert not bad, [r if isinstance(r, BaseException) else r.describe() for r in bad[:3]]
    assert len({r.task_id for r in out if not isinstance(r, BaseException)}) == 200


async def test_burst_and_slow_reader(ref: reference_server.RunningServer, dialect: str) -> None:
    async with _client(ref.url, dialect) as c:
        text = script.build([{"burst": {"id": "b", "count": 3000, "bytes": 300}}])
        async with c.slow_stream(text, rcvbuf=4096, read_bytes=1024, pause=0.02) as s:
            firsts = [await s.next_event() for _ in range(3)]
            assert all(ev is not None for ev in firsts)
            s.speed_up()
            res = await s.collect()
    assert res.end == "closed", res.describe()
    chunks = [ev for ev in res.events if ev.kind == "artifact"]
    assert len(chunks) == 3000
    assert [int(ev.artifact_update.artifact.text.split(" ")[0]) for ev in chunks  # type: ignore[union-attr]
            ] == list(range(3000))
    assert res.reached_terminal()


# -- variants ---------------------------------------------------------------------------------


def _variant_server(variant: str) -> reference_server.RunningServer:
    return reference_server.start(variants=[variant])


@pytest.mark.parametrize("variant", ["crlf", "cr", "comments", "multiline-data", "sse-fields",
                                     "unknown-members", "tiny-chunks", "final-task"])
async def test_legal_variants_are_accepted(variant: str, dialect: str) -> None:
    with _variant_server(variant) as srv:
        async with _client(srv.url, dialect) as c:
            res = await c.stream_collect(script.build(STEPS))
    assert res.end == "closed", res.excerpt()
    assert res.kinds()[0] == "task" and res.reached_terminal(), res.describe()
    assert res.artifact_text("a1") == "hello"
    assert all(not ev.schema_errors for ev in res.events), [ev.schema_errors for ev in res.events]
    assert all(ev.kind != "invalid" for ev in res.events)
    if variant == "comments":
        assert res.comments, res.excerpt()
    if variant == "sse-fields":
        assert all(ev.raw.id is not None and ev.raw.retry == 1000 for ev in res.events)
    if variant == "multiline-data":
        assert all("\n" in ev.raw.data for ev in res.events)
    if variant == "final-task" and dialect != "v0.3-jsonrpc":
        assert res.kinds()[-1] == "task" and res.events[-1].is_terminal
    if variant == "tiny-chunks":
        assert res.transcript.chunks > len(res.events) * 10


async def test_variant_interrupted_stays_open(dialect: str) -> None:
    with _variant_server("interrupted-stays-open") as srv:
        async with _client(srv.url, dialect) as c:
            res = await c.stream_collect(script.build([{"status": "input-required"}]))
        with reference_server.start() as plain:
            async with _client(plain.url, dialect) as c:
                closed = await c.stream_collect(script.build([{"status": "input-required"}]))
    assert res.end == "open-after-terminal" and "interrupted state input-required" in res.end_reason
    assert res.end_t < BUDGET.close_grace + 1.0
    assert closed.end == "closed" and closed.last_state() == "input-required"


async def test_variant_sse_errors(dialect: str) -> None:
    with _variant_server("sse-errors") as srv:
        async with _client(srv.url, dialect) as c:
            res = await c.resubscribe_collect("no-such-task")
    assert res.rpc_error is not None and res.rpc_error.code == -32001, res.describe()
    if res.error is None:  # it came as an SSE event
        assert res.kinds() == ["error"] and res.end == "closed"


async def test_variant_no_streaming(dialect: str) -> None:
    with _variant_server("no-streaming") as srv:
        info = discover_sync(srv.url, timeout=BUDGET.call)
        assert info.streaming is False
        async with _client(srv.url, dialect) as c:
            res = await c.stream_collect(script.build(STEPS))
    assert res.rpc_error is not None and res.rpc_error.code == -32004, res.describe()


# -- faults the wire layer itself must report faithfully --------------------------------------


async def test_fault_no_close_after_terminal_is_bounded() -> None:
    with reference_server.start(faults=["no-close-after-terminal"]) as srv:
        async with _client(srv.url, "v1.0-jsonrpc") as c:
            res = await c.stream_collect(script.build(STEPS))
    assert res.end == "open-after-terminal" and "terminal state completed" in res.end_reason
    assert res.end_t < BUDGET.close_grace + 1.0


async def test_fault_exception_hangs_is_stalled() -> None:
    with reference_server.start(faults=["exception-hangs"]) as srv:
        async with _client(srv.url, "v1.0-rest") as c:
            res = await c.stream_collect(script.build([{"status": "working"}, {"raise": "x"}]))
    assert res.end == "stalled" and res.end_t < BUDGET.idle + 1.0, res.describe()


async def test_fault_wrong_content_type_and_rpc_id(dialect: str) -> None:
    with reference_server.start(faults=["wrong-content-type", "rpc-id-mismatch"]) as srv:
        async with _client(srv.url, dialect) as c:
            res = await c.stream_collect(script.build(STEPS))
    assert not res.content_type_ok and res.end == "closed" and res.reached_terminal()
    if dialect != "v1.0-rest":
        assert all(ev.rpc_id != res.request_id for ev in res.events)


async def test_fault_legacy_enums_decoded_but_flagged() -> None:
    with reference_server.start(faults=["legacy-enums-1.0"]) as srv:
        async with _client(srv.url, "v1.0-jsonrpc") as c:
            res = await c.stream_collect(script.build(STEPS))
    assert res.reached_terminal() and res.artifact_text("a1") == "hello"
    assert any(ev.schema_errors for ev in res.events)


async def test_transcript_excerpt_is_readable(ref: reference_server.RunningServer) -> None:
    async with _client(ref.url, "v0.3-jsonrpc") as c:
        res = await c.stream_collect(script.build(STEPS))
    text = res.excerpt()
    lines = text.splitlines()
    assert lines[0].startswith("+0.000s  POST ") and "message/stream" in lines[0]
    assert "HTTP 200" in lines[1] and "text/event-stream" in lines[1]
    assert any('"final":true' in line for line in lines), text
    assert lines[-1].split("  ", 1)[1].startswith("end: closed;")
    assert all(len(line) < 260 for line in lines)
    body = json.loads(res.events[0].data)
    assert body["id"] == res.request_id
