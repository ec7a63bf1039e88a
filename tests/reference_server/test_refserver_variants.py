"""Each legal variation shows its wire form, and an independent SSE parser still reads it."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from rs_wire import DEADLINE, Wire, script

import reference_server

DONE = script(
    {"status": "working"},
    {"artifact": {"id": "a", "text": "x", "last": True}},
    {"status": "completed"},
)
BODY = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "SendStreamingMessage",
    "params": {"message": {"messageId": "m", "role": "ROLE_USER", "parts": [{"text": DONE}]}},
}

RAW_FORMS: dict[str, Callable[[bytes], bool]] = {
    "crlf": lambda b: b"\r\n\r\n" in b and b"\n\n" not in b.replace(b"\r\n", b""),
    "cr": lambda b: b"\r\r" in b and b"\n" not in b,
    "comments": lambda b: b.startswith(b": ping\n") and b.count(b": ping") == 4,
    "multiline-data": lambda b: b.split(b"\n\n")[0].count(b"data: ") > 3,
    "sse-fields": lambda b: (
        b"event: message\nid: 1\nretry: 1000\ndata: " in b and b"\nid: 4\n" in b
    ),
    "unknown-members": lambda b: b"xReferenceServerExtra" in b,
    "tiny-chunks": lambda b: True,  # checked on the chunk sizes below
    "final-task": lambda b: (
        b.rstrip()
        .rsplit(b"\n\n", 1)[-1]
        .startswith(b'data: {"jsonrpc":"2.0","id":1,"result":{"task"')
    ),
}


@pytest.mark.asyncio
@pytest.mark.parametrize("variant", sorted(RAW_FORMS))
async def test_variant_wire_form(
    variant: str,
    make_server: Callable[..., reference_server.RunningServer],
    http: httpx.AsyncClient,
) -> None:
    server = make_server(variants=[variant])
    sizes = []
    async with http.stream(
        "POST", server.url + "/", json=BODY, headers={"A2A-Version": "1.0"}, timeout=DEADLINE
    ) as r:
        data = b""
        async for chunk in r.aiter_raw():
            sizes.append(len(chunk))
            data += chunk
    assert RAW_FORMS[variant](data), data[:400]
    if variant == "tiny-chunks":
        assert len(sizes) > 50  # written 3 bytes at a time (the client may coalesce some)
    res = await Wire(server.url, "v1.0-jsonrpc", http, lax=variant == "unknown-members").collect(
        text=DONE
    )
    expected = ["task", "status", "artifact", "status"] + (
        ["task"] if variant == "final-task" else []
    )
    assert res.kinds() == expected and res.closed


@pytest.mark.asyncio
async def test_variant_interrupted_stays_open(
    make_server: Callable[..., reference_server.RunningServer], http: httpx.AsyncClient
) -> None:
    server = make_server(variants=["interrupted-stays-open"])
    w = Wire(server.url, "v0.3-jsonrpc", http)
    async with w.open("stream", text=script({"status": "input-required"})) as st:
        await st.collect(limit=2)
        assert st.result.events[-1].body["final"] is False and not await st.closes_within(0.3)
        task = st.result.events[0].body
        await w.result("send", text=script({"status": "completed"}), task_id=task["id"])
        res = await st.collect()  # the same stream carries the follow-up's events
    assert res.states()[-1] == "completed" and res.closed


@pytest.mark.asyncio
async def test_variant_sse_errors(
    make_server: Callable[..., reference_server.RunningServer], http: httpx.AsyncClient
) -> None:
    server = make_server(variants=["sse-errors"])
    body = {"jsonrpc": "2.0", "id": 3, "method": "SubscribeToTask", "params": {"id": "nope"}}
    r = await http.post(server.url + "/", json=body, headers={"A2A-Version": "1.0"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
    assert r.text.startswith('data: {"jsonrpc":"2.0","id":3,"error":{"code":-32001')


@pytest.mark.asyncio
async def test_variant_no_streaming(
    make_server: Callable[..., reference_server.RunningServer], http: httpx.AsyncClient
) -> None:
    server = make_server(variants=["no-streaming"])
    card = (await http.get(server.url + "/.well-known/agent-card.json")).json()
    assert card["capabilities"]["streaming"] is False
    r = await http.post(server.url + "/", json=BODY, headers={"A2A-Version": "1.0"})
    assert r.json()["error"]["code"] == -32004
    r = await http.post(
        server.url + "/message:stream", json=BODY["params"], headers={"A2A-Version": "1.0"}
    )
    assert (
        r.status_code == 400
        and r.json()["error"]["details"][0]["reason"] == "UNSUPPORTED_OPERATION"
    )


REST_V1 = {"A2A-Version": "1.0"}


@pytest.mark.asyncio
async def test_variant_rest_errors_no_errorinfo(
    make_server: Callable[..., reference_server.RunningServer], http: httpx.AsyncClient
) -> None:
    """Bad requests are a bare google.rpc.Status; A2A errors keep their ErrorInfo."""
    server = make_server(variants=["rest-errors-no-errorinfo"])
    r = await http.post(server.url + "/message:send", content=b"{nope", headers=REST_V1)
    err = r.json()["error"]
    assert r.status_code == 400 and err["status"] == "INVALID_ARGUMENT" and "details" not in err
    r = await http.get(server.url + "/tasks/nope", headers=REST_V1)
    assert r.status_code == 404 and r.json()["error"]["details"][0]["reason"] == "TASK_NOT_FOUND"


@pytest.mark.asyncio
async def test_variant_rest_errors_bad_request_detail(
    make_server: Callable[..., reference_server.RunningServer], http: httpx.AsyncClient
) -> None:
    server = make_server(variants=["rest-errors-bad-request-detail"])
    r = await http.post(server.url + "/message:send", content=b"{nope", headers=REST_V1)
    details = r.json()["error"]["details"]
    assert r.status_code == 400 and details and all("ErrorInfo" not in d["@type"] for d in details)
    assert any(d["@type"].endswith("google.rpc.BadRequest") for d in details)


@pytest.mark.asyncio
async def test_variant_rest_errors_v100(
    make_server: Callable[..., reference_server.RunningServer], http: httpx.AsyncClient
) -> None:
    """Spec v1.0.0's table: ContentTypeNotSupported is HTTP 415 (the default answers 400)."""
    server = make_server(variants=["rest-errors-v1.0.0"])
    r = await http.post(server.url + "/message:send", content=b"x",
                        headers={**REST_V1, "Content-Type": "text/plain"})
    assert r.status_code == 415, r.text
    default = make_server()
    r = await http.post(default.url + "/message:send", content=b"x",
                        headers={**REST_V1, "Content-Type": "text/plain"})
    assert r.status_code == 400, r.text


def test_every_variant_is_tested() -> None:
    tested = set(RAW_FORMS) | {"interrupted-stays-open", "sse-errors", "no-streaming",
                               "answers-in-turn",  # test_refserver_answer
                               "rest-errors-no-errorinfo", "rest-errors-bad-request-detail",
                               "rest-errors-v1.0.0"}
    assert tested == set(reference_server.VARIANTS)
