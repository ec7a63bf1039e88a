"""SSE framing and the JSON of stream events (STREAMING.md R1-R3, R14, R15, R23; S10 §5.5).

The SSE syntax itself (CRLF, comments, multi-line data, event/id/retry fields) is R3-legal in
every form; the client parses them all, so nothing here judges it. These scenarios judge the
HTTP answer and the JSON inside each event. Every scenario also runs against black-box agents
(``a2a.prompt``); the scripted ones add artifacts, agent messages and a message-only reply.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, Literal

import pytest

from pytest_a2a import script
from pytest_a2a.judge.context import A2AContext
from pytest_a2a.wire.models import StreamEvent
from pytest_a2a.wire.results import StreamResult

pytestmark = pytest.mark.asyncio

RICH: list[dict[str, Any]] = [{"status": "working", "text": "starting"}, {"message": "progress"},
        {"artifact": {"id": "a1", "text": "one", "name": "result"}},
        {"artifact": {"id": "a1", "text": " two", "append": True, "last": True}},
        {"status": "completed", "text": "done"}]
REPLY: list[dict[str, Any]] = [{"reply": "a direct answer"}]
UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$")
#: snake_case spellings of 1.0 members (ProtoJSON emits camelCase)
SNAKE = {"task_id", "context_id", "message_id", "artifact_id", "last_chunk", "status_update",
         "artifact_update", "reference_task_ids", "media_type"}
WRAPPERS = ("task", "message", "statusUpdate", "artifactUpdate")
#: subtrees holding user content, whose member names are not A2A's
OPAQUE = {"metadata", "data"}


Source = Literal["prompt", "task", "reply"]


async def _stream(a2a: A2AContext, which: Source) -> StreamResult:
    text = {"prompt": a2a.prompt, "task": script.build(RICH), "reply": script.build(REPLY)}[which]
    return await a2a.client.stream_collect(text)


def _sources(scripted: bool) -> list[object]:
    marks = [pytest.mark.a2a_scripted] if scripted else []
    sources: list[Source] = ["task", "reply"] if scripted else ["prompt"]
    return [pytest.param(w, marks=marks) for w in sources]


def _body(a2a: A2AContext, ev: StreamEvent) -> Any:
    """The StreamResponse object of an event (JSON-RPC: its ``result``)."""
    payload = ev.payload
    if a2a.binding != "rest" and isinstance(payload, dict):
        return payload.get("result")
    return payload


def _walk(obj: Any, path: str = "") -> Iterator[tuple[str, str, Any]]:
    """(path, key, value) of every member, skipping user-content subtrees."""
    if isinstance(obj, dict):
        for key, value in obj.items():
            yield path, key, value
            if key not in OPAQUE:
                yield from _walk(value, f"{path}.{key}" if path else key)
    elif isinstance(obj, list):
        for i, value in enumerate(obj):
            yield from _walk(value, f"{path}[{i}]")


def _events_or_fail(a2a: A2AContext, res: StreamResult) -> list[StreamEvent]:
    a2a.check(bool(res.events), expected="stream events", actual=a2a.describe(res), stream=res)
    return list(res.events)


@pytest.mark.a2a_requirement("framing.content-type")
async def test_content_type(a2a: A2AContext) -> None:
    """R1: HTTP 200 with Content-Type text/event-stream."""
    a2a.needs_streaming()
    res = await _stream(a2a, "prompt")
    a2a.check(res.status_code == 200 and res.content_type_ok,
              expected="HTTP 200, Content-Type: text/event-stream",
              actual=f"HTTP {res.status_code}, Content-Type: {res.content_type!r}", stream=res)


def _is_kind_rule(error: str) -> bool:
    """The product schema forbids 1.0 ``kind``; R23 only says it should not be emitted, so that
    one rule is judged by ``framing.no-kind-1.0`` (SHOULD), not by this MUST."""
    return "'kind'" in error and "should not be valid" in error


@pytest.mark.a2a_requirement("framing.schema-valid")
@pytest.mark.parametrize("source", _sources(scripted=False) + _sources(scripted=True))
async def test_schema_valid(a2a: A2AContext, source: Source) -> None:
    """R1/R14/R15: every event is one JSON document valid for the dialect's schema."""
    a2a.needs_streaming()
    res = await _stream(a2a, source)
    problems = []
    for ev in _events_or_fail(a2a, res):
        errors = [e for e in ev.schema_errors if not _is_kind_rule(e)]
        if ev.kind == "invalid" and not errors:
            errors = [ev.reason or "undecodable event"]
        problems += [f"#{ev.index} {ev.describe()}: {e}" for e in errors[:3]]
    a2a.check(not problems, expected=f"every event valid for {a2a.dialect}",
              actual="; ".join(problems[:6]), stream=res)


def _proto_json_problems(a2a: A2AContext, events: list[StreamEvent]) -> list[str]:
    problems = []
    for ev in events:
        body = _body(a2a, ev)
        if not isinstance(body, dict) or ev.kind == "error":
            continue
        if not any(w in body for w in WRAPPERS):
            problems.append(f"#{ev.index}: no task/message/statusUpdate/artifactUpdate member "
                            f"(members {sorted(body)[:6]})")
        for path, key, value in _walk(body):
            if key in SNAKE:
                problems.append(f"#{ev.index} {path}.{key}: snake_case member")
            elif key == "state" and path.endswith("status") and isinstance(value, str) \
                    and not value.startswith("TASK_STATE_"):
                problems.append(f"#{ev.index} {path}.state = {value!r}")
            elif key == "role" and isinstance(value, str) and not value.startswith("ROLE_"):
                problems.append(f"#{ev.index} {path}.role = {value!r}")
    return problems


@pytest.mark.a2a_requirement("framing.proto-json-1.0")
@pytest.mark.parametrize("source", _sources(scripted=False) + _sources(scripted=True))
async def test_proto_json(a2a: A2AContext, source: Source) -> None:
    """R23: 1.0 JSON is ProtoJSON: camelCase members, TASK_STATE_* / ROLE_* enum names."""
    a2a.needs_streaming()
    res = await _stream(a2a, source)
    problems = _proto_json_problems(a2a, _events_or_fail(a2a, res))
    a2a.check(not problems, expected="camelCase members and TASK_STATE_*/ROLE_* values",
              actual="; ".join(problems[:6]), stream=res)


@pytest.mark.a2a_requirement("framing.no-kind-1.0")
@pytest.mark.parametrize("source", _sources(scripted=False) + _sources(scripted=True))
async def test_no_kind(a2a: A2AContext, source: Source) -> None:
    """R23: the 0.3 ``kind`` discriminator should not appear in 1.0 events."""
    a2a.needs_streaming()
    res = await _stream(a2a, source)
    found = [f"#{ev.index} {path or '(root)'}.kind = {value!r}"
             for ev in _events_or_fail(a2a, res)
             for path, key, value in _walk(_body(a2a, ev)) if key == "kind"]
    a2a.check(not found, expected="no 'kind' member", actual="; ".join(found[:6]), stream=res)


@pytest.mark.a2a_requirement("framing.timestamp-utc")
@pytest.mark.parametrize("source", _sources(scripted=False) + _sources(scripted=True)[:1])
async def test_timestamp_utc(a2a: A2AContext, source: Source) -> None:
    """R23: status timestamps are RFC 3339 in UTC with 'Z'."""
    a2a.needs_streaming()
    res = await _stream(a2a, source)
    stamps = [(ev.index, status.timestamp) for ev in _events_or_fail(a2a, res)
              for status in (ev.task.status if ev.task else None,
                             ev.status_update.status if ev.status_update else None)
              if status is not None and status.timestamp is not None]
    if not stamps:
        a2a.unsupported("no status carries a timestamp (optional): nothing to judge")
    bad = [f"#{i}: {ts!r}" for i, ts in stamps if not UTC.match(ts)]
    a2a.check(not bad, expected="timestamps like 2025-01-31T12:00:00.123Z",
              actual="; ".join(bad[:6]), stream=res)


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
