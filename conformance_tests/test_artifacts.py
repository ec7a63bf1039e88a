"""Artifact chunking (STREAMING.md R13; S10 §4.2.2 TaskArtifactUpdateEvent).

R13 defines ``append`` and ``lastChunk`` but is silent on append to an unknown artifactId, on
chunks after ``lastChunk`` and on whether GetTask equals the streamed reassembly: these are
SHOULD-level, backed by real bugs (clients dropping chunks or whole answers).
"""

from __future__ import annotations

from typing import Any

import pytest

from pytest_a2a import script
from pytest_a2a.judge import verifiers
from pytest_a2a.judge.context import A2AContext
from pytest_a2a.wire.models import ArtifactUpdate, StreamEvent
from pytest_a2a.wire.results import StreamResult

pytestmark = pytest.mark.asyncio

#: two artifacts: a1 in three chunks (the last marked), a2 in one chunk, interleaved
CHUNKS: list[dict[str, Any]] = [
    {"artifact": {"id": "a1", "text": "alpha-1 ", "name": "first"}},
    {"artifact": {"id": "a2", "text": "beta whole", "last": True, "name": "second"}},
    {"artifact": {"id": "a1", "text": "alpha-2 ", "append": True}},
    {"artifact": {"id": "a1", "text": "alpha-3", "append": True, "last": True}},
    {"status": "completed"},
]


Update = tuple[StreamEvent, ArtifactUpdate]


def _updates(res: StreamResult) -> list[Update]:
    """The stream's artifact update events, each with its (non-optional) update."""
    return [(ev, ev.artifact_update) for ev in res.events if ev.artifact_update is not None]


async def _chunked(a2a: A2AContext) -> tuple[StreamResult, list[Update]]:
    a2a.needs_streaming()
    res = await a2a.client.stream_collect(script.build(CHUNKS))
    updates = _updates(res)
    a2a.check(bool(updates), expected="artifact updates", actual=a2a.describe(res), stream=res)
    return res, updates


def _reassemble(updates: list[Update]) -> dict[str, str]:
    """R13: ``append: false`` creates or replaces; ``append: true`` appends (or creates)."""
    out: dict[str, str] = {}
    for _, au in updates:
        art = au.artifact
        key = art.artifact_id or ""
        out[key] = out.get(key, "") + art.text if au.append else art.text
    return out


async def _matches_get(a2a: A2AContext, task_id: str, updates: list[Update]) -> None:
    streamed = _reassemble(updates)
    got = await a2a.client.get_task(task_id)
    a2a.check(got.task is not None, expected="GetTask returns the task", actual=got.describe(),
              stream=got)
    assert got.task is not None
    stored = {art.artifact_id or "": art.text for art in got.task.artifacts}
    a2a.check(stored == streamed, expected=f"GetTask artifacts {streamed}",
              actual=f"GetTask artifacts {stored}", stream=got)


@pytest.mark.a2a_requirement("artifacts.append-announced")
@pytest.mark.a2a_scripted
async def test_append_announced(a2a: A2AContext) -> None:
    """R13: ``append: true`` only for an artifactId the stream announced before."""
    res, updates = await _chunked(a2a)
    seen: set[str | None] = set()
    bad = []
    for ev, au in updates:
        aid = au.artifact.artifact_id
        if au.append and aid not in seen:
            bad.append(f"#{ev.index} append: true for unannounced {aid!r}")
        seen.add(aid)
    a2a.check(not bad, expected="the first chunk of every artifact has append: false",
              actual="; ".join(bad), stream=res)


@pytest.mark.a2a_requirement("artifacts.nothing-after-last-chunk")
@pytest.mark.a2a_scripted
async def test_nothing_after_last_chunk(a2a: A2AContext) -> None:
    """R13: after ``lastChunk: true`` no further update for that artifactId."""
    res, updates = await _chunked(a2a)
    # "no update ever follows": judged only on a whole stream, up to its terminal status
    a2a.verify(verifiers.terminal_status(res))
    sealed: set[str | None] = set()
    bad = []
    for ev, au in updates:
        aid = au.artifact.artifact_id
        if aid in sealed:
            bad.append(f"#{ev.index} {ev.describe()} after the last chunk of {aid!r}")
        if au.last_chunk:
            sealed.add(aid)
    a2a.check(not bad, expected="no chunk after lastChunk: true", actual="; ".join(bad),
              stream=res)


@pytest.mark.a2a_requirement("artifacts.reassembly-matches-get")
@pytest.mark.a2a_scripted
async def test_reassembly_matches_get(a2a: A2AContext) -> None:
    """R13: GetTask's artifacts equal what the stream's chunks reassemble to."""
    res, updates = await _chunked(a2a)
    a2a.verify(verifiers.names_task(res))
    assert res.task_id is not None
    await _matches_get(a2a, res.task_id, updates)


@pytest.mark.a2a_requirement("artifacts.reassembly-matches-get")
async def test_reassembly_matches_get_blackbox(a2a: A2AContext) -> None:
    """R13 against any agent whose answer streams artifacts."""
    a2a.needs_streaming()
    res = await a2a.client.stream_collect(a2a.prompt)
    updates = _updates(res)
    if not updates or not res.task_id:
        # lawful only for an answer that is whole: a message, or a task that ended
        answered = verifiers.is_message_answer(res) or verifiers.terminal_status(res).passed
        a2a.require(answered, expected="the prompt is answered with a stream that ends (a "
                    "Message, or a task reaching a terminal state)",
                    actual=a2a.describe(res), stream=res)
        a2a.unsupported("the agent's answer streamed no task artifact: nothing to reassemble")
    await _matches_get(a2a, res.task_id, updates)
