"""The plain-text agent: a streamed, prompt-sized answer like an LLM agent's (answer.py).

Durations are measured from event arrival times at the client; the lower bounds are the
agent's own pacing (it cannot be faster), the upper ones leave room for a loaded machine.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import httpx
import pytest
from rs_wire import Ev, Stream, Wire

import reference_server
from reference_server import answer

SHORT = "Hello"  # pytest-a2a's default --a2a-prompt
LONG = "Write a 400-word story about rivers"  # the documented --a2a-long-prompt example


async def timed(st: Stream) -> list[tuple[float, Ev]]:
    """Every event until the server closes, with its arrival time (monotonic seconds)."""
    out: list[tuple[float, Ev]] = []
    while (ev := await st.next()) is not None:
        out.append((time.monotonic(), ev))
    return out


def chunks(events: list[Ev]) -> list[dict]:  # type: ignore[type-arg]
    return [e.body for e in events if e.kind == "artifact"]


def text_of(update: dict) -> str:  # type: ignore[type-arg]
    return str(update["artifact"]["parts"][0]["text"])


def assert_chunk_structure(updates: list[dict]) -> str:  # type: ignore[type-arg]
    """One artifact: first chunk not appended, the rest appended, only the last lastChunk."""
    assert len(updates) >= 3
    assert {u["artifact"]["artifactId"] for u in updates} == {answer.ARTIFACT_ID}
    n = len(updates)
    assert [bool(u.get("append", False)) for u in updates] == [False] + [True] * (n - 1)
    assert [bool(u.get("lastChunk", False)) for u in updates] == [False] * (n - 1) + [True]
    assert updates[0]["artifact"]["name"] == answer.ARTIFACT_NAME
    texts = [text_of(u) for u in updates]
    assert len(set(texts)) == len(texts), "two chunks alike: streams could not be compared"
    return "".join(texts)


def test_length_comes_from_the_prompt() -> None:
    assert answer.word_count(SHORT) == answer.MIN_WORDS
    assert answer.word_count(LONG) == 400
    assert answer.word_count("x" * 300) == 150  # no number: half the prompt's length
    assert answer.word_count("Write 99999999 words") == answer.MAX_WORDS
    long = answer.compose(LONG)
    assert len(long.text.split()) == 400 and long.text.endswith(".")
    assert 1.0 <= len(long.chunks) * long.pause <= 3.0  # the agent's own pacing
    short = answer.compose(SHORT)
    assert len(short.chunks) >= 3 and len(short.chunks) * short.pause < 0.1
    assert answer.compose(LONG) == long  # deterministic


@pytest.mark.asyncio
async def test_short_prompt_is_a_quick_chunked_answer(wire: Wire) -> None:
    async with wire.open("stream", text=SHORT) as st:
        events = await timed(st)
    assert st.result.closed
    evs = [e for _, e in events]
    working = next(t for t, e in events if e.state == "working")
    assert events[-1][0] - working < 0.3  # paced at ~60 ms: the suite sends it many times
    kinds = [e.kind for e in evs]
    assert kinds[:2] == ["task", "status"] and kinds[-1] == "status"
    assert set(kinds[2:-1]) == {"artifact"}
    assert [e.state for e in evs if e.kind in ("task", "status")] == [
        "submitted",
        "working",
        "completed",
    ]
    streamed = assert_chunk_structure(chunks(evs))
    got = await wire.result("get", task_id=evs[0].body["id"])
    assert [a["parts"][0]["text"] for a in got["artifacts"]] == [streamed]
    assert got["artifacts"][0]["name"] == answer.ARTIFACT_NAME
    assert got["status"]["state"] in ("completed", "TASK_STATE_COMPLETED")


@pytest.mark.asyncio
async def test_long_prompt_streams_for_seconds(server_wire: Wire) -> None:
    async with server_wire.open("stream", text=LONG) as st:
        events = await timed(st)
    arrivals = {id(e): t for t, e in events}
    evs = [e for _, e in events]
    updates = [e for e in evs if e.kind == "artifact"]
    working = next(e for e in evs if e.state == "working")
    assert evs[-1].state == "completed" and st.result.closed
    streamed = assert_chunk_structure([u.body for u in updates])
    assert len(streamed.split()) == 400
    span = arrivals[id(evs[-1])] - arrivals[id(working)]
    assert 1.0 <= span <= 3.0  # ~2 s: chunks are paced on a steady clock
    # delivered as produced: the first chunk early, the last one late, spread in between
    first, last = arrivals[id(updates[0])], arrivals[id(updates[-1])]
    assert first - arrivals[id(working)] < span / 4 and last - first > span / 2
    middle = arrivals[id(updates[len(updates) // 2])]
    assert first + span / 5 < middle < last - span / 5


@pytest.mark.asyncio
async def test_blocking_send_answers_the_whole_text(wire: Wire) -> None:
    got = await wire.result("send", text=SHORT)
    assert got["status"]["state"] in ("completed", "TASK_STATE_COMPLETED")
    assert [a["parts"][0]["text"] for a in got["artifacts"]] == [answer.compose(SHORT).text]


@pytest.mark.asyncio
async def test_cancel_mid_answer(wire: Wire) -> None:
    async with wire.open("stream", text=LONG) as st:
        task = await st.next()
        assert task is not None and task.kind == "task"
        seen = [await st.next() for _ in range(3)]  # working, two chunks
        assert [e.kind for e in seen if e] == ["status", "artifact", "artifact"]
        start = time.monotonic()
        canceled = await wire.result("cancel", task_id=task.body["id"])
        took = time.monotonic() - start
        rest = await st.collect()
    assert canceled["status"]["state"] in ("canceled", "TASK_STATE_CANCELED")
    assert took < 1.0  # answered at once, not after the ~2 s answer
    evs = rest.events
    assert evs[-1].state == "canceled" and rest.closed
    assert sum(e.terminal for e in evs) == 1
    got = await wire.result("get", task_id=task.body["id"])
    assert got["status"]["state"] in ("canceled", "TASK_STATE_CANCELED")
    stored = got["artifacts"][0]["parts"][0]["text"]
    assert stored == "".join(text_of(u) for u in chunks(evs))  # the partial answer, as streamed
    assert len(stored.split()) < 400
    await asyncio.sleep(0.2)  # the agent is stopped: nothing is appended after the cancel
    again = await wire.result("get", task_id=task.body["id"])
    assert again["artifacts"] == got["artifacts"]


@pytest.mark.asyncio
async def test_reattach_mid_answer_continues_without_gap(server_wire: Wire) -> None:
    async with server_wire.open("stream", text=LONG) as st:
        task = await st.next()
        assert task is not None
        for _ in range(4):
            await st.next()
        async with server_wire.open("resubscribe", task_id=task.body["id"]) as again:
            snap = await again.next()
            rest = await again.collect()
        original = await st.collect()
    assert snap is not None and snap.kind == "task" and snap.state == "working"
    before = "".join(a["parts"][0]["text"] for a in snap.body.get("artifacts", []))
    after = "".join(text_of(u) for u in chunks(rest.events))
    assert before + after == "".join(text_of(u) for u in chunks(original.events))
    assert rest.events[-1].state == "completed" and rest.closed


@pytest.fixture
def server_wire(server: object, http: object) -> Wire:
    """One dialect is enough where the agent's pacing, not the encoding, is under test."""
    return Wire(server.url, "v1.0-jsonrpc", http)  # type: ignore[attr-defined,arg-type]


@pytest.mark.asyncio
async def test_variant_answers_in_turn(
    make_server: Callable[..., reference_server.RunningServer], http: httpx.AsyncClient
) -> None:
    """answers-in-turn: of two prompts sent at once, the second's answer starts only once
    the first's has been produced (its own pacing: it cannot be sooner); without the variant
    it starts at once, beside the first."""
    prompt = "Write a 100-word story"
    span = len(answer.compose(prompt).chunks) * answer.compose(prompt).pause  # ~0.5 s
    for variants, in_turn in ((["answers-in-turn"], True), ([], False)):
        wire = Wire(make_server(variants=variants).url, "v1.0-jsonrpc", http)
        sent = time.monotonic()
        async with wire.open("stream", text=prompt) as one, \
                wire.open("stream", text=prompt) as two:
            first, second = await asyncio.gather(timed(one), timed(two))
        assert first[-1][1].state == "completed" and second[-1][1].state == "completed"
        starts = sorted(next(t for t, e in events if e.state == "working") - sent
                        for events in (first, second))
        if in_turn:
            assert starts[1] >= 0.9 * span, (starts, span)
        else:
            assert starts[1] < span / 2, (starts, span)
