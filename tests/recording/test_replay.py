"""Replay rebuilds what the live client saw: recorded live streams replay to the same events and
the same end verdict, and the virtual clock decides closure as the live consumer would."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import reference_server
from pytest_a2a import script
from pytest_a2a.budget import Budget
from pytest_a2a.recording import load
from pytest_a2a.recording.jsonl import RecordingWriter
from pytest_a2a.recording.model import Chunk, Exchange, Recording
from pytest_a2a.recording.recorder import Recorder
from pytest_a2a.recording.replay import replay_stream
from pytest_a2a.wire import observe
from pytest_a2a.wire.client import A2AClient
from pytest_a2a.wire.results import StreamResult

TASK = (b'data: {"task": {"id": "t", "contextId": "c", "status": {"state": '
        b'"TASK_STATE_SUBMITTED"}}}\n\n')
DONE = (b'data: {"statusUpdate": {"taskId": "t", "contextId": "c", "status": {"state": '
        b'"TASK_STATE_COMPLETED"}}}\n\n')


def _exchange(end: str, end_t: float) -> Exchange:
    return Exchange(index=1, method="POST", url="http://h/message:stream",
                    request_body=b'{"message": {"messageId": "m", "parts": []}}',
                    op="stream", dialect="v1.0-rest", status=200,
                    response_headers=[("content-type", "text/event-stream")], response_t=0.01,
                    chunks=[Chunk(0.02, TASK), Chunk(0.10, DONE)], end=end,  # type: ignore[arg-type]
                    end_t=end_t)


@pytest.mark.parametrize("end, end_t, verdict", [
    ("closed", 0.12, "closed"),
    ("client-left", 1.6, "open-after-terminal"),  # grace 1.0 s at budget 10 s
    ("client-left", 0.5, "closed-by-client"),  # the client left first: closure unknown
])
def test_virtual_clock_verdicts(end: str, end_t: float, verdict: str) -> None:
    ex = _exchange(end, end_t)
    r = replay_stream(Recording(Path("x.a2a.jsonl"), "a2a-recording/1", [ex]), ex, Budget(10))
    assert [e.kind for e in r.result.events] == ["task", "status"]
    assert [e.t for e in r.result.events] == [0.02, 0.10]
    assert r.result.end == verdict
    if verdict == "open-after-terminal":
        assert r.result.end_t == pytest.approx(1.10)


@pytest.fixture
def recorded(tmp_path: Path) -> Iterator[Path]:
    writer = RecordingWriter(tmp_path / "live.a2a.jsonl", test="live", cap=1 << 20)
    recorder = Recorder(writer)
    previous = observe.install(recorder)
    try:
        yield writer.path
    finally:
        observe.install(previous)
        recorder.finish()


def _same(live: StreamResult, again: StreamResult) -> None:
    assert [(e.kind, e.state, e.data) for e in again.events] == \
        [(e.kind, e.state, e.data) for e in live.events]
    # the recorder reads the stream's clock just before the stream does: microseconds apart
    assert [e.t for e in again.events] == pytest.approx([e.t for e in live.events], abs=1e-3)
    assert (again.end, again.status_code, again.content_type) == \
        (live.end, live.status_code, live.content_type)


@pytest.mark.parametrize("fault", [None, "no-close-after-terminal", "duplicate-final",
                                   "wrong-content-type"])
@pytest.mark.parametrize("dialect", ["v0.3-jsonrpc", "v1.0-jsonrpc", "v1.0-rest"])
def test_live_stream_replays_identically(recorded: Path, fault: str | None,
                                         dialect: str) -> None:
    steps: list[dict[str, Any]] = [{"status": "working"}, {"artifact": {"id": "a1", "text": "x"}},
             {"status": "completed"}]
    budget = Budget(3.0)

    async def run() -> StreamResult:
        with reference_server.start(faults=[fault] if fault else []) as server:
            url = server.url + ("/" if dialect.endswith("jsonrpc") else "")
            async with A2AClient(url, dialect=dialect, budget=budget) as client:
                return await client.stream_collect(script.build(steps))

    live = asyncio.run(run())
    observe.install(None)
    rec = load.load_file(recorded)
    (ex,) = [e for e in rec.exchanges if e.streaming]
    assert ex.timed and ex.live_end == live.end
    _same(live, replay_stream(rec, ex, budget).result)


def test_recorded_request_is_the_one_sent(recorded: Path) -> None:
    async def run() -> None:
        with reference_server.start() as server:
            async with A2AClient(server.url + "/", dialect="v1.0-jsonrpc",
                                 headers={"Authorization": "Bearer top-secret"}) as client:
                await client.get_task("no-such-task")

    asyncio.run(run())
    observe.install(None)
    text = recorded.read_text()
    assert "top-secret" not in text
    (ex,) = load.load_file(recorded).exchanges
    assert ex.op == "get" and ex.status is not None and json.loads(ex.body)["error"]
