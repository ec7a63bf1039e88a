"""The fault switches about tasks show on the plain-text answer too, not only on scripts.

The black-box scenarios judge the plain-text answer, so each of them can be proven both ways
against the same switches as the scripted ones. ``NOT_ON_THE_ANSWER`` names every fault that
cannot show on it, and why; every other fault has a check here.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

import httpx
import pytest
from rs_wire import Wire

import reference_server
from reference_server import answer

SHORT = "Hello"  # ~60 ms, 3 chunks
MEDIUM = "Write a 100-word note"  # ~0.5 s, 13 chunks
LONG = "Write a 400-word story about rivers"  # ~2 s, 50 chunks

Check = Callable[[Wire, reference_server.RunningServer], Awaitable[None]]
CHECKS: dict[str, tuple[str, Check]] = {}

_SCRIPT_ONLY = "needs a script step the plain answer never takes"
_NO_TASK = "not about a task's events (test_refserver_faults covers it on any request)"
NOT_ON_THE_ANSWER: dict[str, str] = {
    "rejected-not-final": _SCRIPT_ONLY + " (rejected)",
    "interrupted-final-false": _SCRIPT_ONLY + " (input-required)",
    "followup-no-task-first": _SCRIPT_ONLY + " (input-required, then a follow-up)",
    "reply-stream-open": _SCRIPT_ONLY + " (reply)",
    "store-lags-stream": _SCRIPT_ONLY + " (a failed/canceled/rejected status step)",
    "message-event-in-task": _SCRIPT_ONLY + " (a progress message)",
    "exception-hangs": _SCRIPT_ONLY + " (raise)",
    "exception-empty-200": _SCRIPT_ONLY + " (raise)",
    "reattach-race": "a 50 ms window only a tuned script sleep can aim at",
    "slow-consumer-blocks": "the answer (a few kB) fits in the socket buffers: no reader "
    "ever falls behind the server's buffer (test_refserver_slow uses a 12 MiB burst)",
    "slow-consumer-drops": "same as slow-consumer-blocks",
    "unbounded-buffer": "same as slow-consumer-blocks",
    "freeze-after-burst": "same as slow-consumer-blocks",
    "rpc-id-mismatch": _NO_TASK,
    "wrong-content-type": _NO_TASK,
    "legacy-enums-1.0": _NO_TASK,
    "timestamp-not-utc": _NO_TASK,
    "wrong-error-code-unknown-task": _NO_TASK,
    "generic-error-codes": _NO_TASK,
    "errors-as-500": _NO_TASK,
    "version-not-checked": _NO_TASK,
    "streaming-capability-ignored": _NO_TASK,
    "card-legacy-path": _NO_TASK,
    "card-incomplete": _NO_TASK,
    "interface-dialect-mismatch": _NO_TASK,
}


def fault(name: str, dialect: str = "v1.0-jsonrpc") -> Callable[[Check], Check]:
    def register(fn: Check) -> Check:
        CHECKS[name] = (dialect, fn)
        return fn

    return register


def _arts(w_events: list) -> list[dict]:  # type: ignore[type-arg]
    return [e.body for e in w_events if e.kind == "artifact"]


async def _cancel_mid_answer(w: Wire) -> tuple[list[str | None], dict]:  # type: ignore[type-arg]
    """Cancel the long answer after its first chunk: (the stream's states, cancel's Task)."""
    async with w.open("stream", text=LONG) as st:
        task = (await st.next()).body  # type: ignore[union-attr]
        while (ev := await st.next()) is not None and ev.kind != "artifact":
            pass
        canceled = await w.result("cancel", task_id=task["id"])
        return (await st.collect()).states(), canceled


@fault("final-before-artifact")
async def _(w: Wire, s: reference_server.RunningServer) -> None:
    res = await w.collect(text=SHORT)
    assert res.kinds()[-2:] == ["status", "artifact"] and res.states()[-1] == "completed"


@fault("no-close-after-terminal")
async def _(w: Wire, s: reference_server.RunningServer) -> None:
    async with w.open("stream", text=SHORT) as st:
        while (ev := await st.next()) is not None and not ev.terminal:
            pass
        assert ev is not None and not await st.closes_within(0.5)


@fault("duplicate-final")
async def _(w: Wire, s: reference_server.RunningServer) -> None:
    assert (await w.collect(text=SHORT)).states()[-2:] == ["completed", "completed"]


@fault("state-regression")
async def _(w: Wire, s: reference_server.RunningServer) -> None:
    states = (await w.collect(text=SHORT)).states()
    assert states == ["submitted", "working", "submitted", "completed"]


@fault("no-task-first")
async def _(w: Wire, s: reference_server.RunningServer) -> None:
    assert (await w.collect(text=SHORT)).kinds()[0] == "status"


@fault("final-flag-missing", "v0.3-jsonrpc")
async def _(w: Wire, s: reference_server.RunningServer) -> None:
    last = (await w.collect(text=SHORT)).events[-1]
    assert last.state == "completed" and last.body["final"] is False


@fault("mismatched-ids")
async def _(w: Wire, s: reference_server.RunningServer) -> None:
    res = await w.collect(text=SHORT)
    assert {e.body["contextId"] for e in res.events[1:]} == {""}


@fault("append-unannounced")
async def _(w: Wire, s: reference_server.RunningServer) -> None:
    assert all(a.get("append") for a in _arts((await w.collect(text=SHORT)).events))


@fault("chunk-after-last")
async def _(w: Wire, s: reference_server.RunningServer) -> None:
    arts = _arts((await w.collect(text=SHORT)).events)
    assert arts[-2].get("lastChunk") and arts[-1]["append"] and not arts[-1].get("lastChunk")


@fault("artifact-mismatch")
async def _(w: Wire, s: reference_server.RunningServer) -> None:
    res = await w.collect(text=SHORT)
    got = await w.result("get", task_id=res.events[0].body["id"])
    assert got["artifacts"][0]["parts"][0]["text"] == answer.compose(SHORT).chunks[-1]


@fault("batched-events")
async def _(w: Wire, s: reference_server.RunningServer) -> None:
    start, arrivals = time.monotonic(), []
    async with w.open("stream", text=MEDIUM) as st:
        while await st.next() is not None:
            arrivals.append(time.monotonic())
    assert arrivals[0] - start >= 0.4  # nothing until the ~0.5 s answer was complete
    assert arrivals[-1] - arrivals[0] < 0.1  # then everything at once


@fault("disconnect-cancels")
async def _(w: Wire, s: reference_server.RunningServer) -> None:
    async with w.open("stream", text=LONG) as st:
        task = (await st.next()).body  # type: ignore[union-attr]
        await st.next()
        await st.response.aclose()
    await w.wait_state(task["id"], "TASK_STATE_CANCELED")


@fault("cancel-not-delivered")
async def _(w: Wire, s: reference_server.RunningServer) -> None:
    states, canceled = await _cancel_mid_answer(w)
    assert states[-1] == "working" and "canceled" not in states
    assert canceled["status"]["state"] == "TASK_STATE_CANCELED"


@fault("cancel-not-persisted")
async def _(w: Wire, s: reference_server.RunningServer) -> None:
    states, canceled = await _cancel_mid_answer(w)
    assert states[-1] == "canceled" and canceled["status"]["state"] == "TASK_STATE_CANCELED"
    got = await w.result("get", task_id=canceled["id"])
    assert got["status"]["state"] == "TASK_STATE_WORKING"


@fault("cancel-slow")
async def _(w: Wire, s: reference_server.RunningServer) -> None:
    task = await w.result("send", text=MEDIUM, blocking=False)
    got = await w.result("cancel", task_id=task["id"])
    assert got["status"]["state"] == "TASK_STATE_COMPLETED"  # the answer ran to its end first


@fault("cancel-terminal-accepted")
async def _(w: Wire, s: reference_server.RunningServer) -> None:
    task = await w.result("send", text=SHORT)
    got = await w.result("cancel", task_id=task["id"])
    assert got["status"]["state"] == "TASK_STATE_COMPLETED"


@fault("reattach-no-snapshot")
async def _(w: Wire, s: reference_server.RunningServer) -> None:
    task = await w.result("send", text=LONG, blocking=False)
    async with w.open("resubscribe", task_id=task["id"]) as r:
        first = await r.next()
        await w.result("cancel", task_id=task["id"])
        await r.collect()
    assert first is not None and first.kind != "task"


@fault("reattach-terminal-wrong-code")
async def _(w: Wire, s: reference_server.RunningServer) -> None:
    task = await w.result("send", text=SHORT)
    body = {"jsonrpc": "2.0", "id": 9, "method": "SubscribeToTask", "params": {"id": task["id"]}}
    r = await w.client.post(s.url + "/", json=body, headers=w.headers)
    assert r.json()["error"]["code"] == -32001


@fault("subscribers-interfere")
async def _(w: Wire, s: reference_server.RunningServer) -> None:
    async with w.open("stream", text=LONG) as st:
        task = (await st.next()).body  # type: ignore[union-attr]
        async with w.open("resubscribe", task_id=task["id"]) as other:
            await other.next()
        res = await st.collect()  # closed although the answer is still being written
        assert res.closed and not any(e.terminal for e in res.events)
        await w.result("cancel", task_id=task["id"])


@fault("load-drops-events")
async def _(w: Wire, s: reference_server.RunningServer) -> None:
    whole = answer.compose(LONG).text
    crowd = await asyncio.gather(*(w.collect(text=LONG) for _ in range(6)))
    assert all(res.closed for res in crowd)
    texts = ["".join(a["artifact"]["parts"][0]["text"] for a in _arts(r.events)) for r in crowd]
    assert any(t != whole for t in texts) or any(r.states()[-1] != "completed" for r in crowd)


def test_every_task_fault_is_checked_on_the_answer() -> None:
    assert set(CHECKS).isdisjoint(NOT_ON_THE_ANSWER)
    assert set(CHECKS) | set(NOT_ON_THE_ANSWER) == set(reference_server.FAULTS)


@pytest.mark.asyncio
@pytest.mark.parametrize("name", sorted(CHECKS))
async def test_fault_shows_on_the_answer(
    name: str, make_server: Callable[..., reference_server.RunningServer], http: httpx.AsyncClient
) -> None:
    dialect, check = CHECKS[name]
    server = make_server(faults=[name])
    await check(Wire(server.url, dialect, http), server)
