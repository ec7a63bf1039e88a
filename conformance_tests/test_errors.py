"""Error handling (STREAMING.md R17-R20, R22; JSON-RPC 2.0 §5.1; S10 §3.3, §11.6).

JSON-RPC dialects are judged on the JSON-RPC code; REST on the HTTP status plus the
google.rpc.Status body (the client maps its ErrorInfo reason to the JSON-RPC code). Whether an
error before the first stream event is a JSON body or one SSE error event is R20-silent: both
are accepted, and which one a server uses is recorded (INFO).
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from pytest_a2a import script
from pytest_a2a.judge import verifiers
from pytest_a2a.judge.context import A2AContext
from pytest_a2a.wire.dialects import get_dialect
from pytest_a2a.wire.results import CallResult, StreamResult

pytestmark = pytest.mark.asyncio

RAISE_AT: dict[str, list[dict[str, Any]]] = {
    "first": [{"raise": "boom before any event"}],
    "mid": [{"status": "working"}, {"artifact": {"id": "a1", "text": "x"}},
            {"raise": "boom mid-stream"}],
}


def _unknown_id() -> str:
    return f"no-such-task-{uuid.uuid4().hex}"


def _check_code(a2a: A2AContext, res: StreamResult | CallResult, code: int,
                rest_status: int) -> None:
    """JSON-RPC: the code; REST: the HTTP status (JSON error body) and the reason's code."""
    a2a.verify(verifiers.error_code(res, code, binding=a2a.binding, rest_status=rest_status))


def _bad_stream_body(a2a: A2AContext) -> dict[str, Any]:
    """A streaming request whose message lacks its required ``parts`` (both versions)."""
    dialect = get_dialect(a2a.dialect)
    message = dialect.user_message("x")
    del message["parts"]
    req = dialect.build("stream", params={"message": message})
    body: dict[str, Any] = json.loads(req.body or b"{}")
    return body


async def _bad_stream(a2a: A2AContext) -> StreamResult:
    dialect = get_dialect(a2a.dialect)
    path = "/message:stream" if dialect.is_rest else ""
    async with a2a.client.raw_stream("POST", path, json_body=_bad_stream_body(a2a)) as call:
        return await call.collect()


# -- agent exceptions ---------------------------------------------------------------------------


@pytest.mark.a2a_requirement("errors.exception-ends-stream")
@pytest.mark.a2a_scripted
@pytest.mark.parametrize("where", list(RAISE_AT))
async def test_exception_ends_stream(a2a: A2AContext, where: str) -> None:
    """An agent exception ends the stream with failed or an error, then closes (bug #8)."""
    a2a.needs_streaming()
    res = await a2a.client.stream_collect(script.build(RAISE_AT[where]))
    a2a.verify(verifiers.failure_reported(res))
    # never a hang; how promptly it closes after the failed status is closure's business
    a2a.verify(verifiers.ended(res))


@pytest.mark.a2a_requirement("errors.exception-task-terminal")
@pytest.mark.a2a_scripted
async def test_exception_task_terminal(a2a: A2AContext) -> None:
    """After a mid-stream agent exception the task is terminal, not working forever."""
    a2a.needs_streaming()
    res = await a2a.client.stream_collect(script.build(RAISE_AT["mid"]))
    a2a.verify(verifiers.names_task(res, "a task stream (the Task precedes the exception)"))
    assert res.task_id is not None
    got = await a2a.client.get_task(res.task_id)
    a2a.verify(verifiers.task_state(got))


# -- protocol errors ----------------------------------------------------------------------------


@pytest.mark.a2a_requirement("errors.parse-error")
async def test_parse_error(a2a: A2AContext) -> None:
    """JSON-RPC 2.0: unparseable JSON → -32700 with id null (REST: HTTP 400)."""
    broken = b'{"jsonrpc": "2.0", "id": "x", "method": '
    if a2a.binding == "rest":  # REST has one generic bad request: 400 INVALID_ARGUMENT
        res = await a2a.client.raw("POST", "/message:send", body=broken,
                                   headers={"Content-Type": "application/json"})
        _check_code(a2a, res, -32700, 400)
        return
    res = await a2a.client.raw("POST", "", body=broken,
                               headers={"Content-Type": "application/json"})
    _check_code(a2a, res, -32700, 400)
    a2a.check(isinstance(res.raw, dict) and "id" in res.raw and res.raw["id"] is None,
              expected='"id": null (the request id is unreadable)',
              actual=f"id={res.raw.get('id', '(absent)') if isinstance(res.raw, dict) else '-'}",
              stream=res)


@pytest.mark.a2a_requirement("errors.invalid-request")
async def test_invalid_request(a2a: A2AContext) -> None:
    """JSON-RPC 2.0: JSON that is not a request object (no method) → -32600."""
    res = await a2a.client.raw("POST", "", json_body={"jsonrpc": "2.0", "id": "no-method",
                                                      "params": {}})
    _check_code(a2a, res, -32600, 400)


@pytest.mark.a2a_requirement("errors.method-not-found")
async def test_method_not_found(a2a: A2AContext) -> None:
    """JSON-RPC 2.0: an unknown method → -32601 with the request id."""
    res = await a2a.client.jsonrpc("tasks/noSuchMethod", {}, rpc_id="unknown-method")
    _check_code(a2a, res, -32601, 404)
    a2a.check(res.response_id == "unknown-method", expected='response id "unknown-method"',
              actual=f"id={res.response_id!r}", stream=res)


@pytest.mark.a2a_requirement("errors.invalid-params")
async def test_invalid_params(a2a: A2AContext) -> None:
    """R19/R20: a streaming call with a message without parts → -32602, JSON or SSE error."""
    a2a.needs_streaming()
    res = await _bad_stream(a2a)
    _check_code(a2a, res, -32602, 400)


@pytest.mark.a2a_requirement("errors.task-not-found")
@pytest.mark.parametrize("op", ["get", "cancel"])
async def test_task_not_found(a2a: A2AContext, op: str) -> None:
    """R19: get/cancel of an unknown task id → -32001 (REST: 404)."""
    call = a2a.client.get_task if op == "get" else a2a.client.cancel
    res = await call(_unknown_id())
    _check_code(a2a, res, -32001, 404)


@pytest.mark.a2a_requirement("errors.not-cancelable")
@pytest.mark.a2a_scripted
async def test_not_cancelable(a2a: A2AContext) -> None:
    """R17: cancel of a completed task → -32002 (REST: 400), not the Task."""
    text = script.build([{"status": "completed"}])
    answer: StreamResult | CallResult
    if (a2a.card.get("capabilities") or {}).get("streaming") is True:
        # streamed, so the task is completed when we cancel (SendMessage may return early)
        answer = await a2a.client.stream_collect(text)
        task_id, state = answer.task_id, answer.last_state()
    else:
        answer = await a2a.client.send(text, blocking=True)
        task_id, state = (answer.task.id if answer.task else None), answer.state
    a2a.require(state == "completed" and bool(task_id),
                expected="a scripted task that completes (the task to cancel)",
                actual=answer.describe(), stream=answer)
    assert task_id is not None
    res = await a2a.client.cancel(task_id)
    _check_code(a2a, res, -32002, 400)


@pytest.mark.a2a_requirement("errors.streaming-unsupported")
async def test_streaming_unsupported(a2a: A2AContext) -> None:
    """R18: a card without streaming → the streaming method answers -32004."""
    if (a2a.card.get("capabilities") or {}).get("streaming") is True:
        a2a.unsupported("the card declares streaming; this applies to agents that do not")
    res = await a2a.client.stream_collect(a2a.prompt)
    _check_code(a2a, res, -32004, 400)
    a2a.check(not [ev for ev in res.events if ev.kind != "error"],
              expected="no stream events, only the error", actual=a2a.describe(res), stream=res)


@pytest.mark.a2a_requirement("errors.version-unsupported")
async def test_version_unsupported(a2a: A2AContext) -> None:
    """R22: ``A2A-Version: 99.0`` → -32009 (REST: 400), not served as 1.0."""
    headers = {"A2A-Version": "99.0"}
    if a2a.binding == "rest":
        res = await a2a.client.raw("GET", f"/tasks/{_unknown_id()}", headers=headers)
    else:
        res = await a2a.client.jsonrpc("GetTask", {"id": _unknown_id()}, headers=headers)
    _check_code(a2a, res, -32009, 400)


def _envelope_problems(binding: str, res: CallResult) -> list[str]:
    problems = []
    ctype = (res.content_type or "").split(";")[0].strip().lower()
    if not (ctype == "application/json" or ctype.endswith("+json")):
        problems.append(f"Content-Type {res.content_type!r}")
    body = res.raw
    err = body.get("error") if isinstance(body, dict) else None
    if not isinstance(err, dict):
        problems.append(f"body is not a JSON error object: {res.body[:120]!r}")
        return problems
    if not isinstance(err.get("code"), int) or not isinstance(err.get("message"), str):
        problems.append("error lacks an integer code and a string message")
    if binding != "rest" and (body.get("jsonrpc") != "2.0" or "id" not in body):
        problems.append('not a JSON-RPC 2.0 envelope ("jsonrpc": "2.0" and "id")')
    return problems


@pytest.mark.a2a_requirement("errors.json-errors")
@pytest.mark.parametrize("trigger", ["unknown-task", "malformed-json"])
async def test_json_errors(a2a: A2AContext, trigger: str) -> None:
    """R19: errors come back as JSON error envelopes, not HTML/plain-text 500s."""
    if trigger == "unknown-task":
        res = await a2a.client.get_task(_unknown_id())
    else:
        path = "/message:send" if a2a.binding == "rest" else ""
        res = await a2a.client.raw("POST", path, body=b"{not json",
                                   headers={"Content-Type": "application/json"})
    problems = _envelope_problems(a2a.binding, res)
    form = "a google.rpc.Status JSON body" if a2a.binding == "rest" else "a JSON-RPC error"
    a2a.check(not problems, expected=f"{form} (application/json)",
              actual=f"HTTP {res.http_status}: " + "; ".join(problems), stream=res)


@pytest.mark.a2a_requirement("errors.pre-stream-error-form")
async def test_pre_stream_error_form(a2a: A2AContext) -> None:
    """R20 (silent): record how an error before the first stream event is delivered."""
    a2a.needs_streaming()
    res = await _bad_stream(a2a)
    if res.end == "json-error":
        form = "JSON body (HTTP 2xx)"
    elif res.end == "http-error":
        form = f"HTTP {res.status_code} {res.content_type}"
    elif any(ev.kind == "error" for ev in res.events):
        form = f"SSE error event (HTTP {res.status_code}, then end={res.end})"
    else:
        form = f"no error: {a2a.describe(res)}"
    a2a.record("form", form)
    a2a.record("code", res.rpc_error.code if res.rpc_error is not None else None)
    a2a.verify(verifiers.error_answer(res))
