"""Slow consumers: bounded buffers, explicit close on overflow, nobody else is held up."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import httpx
import pytest
from rs_raw import RawStream
from rs_wire import DEADLINE, Wire, script

import reference_server

pytestmark = pytest.mark.asyncio

BURST = {"burst": {"id": "big", "count": 3000, "bytes": 4096}}  # 12 MiB: beyond socket buffers


def _stream_body(steps: tuple[dict, ...]) -> dict:  # type: ignore[type-arg]
    text = script(*steps)
    msg = {"messageId": "slow", "role": "ROLE_USER", "parts": [{"text": text}]}
    return {"jsonrpc": "2.0", "id": 1, "method": "SendStreamingMessage", "params": {"message": msg}}


async def _open_slow(url: str, *steps: dict) -> RawStream:  # type: ignore[type-arg]
    return await RawStream.open(url, "/", _stream_body(steps), {"A2A-Version": "1.0"})


def _indices(events: list[dict]) -> list[int]:  # type: ignore[type-arg]
    out = []
    for ev in events:
        update = ev.get("result", {}).get("artifactUpdate")
        if update and update["artifact"]["artifactId"] == "big":
            out.append(int(update["artifact"]["parts"][0]["text"].split(" ")[0]))
    return out


async def _wait_state(wire: Wire, task_id: str, states: set[str]) -> dict:  # type: ignore[type-arg]
    async with asyncio.timeout(DEADLINE):
        while True:
            task = await wire.result("get", task_id=task_id)
            if task["status"]["state"] in states:
                return task
            await asyncio.sleep(0.01)


async def _latest_task(wire: Wire) -> str:
    listed = await wire.result("list", pageSize=1)
    return str(listed["tasks"][0]["id"])


async def test_slow_reader_is_cut_off_explicitly_and_nobody_waits(
    make_server: Callable[..., reference_server.RunningServer], http: httpx.AsyncClient
) -> None:
    server = make_server(buffer=16)
    wire = Wire(server.url, "v1.0-jsonrpc", http)
    slow = await _open_slow(server.url, BURST)
    tid = await _latest_task(wire)
    # the agent is not held up by the reader that does not read: the task completes
    await _wait_state(wire, tid, {"TASK_STATE_COMPLETED"})
    # other tasks stream normally meanwhile
    other = await wire.run({"status": "working"}, {"status": "completed"})
    assert other.closed and other.states()[-1] == "completed"
    events, text = await slow.read_all()
    indices = _indices(events)
    assert indices == list(range(len(indices))), "gap in an open stream"
    assert 0 < len(indices) < 3000 and "re-attach" in text  # cut off explicitly, in order
    assert not any("statusUpdate" in e.get("result", {}) and "COMPLETED" in str(e) for e in events)


async def test_fast_subscriber_unaffected_by_slow_one_same_task(
    make_server: Callable[..., reference_server.RunningServer], http: httpx.AsyncClient
) -> None:
    server = make_server(buffer=16)
    wire = Wire(server.url, "v1.0-jsonrpc", http)
    tail = [{"artifact": {"id": "t", "text": str(i), "append": i > 0}} for i in range(20)]
    slow = await _open_slow(server.url, BURST, {"sleep": 1.0}, *tail, {"status": "completed"})
    tid = await _latest_task(wire)
    await _burst_done(wire, tid)
    fast = await wire.collect("resubscribe", task_id=tid)  # joins while the slow one is stuck
    assert fast.closed and fast.states() == ["submitted", "completed"]
    assert [
        e.body["artifact"]["parts"][0]["text"] for e in fast.events if e.kind == "artifact"
    ] == [str(i) for i in range(20)]
    slow.close()


async def _burst_done(wire: Wire, tid: str) -> None:
    async with asyncio.timeout(DEADLINE):  # until the burst is out and the agent sleeps
        while True:
            task = await wire.result("get", task_id=tid)
            if (
                len(task.get("artifacts", [{}])[0].get("parts", [{"text": ""}])[0]["text"])
                >= 3000 * 4096
            ):
                return
            await asyncio.sleep(0.02)


async def test_fault_slow_consumer_blocks(
    make_server: Callable[..., reference_server.RunningServer], http: httpx.AsyncClient
) -> None:
    server = make_server(buffer=16, faults=["slow-consumer-blocks"])
    wire = Wire(server.url, "v1.0-jsonrpc", http)
    slow = await _open_slow(server.url, BURST)
    # by the time this agent emits (0.3 s), the slow reader has long filled its buffer
    async with wire.open("stream", text=script({"sleep": 0.3}, {"status": "completed"})) as s:
        assert (await s.next()).kind == "task"  # type: ignore[union-attr]
        with pytest.raises(TimeoutError):
            await s.next(timeout=1.5)  # another task is stalled behind the slow reader
    slow.close()


async def test_fault_slow_consumer_drops(
    make_server: Callable[..., reference_server.RunningServer], http: httpx.AsyncClient
) -> None:
    server = make_server(buffer=16, faults=["slow-consumer-drops"])
    wire = Wire(server.url, "v1.0-jsonrpc", http)
    tail = ({"sleep": 1.0}, {"artifact": {"id": "tail", "text": "tail"}}, {"status": "completed"})
    slow = await _open_slow(server.url, BURST, *tail)
    tid = await _latest_task(wire)
    await _burst_done(wire, tid)
    events, text = await slow.read_all()  # catch up while the agent sleeps
    indices = _indices(events)
    assert len(indices) < 3000  # chunks lost ...
    assert "tail" in str(events[-2]) and "COMPLETED" in str(events[-1])  # ... in an open stream
    assert "re-attach" not in text


async def test_fault_unbounded_buffer(
    make_server: Callable[..., reference_server.RunningServer], http: httpx.AsyncClient
) -> None:
    server = make_server(buffer=16, faults=["unbounded-buffer"])
    wire = Wire(server.url, "v1.0-jsonrpc", http)
    slow = await _open_slow(server.url, BURST)
    await _wait_state(wire, await _latest_task(wire), {"TASK_STATE_COMPLETED"})
    events, text = await slow.read_all()
    assert _indices(events) == list(range(3000))  # everything was held in memory for it
    assert "re-attach" not in text


async def test_unbounded_backlog_owns_encoded_frames() -> None:
    """Fault unbounded-buffer: the backlog holds its own encoded copy of each event (as real
    per-subscriber queues of serialized events do), so its memory is what the reader lags."""
    from reference_server.broker import Broker, Frame
    from reference_server.model import ArtifactEvent
    from reference_server.options import make_options

    broker = Broker(make_options(faults=["unbounded-buffer"], buffer=2), asyncio.Lock())
    sub = broker.subscribe()
    sub.serialize = lambda event: f"data: {event.text}\n\n"  # type: ignore[union-attr]
    text = "x" * 4096
    for _ in range(5):  # past the buffer: nothing is cut off or dropped
        await broker.publish(ArtifactEvent("t", "c", "a", None, text, True, False))
    items = await sub.take()
    assert [type(i) for i in items] == [Frame] * 5 and not sub.closed
    assert all(isinstance(i, Frame) and i.text == f"data: {text}\n\n" for i in items)
