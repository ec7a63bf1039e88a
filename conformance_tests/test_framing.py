"""SSE framing and the JSON of stream events (STREAMING.md R1-R3, R14, R15, R23; S10 §5.5).

The SSE syntax itself (CRLF, comments, multi-line data, event/id/retry fields) is R3-legal in
every form; the client parses them all, so nothing here judges it. These scenarios judge the
HTTP answer and the JSON inside each event. Every scenario also runs against black-box agents
on the stream of ``a2a.prompt`` (read once per target and dialect and shared, with its status,
headers and transcript: ``agent_support.answer``); the scripted ones add artifacts, agent
messages and a message-only reply.
"""

from __future__ import annotations

from typing import Any, Literal

import pytest

from conformance_tests.agent_support import answer
from pytest_a2a import script
from pytest_a2a.judge import stream_rules as rules
from pytest_a2a.judge.context import A2AContext
from pytest_a2a.wire.results import StreamResult

pytestmark = pytest.mark.asyncio

RICH: list[dict[str, Any]] = [{"status": "working", "text": "starting"}, {"message": "progress"},
        {"artifact": {"id": "a1", "text": "one", "name": "result"}},
        {"artifact": {"id": "a1", "text": " two", "append": True, "last": True}},
        {"status": "completed", "text": "done"}]
REPLY: list[dict[str, Any]] = [{"reply": "a direct answer"}]


Source = Literal["prompt", "task", "reply"]


async def _stream(a2a: A2AContext, which: Source) -> StreamResult:
    """The prompt's shared answer (nothing here needs a fresh one), else a fresh scripted one."""
    if which == "prompt":
        return (await answer(a2a, "prompt")).res
    return await a2a.client.stream_collect(script.build(RICH if which == "task" else REPLY))


def _sources(scripted: bool) -> list[object]:
    marks = [pytest.mark.a2a_scripted] if scripted else []
    sources: list[Source] = ["task", "reply"] if scripted else ["prompt"]
    return [pytest.param(w, marks=marks) for w in sources]


def _events_or_fail(a2a: A2AContext, res: StreamResult) -> None:
    a2a.check(bool(res.events), expected="stream events", actual=a2a.describe(res), stream=res)


@pytest.mark.a2a_requirement("framing.content-type")
async def test_content_type(a2a: A2AContext) -> None:
    """R1: HTTP 200 with Content-Type text/event-stream."""
    a2a.needs_streaming()
    a2a.verify(rules.content_type(await _stream(a2a, "prompt")))


@pytest.mark.a2a_requirement("framing.schema-valid")
@pytest.mark.parametrize("source", _sources(scripted=False) + _sources(scripted=True))
async def test_schema_valid(a2a: A2AContext, source: Source) -> None:
    """R1/R14/R15: every event is one JSON document valid for the dialect's schema (the 1.0
    ``kind`` rule is framing.no-kind-1.0's, a SHOULD)."""
    a2a.needs_streaming()
    res = await _stream(a2a, source)
    _events_or_fail(a2a, res)
    a2a.verify(rules.schema_valid(res))


@pytest.mark.a2a_requirement("framing.proto-json-1.0")
@pytest.mark.parametrize("source", _sources(scripted=False) + _sources(scripted=True))
async def test_proto_json(a2a: A2AContext, source: Source) -> None:
    """R23: 1.0 JSON is ProtoJSON: camelCase members, TASK_STATE_* / ROLE_* enum names."""
    a2a.needs_streaming()
    res = await _stream(a2a, source)
    _events_or_fail(a2a, res)
    a2a.verify(rules.proto_json(res))


@pytest.mark.a2a_requirement("framing.no-kind-1.0")
@pytest.mark.parametrize("source", _sources(scripted=False) + _sources(scripted=True))
async def test_no_kind(a2a: A2AContext, source: Source) -> None:
    """R23: the 0.3 ``kind`` discriminator should not appear in 1.0 events."""
    a2a.needs_streaming()
    res = await _stream(a2a, source)
    _events_or_fail(a2a, res)
    a2a.verify(rules.no_kind(res))


@pytest.mark.a2a_requirement("framing.timestamp-utc")
@pytest.mark.parametrize("source", _sources(scripted=False) + _sources(scripted=True)[:1])
async def test_timestamp_utc(a2a: A2AContext, source: Source) -> None:
    """R23: status timestamps are RFC 3339 in UTC with 'Z'."""
    a2a.needs_streaming()
    res = await _stream(a2a, source)
    _events_or_fail(a2a, res)
    verdict = rules.timestamps_utc(res)
    if not verdict.observed:
        a2a.unsupported(verdict.actual)
    a2a.verify(verdict)


@pytest.mark.a2a_requirement("framing.anti-buffering")
async def test_anti_buffering(a2a: A2AContext) -> None:
    """Record the anti-buffering headers proxies honour (bug #24: SSE held in nginx buffers)."""
    a2a.needs_streaming()
    res = await _stream(a2a, "prompt")
    headers = {k.lower(): v for k, v in (res.headers or {}).items()}
    cache, accel = headers.get("cache-control"), headers.get("x-accel-buffering")
    a2a.record("Cache-Control", cache)
    a2a.record("X-Accel-Buffering", accel)
    a2a.check(cache is not None and "no-cache" in cache.lower(),
              expected="Cache-Control: no-cache", actual=f"Cache-Control: {cache!r}", stream=res)
    a2a.check(accel is not None and accel.strip().lower() == "no",
              expected="X-Accel-Buffering: no", actual=f"X-Accel-Buffering: {accel!r}",
              stream=res)
