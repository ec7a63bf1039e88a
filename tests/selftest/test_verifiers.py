"""The shared verifiers accept every legal error shape and nothing else (issue 8 parts 1, 3).

Answers are built by decoding real bytes with the wire's own dialect decoder, so what is judged
here is what a scenario sees: every shape S10 §5.4/§11.6 allows (v1.0.0 and v1.0.1 tables,
ErrorInfo optional for errors that are not A2A-specific), and none of the look-alikes (an HTML
error page, a reason naming another error, a shared HTTP status without its reason).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from pytest_a2a.judge import verifiers
from pytest_a2a.wire.dialects import decode_error_body, get_dialect
from pytest_a2a.wire.results import CallResult, EndState, StreamResult
from pytest_a2a.wire.transcript import Transcript

HTML = b"<html><body><h1>502 Bad Gateway</h1></body></html>"


def _status(code: int, name: str | None, reason: str | None = None,
            detail: dict[str, Any] | None = None) -> bytes:
    error: dict[str, Any] = {"code": code, "message": "m"}
    if name is not None:
        error["status"] = name
    details = [detail] if detail else []
    if reason is not None:
        details.append({"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": reason,
                        "domain": "a2a-protocol.org"})
    if details:
        error["details"] = details
    return json.dumps({"error": error}).encode()


def _rpc(code: int) -> bytes:
    return json.dumps({"jsonrpc": "2.0", "id": "x", "error": {"code": code, "message": "m"}}
                      ).encode()


def _call(dialect: str, status: int, body: bytes, ctype: str = "application/json") -> CallResult:
    res = CallResult(op="get", http_status=status, content_type=ctype, body=body)
    get_dialect(dialect).decode_call(get_dialect(dialect).build("get", task_id="t"), res)
    return res


def _stream(status: int, body: bytes, ctype: str = "application/json",
            end: EndState = "http-error") -> StreamResult:
    json_body = json.loads(body) if ctype == "application/json" else None
    return StreamResult(events=[], end=end, end_t=0.0, end_reason="", status_code=status,
                        content_type=ctype, headers={}, transcript=Transcript(),
                        error=decode_error_body(body, status, ctype), dialect="v1.0-rest",
                        json_body=json_body)


BAD_REQUEST_DETAIL = {"@type": "type.googleapis.com/google.rpc.BadRequest",
                      "fieldViolations": [{"field": "message.parts", "description": "empty"}]}

REST_CASES: list[tuple[str, int, int | None, int, bytes, bool]] = [
    # (case, code, rest_status, HTTP status, body, passes)
    ("params: bare INVALID_ARGUMENT", -32602, 400, 400, _status(400, "INVALID_ARGUMENT"), True),
    ("params: ErrorInfo", -32602, 400, 400, _status(400, "INVALID_ARGUMENT", "INVALID_PARAMS"),
     True),
    ("params: BadRequest detail", -32602, 400, 400,
     _status(400, "INVALID_ARGUMENT", detail=BAD_REQUEST_DETAIL), True),
    ("params: no status name", -32602, 400, 400, _status(400, None), True),
    ("params: invalid-request reason", -32602, 400, 400,
     _status(400, "INVALID_ARGUMENT", "INVALID_REQUEST"), True),
    ("params: HTML 400", -32602, 400, 400, HTML, False),
    ("params: wrong status name", -32602, 400, 400, _status(400, "NOT_FOUND"), False),
    ("params: another error's reason", -32602, 400, 400,
     _status(400, "INVALID_ARGUMENT", "TASK_NOT_FOUND"), False),
    ("params: HTTP 500", -32602, 400, 500, _status(500, "INTERNAL"), False),
    ("not-cancelable: v1.0.1 400", -32002, 400, 400,
     _status(400, "FAILED_PRECONDITION", "TASK_NOT_CANCELABLE"), True),
    ("not-cancelable: v1.0.0 409", -32002, 400, 409,
     _status(409, "FAILED_PRECONDITION", "TASK_NOT_CANCELABLE"), True),
    ("not-cancelable: 400 without its reason", -32002, 400, 400,
     _status(400, "FAILED_PRECONDITION"), False),
    ("not-found: 404 with reason", -32001, 404, 404, _status(404, "NOT_FOUND", "TASK_NOT_FOUND"),
     True),
    ("not-found: 404 without reason", -32001, 404, 404, _status(404, "NOT_FOUND"), True),
    ("not-found: HTML 404", -32001, 404, 404, HTML, False),
    ("unsupported: v1.0.0 UNIMPLEMENTED", -32004, 400, 400,
     _status(400, "UNIMPLEMENTED", "UNSUPPORTED_OPERATION"), True),
    ("unsupported: any status, reason given", -32004, None, 403,
     _status(403, None, "UNSUPPORTED_OPERATION"), True),
    ("unsupported: 400 without reason", -32004, None, 400, _status(400, "FAILED_PRECONDITION"),
     False),
    ("version: v1.0.1 FAILED_PRECONDITION", -32009, 400, 400,
     _status(400, "FAILED_PRECONDITION", "VERSION_NOT_SUPPORTED"), True),
]


@pytest.mark.parametrize(("case", "code", "rest_status", "status", "body", "passes"), REST_CASES,
                         ids=[c[0] for c in REST_CASES])
def test_rest_error_shapes(case: str, code: int, rest_status: int | None, status: int,
                           body: bytes, passes: bool) -> None:
    ctype = "text/html" if body == HTML else "application/json"
    verdict = verifiers.error_code(_call("v1.0-rest", status, body, ctype), code,
                                   binding="rest", rest_status=rest_status)
    assert verdict.passed is passes, (case, verdict.expected_text, verdict.actual)
    if not passes:
        assert verdict.actual  # a failure always says what was seen


def test_rest_stream_error_body() -> None:
    ok = _stream(400, _status(400, "INVALID_ARGUMENT"))
    assert verifiers.error_code(ok, -32602, binding="rest", rest_status=400).passed
    html = _stream(400, HTML, "text/html")
    verdict = verifiers.error_code(html, -32602, binding="rest", rest_status=400)
    assert not verdict.passed and "not a JSON error body" in verdict.actual


@pytest.mark.parametrize(("status", "body", "passes"), [
    (200, _rpc(-32001), True), (404, _rpc(-32001), True), (200, _rpc(-32603), False),
    (404, HTML, False), (404, _status(404, "NOT_FOUND", "TASK_NOT_FOUND"), False)])
def test_jsonrpc_error_code(status: int, body: bytes, passes: bool) -> None:
    ctype = "text/html" if body == HTML else "application/json"
    res = _call("v1.0-jsonrpc", status, body, ctype)
    assert verifiers.error_code(res, -32001, binding="jsonrpc").passed is passes


def test_html_error_page_is_no_evidence() -> None:
    """An HTML 502/500 ends a stream, but says nothing about the agent or an error code."""
    page = _stream(502, HTML, "text/html")
    assert not verifiers.failure_reported(page).passed
    assert not verifiers.error_answer(page).passed
    assert not verifiers.terminal_status(page, or_error=True).passed
    assert verifiers.terminal_status(page, or_error=True, or_http_error=True).passed
    assert verifiers.failure_reported(_stream(500, _rpc(-32603))).passed
    empty = _stream(200, b"{}", end="closed")
    assert not verifiers.failure_reported(empty).passed
