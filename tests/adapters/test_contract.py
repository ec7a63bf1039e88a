"""Every `a2a-conformance/1` step, on the wire, for each adapter in each dialect its card declares.

These tests check the adapters (does each step have its documented effect?), not the
frameworks' conformance: framework deviations are pinned in ``test_a2a_sdk.py`` and
``test_fasta2a.py`` as strict xfails, and reported in ``docs/adapters.md``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio

from pytest_a2a import script
from pytest_a2a.adapters import _answer

from ._wire import INTERRUPTED, TERMINAL, Dialect, Event, Stream, call, open_stream, summary
from .conftest import Server

pytestmark = pytest.mark.asyncio

TIMEOUT = 10.0
FIXTURE = {"a2a-sdk": "sdk_server", "fasta2a": "fasta2a_server"}
DECLARED = {
    "a2a-sdk": {"v1.0-jsonrpc", "v1.0-rest", "v0.3-jsonrpc"},
    "fasta2a": {"v1.0-jsonrpc"},
}
TARGETS = [(impl, d) for impl, ds in DECLARED.items() for d in sorted(ds)]
SHORT = "Hello"  # pytest-a2a's default --a2a-prompt
LONG = "Write a 400-word story about rivers"  # the documented --a2a-long-prompt example


@pytest_asyncio.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=httpx.Timeout(TIMEOUT)) as c:
        yield c


@pytest.fixture(params=TARGETS, ids=[f"{i}-{d}" for i, d in TARGETS])
def target(request: pytest.FixtureRequest) -> tuple[Server, Dialect]:
    impl, dialect = request.param
    server: Server = request.getfixturevalue(FIXTURE[impl])
    return server, server.dialects[dialect]


async def run(client: httpx.AsyncClient, dialect: Dialect, text: str, **kw: Any) -> Stream:
    """Send ``text`` as a stream and read it to the end (bounded)."""
    async with open_stream(client, dialect, text=text, **kw) as s:
        assert s.response.status_code == 200 and s.error is None, (s.response.status_code, s.error)
        await s.rest(TIMEOUT)
    return s


def check_task_stream(s: Stream, *, task_first: bool = True) -> list[Event]:
    """Generic shape: closed, schema-valid, one task's ids throughout; returns the updates."""
    assert s.closed, f"stream still open: {summary(s.events)}"
    assert "text/event-stream" in s.response.headers["content-type"]
    for ev in s.events:
        assert not ev.schema_errors, (ev.kind, ev.schema_errors)
    ids = {(e.body.get("taskId", e.body.get("id")), e.body.get("contextId")) for e in s.events}
    assert len(ids) == 1, ids
    if task_first:
        assert s.events and s.events[0].kind == "task", summary(s.events)
        return s.events[1:]
    return s.events


def statuses(events: list[Event]) -> list[tuple[str | None, str | None]]:
    return [(e.state, e.status_text) for e in events if e.kind == "status"]


def artifacts(events: list[Event]) -> list[tuple[str, str, bool, bool]]:
    return [
        (
            e.body["artifact"]["artifactId"],
            e.text,
            bool(e.body.get("append")),
            bool(e.body.get("lastChunk")),
        )
        for e in events
        if e.kind == "artifact"
    ]


@pytest.mark.parametrize("impl", sorted(DECLARED))
async def test_card_declares_contract(request: pytest.FixtureRequest, impl: str) -> None:
    server: Server = request.getfixturevalue(FIXTURE[impl])
    assert any(s["id"] == "a2a-conformance" for s in server.card["skills"])
    assert server.card["capabilities"]["streaming"] is True
    assert set(server.dialects) == DECLARED[impl]


async def test_steps_in_order(client: httpx.AsyncClient, target: tuple[Server, Dialect]) -> None:
    steps: list[dict[str, Any]] = [
        {"status": "working"},
        {"artifact": {"id": "a1", "text": "hel", "name": "greeting"}},
        {"message": "progress"},
        {"status": "working", "text": "still"},
        {"artifact": {"id": "a1", "text": "lo", "append": True, "last": True}},
        {"status": "completed", "text": "done"},
    ]
    s = await run(client, target[1], script.build(steps))
    updates = check_task_stream(s)
    assert [e.kind for e in updates] == [
        "status",
        "artifact",
        "status",
        "status",
        "artifact",
        "status",
    ]
    assert statuses(updates) == [
        ("working", None),
        ("working", "progress"),
        ("working", "still"),
        ("completed", "done"),
    ]
    assert artifacts(updates) == [("a1", "hel", False, False), ("a1", "lo", True, True)]
    assert updates[1].body["artifact"].get("name") == "greeting"
    assert (e := updates[2].body["status"]["message"])["role"] in ("agent", "ROLE_AGENT"), e


async def test_invalid_script_is_rejected_with_reason(
    client: httpx.AsyncClient, target: tuple[Server, Dialect]
) -> None:
    s = await run(client, target[1], script.MARKER + '\n{"steps": [{"dance": 1}]}')
    updates = check_task_stream(s)
    ((state, text),) = statuses(updates)[-1:]
    assert state == "rejected" and text and "unknown step 'dance'" in text, statuses(updates)
    assert not artifacts(updates)


async def test_unknown_contract_version_is_rejected(
    client: httpx.AsyncClient, target: tuple[Server, Dialect]
) -> None:
    s = await run(client, target[1], 'a2a-conformance/9\n{"steps": []}')
    assert statuses(check_task_stream(s))[-1][0] == "rejected"


async def timed(s: Stream) -> dict[int, float]:
    """Read ``s`` to its end (bounded); event index -> arrival time (loop seconds)."""
    loop = asyncio.get_running_loop()
    end, arrivals = loop.time() + TIMEOUT, {}
    while await s.next(max(0.0, end - loop.time())) is not None:
        arrivals[len(s.events) - 1] = loop.time()
    return arrivals


def expected_chunks(prompt: str) -> list[tuple[str, str, bool, bool]]:
    chunks = _answer.compose(prompt).chunks
    last = len(chunks) - 1
    return [(_answer.ARTIFACT_ID, c, i > 0, i == last) for i, c in enumerate(chunks)]


async def test_plain_text_is_a_quick_streamed_answer(
    client: httpx.AsyncClient, target: tuple[Server, Dialect]
) -> None:
    dialect = target[1]
    async with open_stream(client, dialect, text=SHORT) as s:
        arrivals = await timed(s)
    updates = check_task_stream(s)
    assert [st for st, _ in statuses(updates)] == ["working", "completed"]
    assert [e.kind for e in updates[1:-1]] == ["artifact"] * (len(updates) - 2)
    assert artifacts(updates) == expected_chunks(SHORT) and len(updates) - 2 >= 3
    assert updates[1].body["artifact"].get("name") == _answer.ARTIFACT_NAME
    working = next(i for i, e in enumerate(s.events) if e.state == "working")
    assert arrivals[len(s.events) - 1] - arrivals[working] < 0.3  # paced at ~60 ms
    res, err = dialect.result(await call(client, dialect, "get", task_id=s.events[0].body["id"]))
    assert err is None and res is not None
    (artifact,) = dialect.task_of(res)["artifacts"]
    assert "".join(p["text"] for p in artifact["parts"]) == _answer.compose(SHORT).text
    assert artifact.get("name") == _answer.ARTIFACT_NAME


@pytest.mark.parametrize("impl", sorted(DECLARED))
async def test_long_plain_text_streams_for_seconds(
    request: pytest.FixtureRequest, client: httpx.AsyncClient, impl: str
) -> None:
    """One dialect per adapter: the pacing is the agent's, not the encoding's."""
    server: Server = request.getfixturevalue(FIXTURE[impl])
    async with open_stream(client, server.dialects["v1.0-jsonrpc"], text=LONG) as s:
        arrivals = await timed(s)
    updates = check_task_stream(s)
    assert artifacts(updates) == expected_chunks(LONG)
    chunks = [i for i, e in enumerate(s.events) if e.kind == "artifact"]
    working = next(i for i, e in enumerate(s.events) if e.state == "working")
    span = arrivals[len(s.events) - 1] - arrivals[working]
    assert 1.0 <= span <= 3.0, f"answer took {span:.2f} s"
    first, middle, last = (arrivals[chunks[k]] for k in (0, len(chunks) // 2, -1))
    assert first - arrivals[working] < span / 4 and last - first > span / 2
    assert first + span / 5 < middle < last - span / 5  # delivered as produced


async def test_open_script_is_completed(
    client: httpx.AsyncClient, target: tuple[Server, Dialect]
) -> None:
    s = await run(
        client, target[1], script.build([{"message": "hi"}, {"artifact": {"id": "x", "text": "1"}}])
    )
    updates = check_task_stream(s)
    assert statuses(updates) == [("working", "hi"), ("completed", None)]
    assert updates[-1].state == "completed" and updates[-2].kind == "artifact"


@pytest.mark.parametrize("state", sorted(TERMINAL | INTERRUPTED))
async def test_terminal_or_interrupted_status_ends_script(
    client: httpx.AsyncClient, target: tuple[Server, Dialect], state: str
) -> None:
    steps: list[dict[str, Any]] = [
        {"status": state, "text": "bye"},
        {"artifact": {"id": "never", "text": "x"}},
    ]
    s = await run(client, target[1], script.build(steps))
    updates = check_task_stream(s)
    assert statuses(updates) == [(state, "bye")] and not artifacts(updates)
    if target[1].id == "v0.3-jsonrpc" and state in TERMINAL:  # interrupted: see test_a2a_sdk.py
        assert updates[-1].body["final"] is True


async def test_burst_chunks_in_order(
    client: httpx.AsyncClient, target: tuple[Server, Dialect]
) -> None:
    n = 300
    s = await run(
        client, target[1], script.build([{"burst": {"id": "b", "count": n, "bytes": 24}}])
    )
    chunks = artifacts(check_task_stream(s))
    assert len(chunks) == n
    assert chunks == [("b", script.burst_chunk(i, 24), i > 0, i == n - 1) for i in range(n)]


async def test_sleep_delays_following_events(
    client: httpx.AsyncClient, target: tuple[Server, Dialect]
) -> None:
    steps: list[dict[str, Any]] = [
        {"status": "working"},
        {"sleep": 0.5},
        {"artifact": {"id": "a", "text": "late"}},
    ]
    async with open_stream(client, target[1], text=script.build(steps)) as s:
        loop_time = asyncio.get_running_loop().time
        await s.until(lambda e: e.kind == "status" and e.state == "working", TIMEOUT)
        t0 = loop_time()
        await s.until(lambda e: e.kind == "artifact", TIMEOUT)
        assert loop_time() - t0 >= 0.4
        await s.rest(TIMEOUT)
    check_task_stream(s)


async def test_wait_cancel_times_out_and_continues(
    client: httpx.AsyncClient, target: tuple[Server, Dialect]
) -> None:
    steps: list[dict[str, Any]] = [
        {"status": "working"},
        {"wait_cancel": 0.3},
        {"artifact": {"id": "a", "text": "after"}},
    ]
    s = await run(client, target[1], script.build(steps))
    updates = check_task_stream(s)
    assert [a[1] for a in artifacts(updates)] == ["after"] and updates[-1].state == "completed"


async def test_raise_ends_task_failed(
    client: httpx.AsyncClient, target: tuple[Server, Dialect]
) -> None:
    """The exception is real: whatever the framework streams, the stream ends and the task fails."""
    dialect = target[1]
    async with open_stream(
        client, dialect, text=script.build([{"status": "working"}, {"raise": "boom"}])
    ) as s:
        await s.rest(TIMEOUT)
    assert s.closed and s.events and s.events[0].kind == "task", summary(s.events)
    assert s.events[-1].kind == "error" or s.events[-1].state == "failed", summary(s.events)
    res, err = dialect.result(await call(client, dialect, "get", task_id=s.events[0].body["id"]))
    assert err is None and res is not None
    assert dialect.task_of(res)["status"]["state"] in ("failed", "TASK_STATE_FAILED")


async def test_get_task_has_reassembled_artifact(
    client: httpx.AsyncClient, target: tuple[Server, Dialect]
) -> None:
    steps: list[dict[str, Any]] = [
        {"artifact": {"id": "a", "text": "x"}},
        {"artifact": {"id": "a", "text": "y", "append": True, "last": True}},
    ]
    s = await run(client, target[1], script.build(steps))
    res, err = target[1].result(
        await call(client, target[1], "get", task_id=s.events[0].body["id"])
    )
    assert err is None and res is not None
    (artifact,) = target[1].task_of(res)["artifacts"]
    assert "".join(p["text"] for p in artifact["parts"]) == "xy"
