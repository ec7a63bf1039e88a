"""Slow consumers: bounded buffers, explicit close on overflow, nobody else is held up."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

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


def _trickle(artifact_id: str, count: int, every: float) -> list[dict[str, Any]]:
    """``count`` small chunks ``"<i> "`` of one artifact, one every ``every`` seconds: a window
    long enough to join or catch up in under any load; a test cancels the task once it has
    seen what it needs, so it never waits the window out."""
    steps: list[dict[str, Any]] = []
    for i in range(count):
        steps.append({"sleep": every})
        steps.append({"artifact": {"id": artifact_id, "text": f"{i} ", "append": i > 0}})
    return steps


def _tail_index(update: dict[str, Any], artifact_id: str) -> int | None:
    """The index of a ``_trickle`` chunk of ``artifact_id`` (None: another event)."""
    if update["artifact"]["artifactId"] != artifact_id:
        return None
    return int(update["artifact"]["parts"][0]["text"])


async def test_fast_subscriber_unaffected_by_slow_one_same_task(
    make_server: Callable[..., reference_server.RunningServer], http: httpx.AsyncClient
) -> None:
    # buffer 256: the slow reader (12 MiB unread) is still cut off long before the end of the
    # burst, while the fast one may take its time over its 12 MiB snapshot without falling
    # 256 events (13 s of trickle) behind
    server = make_server(buffer=256)
    wire = Wire(server.url, "v1.0-jsonrpc", http)
    slow = await _open_slow(server.url, BURST, *_trickle("t", 600, 0.05))
    tid = await _latest_task(wire)
    await _burst_done(wire, tid)  # the slow reader is stuck: it has read nothing of 12 MiB
    async with wire.open("resubscribe", task_id=tid) as fast:  # joins during the trickle
        snapshot = await fast.next()
        assert snapshot is not None and snapshot.kind == "task", snapshot
        before = [a for a in snapshot.body.get("artifacts", []) if a["artifactId"] == "t"]
        seen = [int(i) for i in before[0]["parts"][0]["text"].split()] if before else []
        assert seen == list(range(len(seen))), seen
        joined = len(seen)
        while len(seen) < joined + 10:  # every later chunk, in order, as it is produced
            ev = await fast.next()
            assert ev is not None and ev.kind == "artifact", ev
            assert _tail_index(ev.body, "t") == len(seen), (ev.body, len(seen))
            seen.append(len(seen))
        await wire.result("cancel", task_id=tid)
        rest = await fast.collect()
    assert rest.closed and rest.states() == ["submitted", "canceled"]
    later = [_tail_index(e.body, "t") for e in rest.events[1:] if e.kind == "artifact"]
    assert later == list(range(joined, joined + len(later))), later  # no gap, no repeat
    events, text = await slow.read_all()  # meanwhile the slow one was cut off, explicitly
    indices = _indices(events)
    assert indices == list(range(len(indices))) and 0 < len(indices) < 3000
    assert "re-attach" in text


async def _burst_done(wire: Wire, tid: str) -> None:
    async with asyncio.timeout(DEADLINE):  # until the burst is out and the agent sleeps
        while True:
            if await _big_len(wire, tid) >= 3000 * 4096:
                return
            await asyncio.sleep(0.02)


async def _big_len(wire: Wire, tid: str) -> int:
    """How much of the burst the task holds so far (GetTask)."""
    task = await wire.result("get", task_id=tid)
    big = [a for a in task.get("artifacts", []) if a["artifactId"] == "big"]
    return len(big[0]["parts"][0]["text"]) if big else 0


async def _burst_stalled(wire: Wire, tid: str, samples: int = 3) -> int:
    """Wait until the burst stops growing short of its end: ``samples`` GetTask answers in a row
    agree. The server's loop ran the agent between any two of them (each request takes several
    loop steps), so the agent is blocked, not just slow. Returns where it stopped."""
    last, same = -1, 0
    async with asyncio.timeout(DEADLINE):
        while same < samples:
            size = await _big_len(wire, tid)
            assert size < 3000 * 4096, "the burst completed: nothing held the agent up"
            same = same + 1 if size == last and size > 0 else 0
            last = size
            await asyncio.sleep(0.05)
    return last


async def test_fault_slow_consumer_blocks(
    make_server: Callable[..., reference_server.RunningServer], http: httpx.AsyncClient
) -> None:
    server = make_server(buffer=16, faults=["slow-consumer-blocks"])
    wire = Wire(server.url, "v1.0-jsonrpc", http)
    slow = await _open_slow(server.url, BURST)
    tid = await _latest_task(wire)
    stalled_at = await _burst_stalled(wire, tid)  # its agent waits on the slow reader
    async with wire.open("stream", text=script({"status": "completed"})) as s:
        assert (await s.next()).kind == "task"  # type: ignore[union-attr]
        # another task's immediate completion is held up behind the slow reader (a bounded
        # look: a stalled server stays stalled however long one looks) ...
        window = asyncio.get_running_loop().time() + 1.0
        while (left := window - asyncio.get_running_loop().time()) > 0:
            try:
                ev = await s.next(timeout=left)
            except TimeoutError:
                break
            assert ev is not None and not ev.terminal, ev
        assert await _big_len(wire, tid) == stalled_at  # ... while the slow reader stayed stuck
        slow.close()  # ... and only by it: once it is gone, the other task completes
        while (ev := await s.next()) is not None and not ev.terminal:
            pass
        assert ev is not None and ev.state == "completed", ev
    await _wait_state(wire, tid, {"TASK_STATE_COMPLETED"})


async def test_fault_slow_consumer_drops(
    make_server: Callable[..., reference_server.RunningServer], http: httpx.AsyncClient
) -> None:
    server = make_server(buffer=16, faults=["slow-consumer-drops"])
    wire = Wire(server.url, "v1.0-jsonrpc", http)
    slow = await _open_slow(server.url, BURST, *_trickle("tail", 600, 0.05))
    tid = await _latest_task(wire)
    await _burst_done(wire, tid)  # 12 MiB produced, nothing read: most of it had no room

    def tail(ev: dict[str, Any]) -> bool:
        update = ev.get("result", {}).get("artifactUpdate")
        return bool(update) and _tail_index(update, "tail") is not None

    # catch up; tail chunks published before the buffer had room again are lost too, so wait
    # for the first one that makes it through
    assert await slow.read_until(tail), "stream ended without any event after the burst"
    reading = asyncio.ensure_future(slow.read_all())  # keep reading while the task is canceled
    await wire.result("cancel", task_id=tid)
    events, text = await reading
    indices = _indices(events)
    assert indices == sorted(indices) and len(indices) < 3000  # chunks lost ...
    first_tail = next(i for i, ev in enumerate(events) if tail(ev))
    assert all(not tail(ev) or i >= first_tail for i, ev in enumerate(events))
    assert not _indices(events[first_tail:])  # ... yet later events arrived in the open stream
    assert "CANCELED" in str(events[-1]["result"].get("statusUpdate")), events[-1]
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
    from reference_server.model import ArtifactEvent, ArtifactHead
    from reference_server.options import make_options

    broker = Broker(make_options(faults=["unbounded-buffer"], buffer=2), asyncio.Lock())
    sub = broker.subscribe()
    sub.serialize = lambda event: f"data: {event.text}\n\n"  # type: ignore[union-attr]
    text = "x" * 4096
    for _ in range(5):  # past the buffer: nothing is cut off or dropped
        await broker.publish(ArtifactEvent(ArtifactHead("t", "c", "a", None, True, False), text))
    items = await sub.take()
    assert [type(i) for i in items] == [Frame] * 5 and not sub.closed
    assert all(isinstance(i, Frame) and i.text == f"data: {text}\n\n" for i in items)
