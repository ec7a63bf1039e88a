"""Bad input is always answered with the right JSON error, never HTML, never a hang."""

from __future__ import annotations

import httpx
import pytest
from rs_wire import DEADLINE, Wire, validator

import reference_server

pytestmark = pytest.mark.asyncio

V10 = {"A2A-Version": "1.0"}


async def _rpc(
    http: httpx.AsyncClient, url: str, content: bytes | str, headers: dict[str, str] | None = None
) -> tuple[int, dict]:  # type: ignore[type-arg]
    r = await http.post(
        url + "/",
        content=content,
        headers={"content-type": "application/json", **(headers or {})},
        timeout=DEADLINE,
    )
    assert r.headers["content-type"].startswith("application/json"), r.text
    body = r.json()
    assert not list(validator("v1.0-jsonrpc", "JsonRpcErrorResponse").iter_errors(body)), body
    return r.status_code, body


@pytest.mark.parametrize("headers", [{}, V10], ids=["v0.3", "v1.0"])
@pytest.mark.parametrize(
    ("content", "code", "rpc_id"),
    [
        (b"{not json", -32700, None),
        (b"[]", -32600, None),
        (b'{"jsonrpc": "1.0", "id": 3, "method": "x"}', -32600, 3),
        (b'{"jsonrpc": "2.0", "id": 4, "method": 5}', -32600, 4),
        (b'{"jsonrpc": "2.0", "id": 5, "method": "no/such"}', -32601, 5),
        (b'{"jsonrpc": "2.0", "id": "s", "method": "%s", "params": {"message": 1}}', -32602, "s"),
        (b'{"jsonrpc": "2.0", "id": 7, "method": "%s", "params": {"id": "nope"}}', -32001, 7),
    ],
    ids=[
        "parse",
        "batch",
        "jsonrpc-version",
        "method-type",
        "unknown-method",
        "params",
        "unknown-task",
    ],
)
async def test_jsonrpc_error_codes(
    server: reference_server.RunningServer,
    http: httpx.AsyncClient,
    headers: dict[str, str],
    content: bytes,
    code: int,
    rpc_id: object,
) -> None:
    if b"%s" in content:
        send, get = ("SendMessage", "GetTask") if headers else ("message/send", "tasks/get")
        content = content.replace(b"%s", (send if code == -32602 else get).encode())
    status, body = await _rpc(http, server.url, content, headers)
    assert status == 200 and body["error"]["code"] == code and body["id"] == rpc_id


async def test_unsupported_version(
    server: reference_server.RunningServer, http: httpx.AsyncClient
) -> None:
    _status, body = await _rpc(
        http,
        server.url,
        b'{"jsonrpc":"2.0","id":1,"method":"GetTask","params":{"id":"x"}}',
        {"A2A-Version": "9.9"},
    )
    assert body["error"]["code"] == -32009 and body["id"] == 1
    r = await http.get(server.url + "/tasks/x", headers={"A2A-Version": "9.9"})
    assert (
        r.status_code == 400
        and r.json()["error"]["details"][0]["reason"] == "VERSION_NOT_SUPPORTED"
    )


async def test_oversized_body_refused(
    server: reference_server.RunningServer, http: httpx.AsyncClient
) -> None:
    big = (
        b'{"jsonrpc":"2.0","id":1,"method":"message/send","params":{"pad":"'
        + b"x" * (2 * 1024 * 1024)
        + b'"}}'
    )
    status, body = await _rpc(http, server.url, big)
    assert status == 413 and body["error"]["code"] == -32600
    r = await http.post(
        server.url + "/message:send",
        content=big,
        headers={**V10, "content-type": "application/json"},
    )
    assert r.status_code == 413 and r.headers["content-type"].startswith("application/json")


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "reason"),
    [
        ("GET", "/tasks/nope", None, 404, "TASK_NOT_FOUND"),
        ("POST", "/tasks/nope:cancel", None, 404, "TASK_NOT_FOUND"),
        ("GET", "/tasks/nope:subscribe", None, 404, "TASK_NOT_FOUND"),
        ("POST", "/message:send", {"message": {"role": "ROLE_USER"}}, 400, "INVALID_PARAMS"),
        ("POST", "/message:send", "{broken", 400, "INVALID_REQUEST"),
        ("GET", "/message:send", None, 405, "UNSUPPORTED_OPERATION"),
        ("GET", "/tasks?pageSize=5000", None, 400, "INVALID_PARAMS"),
    ],
)
async def test_rest_errors(
    server: reference_server.RunningServer,
    http: httpx.AsyncClient,
    method: str,
    path: str,
    body: object,
    status: int,
    reason: str,
) -> None:
    content = body if isinstance(body, str) else None
    r = await http.request(
        method,
        server.url + path,
        json=None if content else body,
        content=content,
        headers={**V10, "content-type": "application/json"},
    )
    assert r.status_code == status and r.headers["content-type"].startswith("application/json")
    doc = r.json()
    assert not list(validator("v1.0-rest", "RestErrorResponse").iter_errors(doc))
    assert doc["error"]["code"] == status and doc["error"]["details"][0]["reason"] == reason


async def test_unknown_route_is_json_404(
    server: reference_server.RunningServer, http: httpx.AsyncClient
) -> None:
    r = await http.get(server.url + "/nowhere")
    assert r.status_code == 404 and r.json()["error"]["status"] == "NOT_FOUND"


async def test_cancel_unknown_and_terminal(wire: Wire) -> None:
    _status, code = await wire.error("cancel", task_id="missing")
    assert code == (404 if wire.dialect == "v1.0-rest" else -32001)
