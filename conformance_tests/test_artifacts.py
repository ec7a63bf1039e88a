"""Artifact chunking (STREAMING.md R13; S10 §4.2.2 TaskArtifactUpdateEvent).

R13 defines ``append`` and ``lastChunk`` but is silent on append to an unknown artifactId, on
chunks after ``lastChunk`` and on whether GetTask equals the streamed reassembly: these are
SHOULD-level, backed by real bugs (clients dropping chunks or whole answers).
"""

from __future__ import annotations

from typing import Any

import pytest

from conformance_tests.agent_support import answer
from pytest_a2a import script
from pytest_a2a.judge import stream_rules as rules
from pytest_a2a.judge import verifiers
from pytest_a2a.judge.context import A2AContext
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


async def _chunked(a2a: A2AContext) -> StreamResult:
    a2a.needs_streaming()
    res = await a2a.client.stream_collect(script.build(CHUNKS))
    a2a.check(any(ev.artifact_update is not None for ev in res.events),
              expected="artifact updates", actual=a2a.describe(res), stream=res)
    return res


async def _matches_get(a2a: A2AContext, res: StreamResult) -> None:
    assert res.task_id is not None
    a2a.verify(rules.reassembly_matches(res, await a2a.client.get_task(res.task_id)))


@pytest.mark.a2a_requirement("artifacts.append-announced")
@pytest.mark.a2a_scripted
async def test_append_announced(a2a: A2AContext) -> None:
    """R13: ``append: true`` only for an artifactId the stream announced before."""
    a2a.verify(rules.append_announced(await _chunked(a2a)))


@pytest.mark.a2a_requirement("artifacts.nothing-after-last-chunk")
@pytest.mark.a2a_scripted
async def test_nothing_after_last_chunk(a2a: A2AContext) -> None:
    """R13: after ``lastChunk: true`` no further update for that artifactId."""
    res = await _chunked(a2a)
    # "no update ever follows": judged only on a whole stream, up to its terminal status
    a2a.verify(verifiers.terminal_status(res))
    verdict = rules.nothing_after_last_chunk(res)
    if not verdict.observed:  # the script marks chunks last; a server may drop the flag
        a2a.unsupported(f"not observable this run: {verdict.actual}")
    a2a.verify(verdict)


@pytest.mark.a2a_requirement("artifacts.reassembly-matches-get")
@pytest.mark.a2a_scripted
async def test_reassembly_matches_get(a2a: A2AContext) -> None:
    """R13: GetTask's artifacts equal what the stream's chunks reassemble to."""
    res = await _chunked(a2a)
    a2a.verify(verifiers.names_task(res))
    await _matches_get(a2a, res)


@pytest.mark.a2a_requirement("artifacts.reassembly-matches-get")
async def test_reassembly_matches_get_blackbox(a2a: A2AContext) -> None:
    """R13 against any agent whose answer streams artifacts (the prompt's shared answer and its
    GetTask right after the stream, ``agent_support.answer``)."""
    ans = await answer(a2a, "prompt")
    res = ans.res
    if not any(ev.artifact_update is not None for ev in res.events) or not res.task_id:
        # lawful only for an answer that is whole: a message, or a task that ended
        answered = verifiers.is_message_answer(res) or verifiers.terminal_status(res).passed
        a2a.require(answered, expected="the prompt is answered with a stream that ends (a "
                    "Message, or a task reaching a terminal state)",
                    actual=a2a.describe(res), stream=res)
        a2a.unsupported("the agent's answer streamed no task artifact: nothing to reassemble")
    assert ans.got is not None  # the stream named its task, so GetTask was asked
    a2a.verify(rules.reassembly_matches(res, ans.got))
