"""Each fault switch produces its documented symptom (slow-consumer faults: test_refserver_slow)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import httpx
import pytest
from rs_wire import DEADLINE, Wire, script, text_message

import reference_server

Check = Callable[[Wire, reference_server.RunningServer], Awaitable[None]]
CHECKS: dict[str, tuple[str, Check]] = {}
SLOW = {"slow-consumer-blocks", "slow-consumer-drops", "unbounded-buffer",  # test_refserver_slow
        "freeze-after-burst"}  # test_refserver_freeze


def fault(name: str, dialect: str = "v1.0-jsonrpc") -> Callable[[Check], Check]:
    def register(fn: Check) -> Check:
        CHECKS[name] = (dialect, fn)
        return fn

    return register


DONE = (
    {"status": "working"},
    {"artifact": {"id": "a", "text": "x", "last": True}},
    {"status": "completed"},
)
WAIT = ({"status": "working"}, {"wait_cancel": 30})


@fault("final-before-artifact")
async def _(w: Wire, s: reference_server.RunningServer) -> None:
    res = await w.run(*DONE)
    assert (
        res.kinds() == ["task", "status", "status", "artifact"] and res.states()[-1] == "completed"
    )


@fault("no-close-after-terminal")
async def _(w: Wire, s: reference_server.RunningServer) -> None:
    async with w.open("stream", text=script(*DONE)) as st:
        await st.collect(limit=4)
        assert st.result.events[-1].terminal and not await st.closes_within(0.5)


@fault("rejected-not-final", "v0.3-jsonrpc")
async def _(w: Wire, s: reference_server.RunningServer) -> None:
    async with w.open("stream", text=script({"status": "rejected"})) as st:
        await st.collect(limit=2)
        assert st.result.events[-1].body["final"] is False and not await st.closes_within(0.5)


@fault("duplicate-final")
async def _(w: Wire, s: reference_server.RunningServer) -> None:
    assert (await w.run(*DONE)).states() == ["submitted", "working", "completed", "completed"]


@fault("state-regression")
async def _(w: Wire, s: reference_server.RunningServer) -> None:
    assert (await w.run(*DONE)).states() == ["submitted", "working", "submitted", "completed"]


@fault("no-task-first")
async def _(w: Wire, s: reference_server.RunningServer) -> None:
    assert (await w.run(*DONE)).kinds()[0] == "status"


@fault("final-flag-missing", "v0.3-jsonrpc")
async def _(w: Wire, s: reference_server.RunningServer) -> None:
    res = await w.run(*DONE)
    assert res.events[-1].state == "completed" and res.events[-1].body["final"] is False


@fault("message-event-in-task")
async def _(w: Wire, s: reference_server.RunningServer) -> None:
    assert (await w.run({"message": "hi"}, {"status": "completed"})).kinds() == [
        "task",
        "message",
        "status",
    ]


@fault("batched-events")
async def _(w: Wire, s: reference_server.RunningServer) -> None:
    async with w.open("stream", text=script(*WAIT)) as st:
        first = asyncio.create_task(st.next())
        done, _ = await asyncio.wait({first}, timeout=0.5)
        assert not done  # clean: Task and working arrive at once
        await w.result("cancel", task_id=(await w.result("list", pageSize=1))["tasks"][0]["id"])
        await first
        res = await st.collect()
    assert res.states() == ["submitted", "working", "canceled"]


@fault("mismatched-ids")
async def _(w: Wire, s: reference_server.RunningServer) -> None:
    res = await w.run(*DONE)
    assert {e.body["contextId"] for e in res.events[1:]} == {""}


@fault("rpc-id-mismatch")
async def _(w: Wire, s: reference_server.RunningServer) -> None:
    assert all(e.payload["id"] != 1 for e in (await w.run(*DONE)).events)


@fault("wrong-content-type")
async def _(w: Wire, s: reference_server.RunningServer) -> None:
    body = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "SendStreamingMessage",
        "params": {"message": {"messageId": "m", "role": "ROLE_USER", "parts": [{"text": "hi"}]}},
    }
    async with w.client.stream(
        "POST", s.url + "/", json=body, headers=w.headers, timeout=DEADLINE
    ) as r:
        assert r.headers["content-type"] == "application/x-ndjson"
        assert (await r.aread()).startswith(b"data: {")


@fault("legacy-enums-1.0")
async def _(w: Wire, s: reference_server.RunningServer) -> None:
    w.validate = False
    res = await w.run(*DONE)
    assert (
        res.events[-1].body["status"]["state"] == "completed"
        and res.events[-1].body["kind"] == "status-update"
    )


@fault("timestamp-not-utc")
async def _(w: Wire, s: reference_server.RunningServer) -> None:
    w.validate = False
    assert (await w.run(*DONE)).events[-1].body["status"]["timestamp"].endswith("+02:00")


@fault("append-unannounced")
async def _(w: Wire, s: reference_server.RunningServer) -> None:
    res = await w.run(*DONE)
    assert [e.body["append"] for e in res.events if e.kind == "artifact"] == [True]


@fault("chunk-after-last")
async def _(w: Wire, s: reference_server.RunningServer) -> None:
    arts = [e.body for e in (await w.run(*DONE)).events if e.kind == "artifact"]
    assert arts[0]["lastChunk"] and len(arts) == 2 and arts[1]["append"]


@fault("artifact-mismatch")
async def _(w: Wire, s: reference_server.RunningServer) -> None:
    res = await w.run(
        {"artifact": {"id": "a", "text": "one "}},
        {"artifact": {"id": "a", "text": "two", "append": True, "last": True}},
    )
    got = await w.result("get", task_id=res.events[0].body["id"])
    assert got["artifacts"][0]["parts"][0]["text"] == "two"


@fault("exception-hangs")
async def _(w: Wire, s: reference_server.RunningServer) -> None:
    async with w.open("stream", text=script({"status": "working"}, {"raise": "x"})) as st:
        await st.collect(limit=2)
        assert not await st.closes_within(0.5)


@fault("exception-empty-200")
async def _(w: Wire, s: reference_server.RunningServer) -> None:
    res = await w.run({"raise": "x"})
    assert res.status_code == 200 and res.events == [] and res.closed
    got = await w.result("list", pageSize=1)
    assert got["tasks"][0]["status"]["state"] == "TASK_STATE_WORKING"


async def _cancel_mid_stream(w: Wire) -> tuple[list[str | None], dict]:  # type: ignore[type-arg]
    async with w.open("stream", text=script(*WAIT)) as st:
        task = (await st.next()).body  # type: ignore[union-attr]
        await st.next()
        canceled = await w.result("cancel", task_id=task["id"])
        return (await st.collect()).states(), canceled


@fault("cancel-not-delivered")
async def _(w: Wire, s: reference_server.RunningServer) -> None:
    states, canceled = await _cancel_mid_stream(w)
    assert (
        states == ["submitted", "working"] and canceled["status"]["state"] == "TASK_STATE_CANCELED"
    )


@fault("cancel-not-persisted")
async def _(w: Wire, s: reference_server.RunningServer) -> None:
    states, canceled = await _cancel_mid_stream(w)
    assert states == ["submitted", "working", "canceled"]  # the stream is told
    assert canceled["status"]["state"] == "TASK_STATE_CANCELED"  # so is the caller
    got = await w.result("get", task_id=canceled["id"])
    assert got["status"]["state"] == "TASK_STATE_WORKING"  # the store is not
    res = await w.run({"status": "working"}, {"status": "canceled"})  # a scripted end is
    got = await w.result("get", task_id=res.events[0].body["id"])
    assert got["status"]["state"] == "TASK_STATE_CANCELED"


@fault("load-drops-events")
async def _(w: Wire, s: reference_server.RunningServer) -> None:
    count = 100  # 6 streams x 68 events past the 32nd: several of every 97th are lost
    steps = (
        {"sleep": 0.3},
        {"burst": {"id": "b", "count": count, "bytes": 8}},
        {"status": "completed"},
    )
    alone = await w.run(*steps)
    assert alone.kinds().count("artifact") == count  # one stream at a time loses nothing
    crowd = await asyncio.gather(*(w.run(*steps) for _ in range(6)))
    assert all(res.closed for res in crowd)
    got = sum(res.kinds().count("artifact") + res.states().count("completed") for res in crowd)
    assert got < 6 * (count + 1)


@fault("cancel-slow")
async def _(w: Wire, s: reference_server.RunningServer) -> None:
    task = await w.result("send", text=script({"wait_cancel": 0.3}), blocking=False)
    got = await w.result("cancel", task_id=task["id"])
    assert got["status"]["state"] == "TASK_STATE_COMPLETED"  # it ran to its end first


@fault("cancel-terminal-accepted")
async def _(w: Wire, s: reference_server.RunningServer) -> None:
    task = await w.result("send", text=script({"status": "completed"}))
    assert (await w.result("cancel", task_id=task["id"]))["status"][
        "state"
    ] == "TASK_STATE_COMPLETED"


@fault("disconnect-cancels")
async def _(w: Wire, s: reference_server.RunningServer) -> None:
    async with w.open("stream", text=script(*WAIT)) as st:
        task = (await st.next()).body  # type: ignore[union-attr]
        await st.response.aclose()
    await w.wait_state(task["id"], "TASK_STATE_CANCELED")


@fault("subscribers-interfere")
async def _(w: Wire, s: reference_server.RunningServer) -> None:
    async with w.open("stream", text=script(*WAIT)) as st:
        task = (await st.next()).body  # type: ignore[union-attr]
        await st.next()
        async with w.open("resubscribe", task_id=task["id"]) as other:
            await other.next()
        res = await st.collect()  # closed although the task still runs
        assert res.closed and res.states() == ["submitted", "working"]
        await w.result("cancel", task_id=task["id"])


@fault("reattach-no-snapshot")
async def _(w: Wire, s: reference_server.RunningServer) -> None:
    task = await w.result(
        "send", text=script({"wait_cancel": 10}, {"status": "completed"}), blocking=False
    )
    async with w.open("resubscribe", task_id=task["id"]) as r:  # the task is surely running
        await w.result("cancel", task_id=task["id"])
        res = await r.collect()
    assert res.kinds() == ["status"] and res.states() == ["canceled"]
    parked = await w.run({"status": "input-required"})
    res = await w.collect("resubscribe", task_id=parked.events[0].body["id"])
    assert res.status_code == 200 and res.events == [] and res.closed  # no input-required Task


@fault("reattach-race")
async def _(w: Wire, s: reference_server.RunningServer) -> None:
    """The task must end inside the server's 50 ms window, which depends on when the re-attach
    arrives (milliseconds when idle, far more on a loaded CI machine): the agent's sleep is
    searched for until it lands there. Too late, the re-attach finds a terminal task (-32004);
    too early, the subscriber gets the terminal status and closes; inside, it hangs."""
    sleep = 0.01
    for _attempt in range(16):
        task = await w.result(
            "send", text=script({"sleep": sleep}, {"status": "completed"}), blocking=False
        )
        async with w.open("resubscribe", task_id=task["id"]) as r:
            if not r.result.content_type.startswith("text/event-stream"):
                sleep *= 2  # the task ended before the re-attach arrived
                continue
            snap = await r.next()
            assert snap is not None and snap.state in ("submitted", "working")
            if not await r.closes_within(0.5):
                return  # the task ended in the window: the subscriber hangs
            sleep *= 0.6  # it ended after the subscription: a correct re-attach
    pytest.fail("the re-attach never landed in the race window")


@fault("reattach-terminal-wrong-code")
async def _(w: Wire, s: reference_server.RunningServer) -> None:
    task = await w.result("send", text=script({"status": "completed"}))
    r = await w.client.post(
        s.url + "/",
        json={"jsonrpc": "2.0", "id": 9, "method": "SubscribeToTask", "params": {"id": task["id"]}},
        headers=w.headers,
    )
    assert r.json()["error"]["code"] == -32001


@fault("wrong-error-code-unknown-task")
async def _(w: Wire, s: reference_server.RunningServer) -> None:
    assert (await w.error("get", task_id="nope"))[1] == -32603
    r = await w.client.get(s.url + "/tasks/nope", headers=w.headers)
    assert r.status_code == 500


@fault("generic-error-codes")
async def _(w: Wire, s: reference_server.RunningServer) -> None:
    for body in (
        b"{oops",
        b"[]",
        b'{"jsonrpc":"2.0","id":1,"method":"Nope"}',
        b'{"jsonrpc":"2.0","id":1,"method":"GetTask","params":{"id":5}}',
    ):
        r = await w.client.post(s.url + "/", content=body, headers=w.headers)
        assert r.json()["error"]["code"] == -32603


@fault("errors-as-500")
async def _(w: Wire, s: reference_server.RunningServer) -> None:
    for r in (
        await w.client.post(s.url + "/", content=b"{oops"),
        await w.client.get(s.url + "/tasks/nope", headers=w.headers),
    ):
        assert r.status_code == 500 and r.headers["content-type"].startswith("text/plain")


@fault("version-not-checked")
async def _(w: Wire, s: reference_server.RunningServer) -> None:
    body = {"jsonrpc": "2.0", "id": 1, "method": "GetTask", "params": {"id": "nope"}}
    r = await w.client.post(s.url + "/", json=body, headers={"A2A-Version": "7.0"})
    assert r.json()["error"]["code"] == -32001  # served as 1.0, not -32009


@fault("streaming-capability-ignored")
async def _(w: Wire, s: reference_server.RunningServer) -> None:
    card = (await w.client.get(s.url + "/.well-known/agent-card.json")).json()
    assert card["capabilities"]["streaming"] is False
    assert (await w.run(*DONE)).states()[-1] == "completed"


@fault("reply-stream-open")
async def _(w: Wire, s: reference_server.RunningServer) -> None:
    async with w.open("stream", text=script({"reply": "hi"})) as st:
        await st.collect(limit=1)
        assert st.result.kinds() == ["message"] and not await st.closes_within(0.5)


@fault("store-lags-stream")
async def _(w: Wire, s: reference_server.RunningServer) -> None:
    res = await w.run({"status": "working"}, {"status": "failed"})
    assert res.closed and res.states()[-1] == "failed"
    got = await w.result("get", task_id=res.events[0].body["id"])
    assert got["status"]["state"] == "TASK_STATE_WORKING"
    done = await w.run(*DONE)  # a completed task is stored as it should be
    got = await w.result("get", task_id=done.events[0].body["id"])
    assert got["status"]["state"] == "TASK_STATE_COMPLETED"


@fault("card-legacy-path")
async def _(w: Wire, s: reference_server.RunningServer) -> None:
    assert (await w.client.get(s.url + "/.well-known/agent-card.json")).status_code == 404
    legacy = await w.client.get(s.url + "/.well-known/agent.json")
    assert legacy.status_code == 200 and legacy.json()["name"] == "pytest-a2a reference server"


@fault("card-incomplete")
async def _(w: Wire, s: reference_server.RunningServer) -> None:
    card = (await w.client.get(s.url + "/.well-known/agent-card.json")).json()
    missing = {"description", "defaultInputModes", "defaultOutputModes"}
    assert not missing & set(card) and card["supportedInterfaces"] and card["skills"]


@fault("interface-dialect-mismatch")
async def _(w: Wire, s: reference_server.RunningServer) -> None:
    card = (await w.client.get(s.url + "/.well-known/agent-card.json")).json()
    first, *_, extra = card["supportedInterfaces"]
    assert first["url"] == s.url + "/"  # the good interface is still the preferred one
    assert extra == {"url": s.url + "/v03", "protocolBinding": "JSONRPC", "protocolVersion": "1.0"}
    message = {"message": text_message("v1.0-jsonrpc", "hi")}
    body = {"jsonrpc": "2.0", "id": 1, "method": "SendMessage", "params": message}
    r = await w.client.post(extra["url"], json=body, headers={"A2A-Version": "1.0"})
    assert r.json()["error"]["code"] == -32601  # served as 0.3 despite A2A-Version: 1.0
    message = {"message": text_message("v0.3-jsonrpc", "hi")}
    body = {"jsonrpc": "2.0", "id": 2, "method": "message/send", "params": message}
    r = await w.client.post(extra["url"], json=body, headers={"A2A-Version": "1.0"})
    assert r.json()["result"]["kind"] == "task"  # it does speak 0.3
    r = await w.client.post(s.url + "/", json=body)  # and the root is untouched
    assert r.json()["result"]["kind"] == "task"


@fault("followup-no-task-first")
async def _(w: Wire, s: reference_server.RunningServer) -> None:
    first = await w.run({"status": "input-required"})
    task = first.events[0].body
    assert first.kinds()[0] == "task"  # a new task's stream is fine
    res = await w.run(
        {"artifact": {"id": "b", "text": "y"}},
        {"status": "completed"},
        task_id=task["id"],
        context_id=task["contextId"],
    )
    assert res.kinds() == ["artifact", "status"] and res.states() == ["completed"]


@fault("interrupted-final-false", "v0.3-jsonrpc")
async def _(w: Wire, s: reference_server.RunningServer) -> None:
    for state in ("input-required", "auth-required"):
        res = await w.run({"status": state})
        last = res.events[-1]
        assert res.closed and last.state == state and last.body["final"] is False
    done = await w.run(*DONE)
    assert done.events[-1].body["final"] is True  # terminal statuses are unaffected


def test_every_fault_has_a_symptom_check() -> None:
    assert set(CHECKS) | SLOW == set(reference_server.FAULTS)


@pytest.mark.asyncio
@pytest.mark.parametrize("name", sorted(CHECKS))
async def test_fault_symptom(
    name: str, make_server: Callable[..., reference_server.RunningServer], http: httpx.AsyncClient
) -> None:
    dialect, check = CHECKS[name]
    server = make_server(faults=[name])
    await check(Wire(server.url, dialect, http), server)
