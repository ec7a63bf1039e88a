"""How a stream's bytes are cut into body writes: events emitted back to back share a write,
no write grows past the bound, an event the agent follows with a wait is written alone.

Driven at the ASGI level (the body messages the app sends are the writes; a socket would
merge or split them), so the assertions are about the server's writes, never about timing.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from rs_wire import DEADLINE, script

from reference_server.app import ReferenceApp
from reference_server.options import make_options
from reference_server.sse import WRITE_BYTES

pytestmark = pytest.mark.asyncio


async def _writes(steps: tuple[dict[str, Any], ...], **options: Any) -> list[bytes]:
    """The body writes of one v1.0 JSON-RPC stream of ``steps``, until the response ends."""
    app = ReferenceApp(make_options(**options))
    msg = {"messageId": "w", "role": "ROLE_USER", "parts": [{"text": script(*steps)}]}
    request = json.dumps(
        {"jsonrpc": "2.0", "id": 1, "method": "SendStreamingMessage", "params": {"message": msg}}
    ).encode()
    scope = {
        "type": "http", "http_version": "1.1", "method": "POST", "scheme": "http", "path": "/",
        "raw_path": b"/", "root_path": "", "query_string": b"", "server": ("127.0.0.1", 80),
        "client": ("127.0.0.1", 1), "headers": [
            (b"content-type", b"application/json"), (b"a2a-version", b"1.0"),
            (b"content-length", str(len(request)).encode())],
    }
    pending = [{"type": "http.request", "body": request, "more_body": False}]
    stay = asyncio.Event()  # the client never leaves

    async def receive() -> dict[str, Any]:
        if pending:
            return pending.pop()
        await stay.wait()
        return {"type": "http.disconnect"}

    writes: list[bytes] = []

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.body" and message.get("body"):
            writes.append(message["body"])

    async with asyncio.timeout(DEADLINE):
        await app(scope, receive, send)
    return writes


def _events(writes: list[bytes]) -> list[dict[str, Any]]:
    blocks = b"".join(writes).split(b"\n\n")
    return [json.loads(b[len(b"data: "):])["result"] for b in blocks if b.startswith(b"data: ")]


async def test_a_burst_shares_writes_each_bounded_and_loses_nothing() -> None:
    count, size = 600, 1024  # ~700 KiB: more than one bounded write
    writes = await _writes(
        ({"status": "working"}, {"burst": {"id": "b", "count": count, "bytes": size}})
    )
    events = _events(writes)
    chunks = [e["artifactUpdate"]["artifact"]["parts"][0]["text"] for e in events
              if "artifactUpdate" in e]
    assert [int(c.split(" ", 1)[0]) for c in chunks] == list(range(count))
    assert "task" in events[0] and events[-1]["statusUpdate"]["status"]["state"] == (
        "TASK_STATE_COMPLETED")
    assert len(writes) < len(events) // 4, len(writes)  # back-to-back events share writes
    largest_event = max(len(b) for w in writes for b in w.split(b"\n\n"))
    assert max(map(len, writes)) < WRITE_BYTES + largest_event + 4  # bounded, never the burst
    assert all(w.endswith(b"\n\n") for w in writes)  # events are never split across writes


async def test_an_event_followed_by_a_wait_is_written_before_the_wait() -> None:
    writes = await _writes(
        ({"message": "m1"}, {"sleep": 0.05}, {"message": "m2"}, {"status": "completed"})
    )
    holding = [i for i, w in enumerate(writes) if b'"m1"' in w or b'"m2"' in w]
    assert len(holding) == 2, writes  # m1 went out while the agent waited, m2 after it


async def test_tiny_chunks_variant_still_writes_three_bytes_at_a_time() -> None:
    writes = await _writes(
        ({"burst": {"id": "b", "count": 20, "bytes": 16}},), variants=["tiny-chunks"]
    )
    assert max(map(len, writes)) == 3
    assert len(_events(writes)) == 1 + 20 + 1  # Task, chunks, completed
