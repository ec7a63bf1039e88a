"""The other direction for the black-box requirements no fault of the plain answer can fail
(owners_blackbox.UNPROVEN): the scenarios themselves, fed synthetic streams, fail a server
that skips or repeats an event on re-attach, whose subscribers diverge, that sends a
Message event in a task stream or whose GetTask lags behind the stream; and they pass the
same streams done right.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Coroutine
from typing import Any

import pytest

from conformance_tests import agent_sessions, agent_support, test_agent_reattach, test_agent_stream
from pytest_a2a.budget import Budget
from pytest_a2a.judge import requirements as registry
from pytest_a2a.judge.checks import ConformanceFailure
from pytest_a2a.judge.context import A2AContext
from pytest_a2a.wire.dialects import get_dialect
from pytest_a2a.wire.results import StreamResult
from pytest_a2a.wire.stream import EventStream

URL = "http://judges.invalid"
DIALECT = "v1.0-jsonrpc"
IDS = {"taskId": "t1", "contextId": "c1"}
CHUNKS = ["Once ", "upon ", "a ", "time ", "a ", "river."]


def _event_stream(results: list[dict[str, Any]]) -> EventStream:
    """A closed stream of these JSON-RPC results, as if read from a server."""
    s = EventStream(get_dialect(DIALECT), Budget(5.0), request_id="1")
    for result in results:
        body = json.dumps({"jsonrpc": "2.0", "id": "1", "result": result})
        s._ingest(f"data: {body}\n\n".encode())
    s._finish("closed")
    return s


def _stream(results: list[dict[str, Any]]) -> StreamResult:
    return _event_stream(results).result()


def _task(state: str, text: str | None = None) -> dict[str, Any]:
    arts = [] if text is None else [{"artifactId": "answer", "parts": [{"text": text}]}]
    return {"task": {"id": "t1", "contextId": "c1", "status": {"state": state},
                     "artifacts": arts}}


def _status(state: str) -> dict[str, Any]:
    return {"statusUpdate": {**IDS, "status": {"state": state}}}


def _chunk(i: int) -> dict[str, Any]:
    return {"artifactUpdate": {**IDS, "append": i > 0, "lastChunk": i == len(CHUNKS) - 1,
                               "artifact": {"artifactId": "answer",
                                            "parts": [{"text": CHUNKS[i]}]}}}


ORIGINAL = [_task("TASK_STATE_SUBMITTED"), _status("TASK_STATE_WORKING"),
            *(_chunk(i) for i in range(len(CHUNKS))), _status("TASK_STATE_COMPLETED")]


def _attached(join: int, later: list[int]) -> StreamResult:
    """A re-attach whose snapshot holds chunks 0..join-1, then chunks ``later``."""
    snap = _task("TASK_STATE_WORKING", "".join(CHUNKS[:join]))
    return _stream([snap, *(_chunk(i) for i in later), _status("TASK_STATE_COMPLETED")])


def _context(rid: str) -> A2AContext:
    return A2AContext(client=None, dialect=DIALECT, url=URL,  # type: ignore[arg-type]
                      budget=Budget(5.0), requirement=registry.load()[rid],
                      card={"capabilities": {"streaming": True}}, prompt="Hello",
                      headers={}, pid=None, rss=lambda pid: None, booted=False,
                      long_prompt="Write a long story")


def _judge(rid: str, scenario: Callable[[A2AContext], Coroutine[Any, Any, None]]) -> None:
    ctx = _context(rid)
    asyncio.run(scenario(ctx))
    assert ctx.checks > 0


def _session(one: StreamResult, two: StreamResult) -> None:
    agent_sessions.REATTACH.runs.put((URL, DIALECT), agent_sessions.Session(
        "t1", _stream(ORIGINAL), (one, two), frozenset({"answer"})))


@pytest.mark.parametrize(("join", "later", "ok"), [
    (2, [2, 3, 4, 5], True),  # the tail, joined right after the snapshot
    (2, [3, 4, 5], False),  # chunk 2 lost between snapshot and subscription
    (2, [1, 2, 3, 4, 5], False),  # chunk 1 both in the snapshot and streamed
    (2, [2, 4, 5], False),  # a chunk missing in the middle
    (3, [2, 3, 4, 5], False),  # the snapshot already holds the first later chunk
])
def test_no_gaps(join: int, later: list[int], ok: bool) -> None:
    res = _attached(join, later)
    _session(res, res)
    run = lambda: _judge("reattach.no-gaps", test_agent_reattach.test_agent_no_gaps)  # noqa: E731
    if ok:
        run()
    else:
        with pytest.raises(ConformanceFailure):
            run()


@pytest.mark.parametrize(("second", "ok"), [
    (_attached(3, [3, 4, 5]), True),  # one chunk later: a tail of the first, same story
    (_attached(2, [2, 3, 4, 5]), True),
    (_attached(2, [2, 3, 5]), False),  # the second subscriber misses chunk 4
    (_attached(2, [2, 3, 3, 4, 5]), False),  # ...or gets chunk 3 twice
])
def test_subscribers_identical(second: StreamResult, ok: bool) -> None:
    _session(_attached(2, [2, 3, 4, 5]), second)
    run = lambda: _judge("reattach.subscribers-identical",  # noqa: E731
                         test_agent_reattach.test_agent_subscribers_identical)
    if ok:
        run()
    else:
        with pytest.raises(ConformanceFailure):
            run()


@pytest.mark.parametrize("ok", [True, False])
def test_no_message_in_task(ok: bool) -> None:
    message = {"message": {"messageId": "m1", "role": "ROLE_AGENT", "parts": [{"text": "hi"}],
                           **IDS}}
    events = ORIGINAL if ok else [*ORIGINAL[:3], message, *ORIGINAL[3:]]
    agent_support.ANSWERS.put((URL, DIALECT, "Hello"), agent_support.Answer(_stream(events), None))

    async def scenario(ctx: A2AContext) -> None:
        await test_agent_stream.test_agent_no_message_in_task(ctx, "prompt")

    if ok:
        _judge("ordering.no-message-in-task", scenario)
    else:
        with pytest.raises(ConformanceFailure):
            _judge("ordering.no-message-in-task", scenario)


@pytest.mark.parametrize(("stored", "ok"), [("TASK_STATE_COMPLETED", True),
                                            ("TASK_STATE_WORKING", False)])
def test_get_task_agrees(stored: str, ok: bool) -> None:
    """GetTask lagging behind the stream's end state (A2A #373) fails the scenario."""
    from pytest_a2a.wire.results import CallResult

    task = _stream([_task(stored)]).events[0].task
    got = CallResult(op="get", http_status=200, task=task)
    agent_support.ANSWERS.put((URL, DIALECT, "Hello"),
                               agent_support.Answer(_stream(ORIGINAL), got))

    async def scenario(ctx: A2AContext) -> None:
        await test_agent_stream.test_agent_get_task_agrees(ctx, "prompt")

    if ok:
        _judge("closure.get-task-agrees", scenario)
    else:
        with pytest.raises(ConformanceFailure):
            _judge("closure.get-task-agrees", scenario)


@pytest.mark.parametrize(("events", "outcome"), [
    ([{"message": {"messageId": "m1", "role": "ROLE_AGENT", "parts": [{"text": "hi"}]}}],
     "unsupported: the agent answered the long prompt with one Message"),
    ([_task("TASK_STATE_SUBMITTED"), _status("TASK_STATE_COMPLETED")],
     "unsupported: not observable this run: the task ended"),
])
def test_sessions_need_a_running_task(events: list[dict[str, Any]], outcome: str) -> None:
    """A session acts on the long prompt's running task: an agent that answers with one
    Message has none (unsupported, as for the stream judges), one whose task ended at once is
    not observable; neither is a pass or a failure."""
    with pytest.raises(pytest.skip.Exception, match=outcome):
        asyncio.run(agent_support.running_task(_context("cancel.prompt"), _event_stream(events)))
