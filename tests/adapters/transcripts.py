"""Regenerate ``fixtures/transcripts/<impl>-<name>.txt``: raw reproductions of each deviation.

Run: ``PYTHONPATH=. .venv/bin/python -m tests.adapters.transcripts`` (starts both adapter
servers as subprocesses, like the tests). Each file holds the exact request(s), the response
status and headers, and the body bytes with arrival times, so a maintainer can replay it
with curl. Every read is bounded.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable, Coroutine
from contextlib import ExitStack, contextmanager
from typing import Any

import httpx

from pytest_a2a import script

from ._wire import record
from .conftest import ROOT, Server, start_server

boot = contextmanager(start_server)
OUT = ROOT / "fixtures" / "transcripts"
V10 = {"A2A-Version": "1.0"}
WAIT = 6.0


def rpc(method: str, params: dict[str, Any], rpc_id: int = 1) -> bytes:
    return json.dumps({"jsonrpc": "2.0", "id": rpc_id, "method": method, "params": params}).encode()


def msg(text: str, v03: bool = False, ids: dict[str, str] | None = None) -> dict[str, Any]:
    m: dict[str, Any] = {"messageId": f"m-{abs(hash(text)) % 10**6}", "parts": [{"text": text}]}
    if v03:
        m.update(role="user", kind="message", parts=[{"kind": "text", "text": text}])
    else:
        m["role"] = "ROLE_USER"
    return {"message": {**m, **(ids or {})}}


def task_id_of(transcript: str) -> str:
    found = re.search(r'\\"(?:id|taskId)\\": ?\\"([0-9a-f-]{36})\\"', transcript) or re.search(
        r'"(?:id|taskId)": ?"([0-9a-f-]{36})"', transcript
    )
    assert found, transcript[:2000]
    return found.group(1)


class Recorder:
    def __init__(self, client: httpx.AsyncClient, url: str) -> None:
        self.client, self.url = client, url

    async def post(
        self,
        title: str,
        body: bytes,
        headers: dict[str, str] | None = None,
        path: str = "/",
        **kw: Any,
    ) -> str:
        return await record(
            self.client,
            "POST",
            self.url + path,
            body=body,
            headers=headers or {},
            wait=WAIT,
            title=title,
            **kw,
        )

    async def get(self, title: str, path: str, headers: dict[str, str] | None = None) -> str:
        return await record(
            self.client,
            "GET",
            self.url + path,
            body=b"",
            headers=headers or {},
            wait=WAIT,
            title=title,
        )


def write(name: str, summary: str, *parts: str) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / f"{name}.txt").write_text(summary.strip() + "\n\n" + "\n".join(parts))
    print("wrote", OUT / f"{name}.txt")


async def concurrently(
    first: Callable[[Callable[[bytes], None]], Coroutine[Any, Any, str]],
    then: Callable[[str], Coroutine[Any, Any, str]],
) -> tuple[str, str]:
    """Run ``first`` (a recording stream); once its first task id arrives, run ``then(id)``."""
    got: asyncio.Future[str] = asyncio.get_running_loop().create_future()
    seen = b""

    def on_chunk(chunk: bytes) -> None:
        nonlocal seen
        seen += chunk
        if not got.done() and (b"TASK_STATE_WORKING" in seen or b'"working"' in seen):
            got.set_result(task_id_of(seen.decode()))

    stream = asyncio.create_task(first(on_chunk))
    tid = await asyncio.wait_for(got, WAIT)
    second = await asyncio.wait_for(then(tid), 2 * WAIT)
    return await asyncio.wait_for(stream, 2 * WAIT), second


async def sdk(r: Recorder) -> None:
    boom = script.build([{"status": "working"}, {"raise": "boom"}])
    write(
        "a2a-sdk-raise-error-event",
        "a2a-sdk 1.3.0: an exception in AgentExecutor.execute ends the stream with an in-stream\n"
        "error event (`event: error`, JSON-RPC -32603 carrying the exception text; on REST a\n"
        "google.rpc.Status 500 'unknown exception', which is not a StreamResponse) and no\n"
        "FAILED status update; GetTask then says TASK_STATE_FAILED. Clients waiting for a\n"
        "terminal status never see one (R5; R20 is silent on in-stream errors).",
        await r.post("1.0 JSON-RPC", rpc("SendStreamingMessage", msg(boom)), V10),
        await r.post("1.0 HTTP+JSON", json.dumps(msg(boom)).encode(), V10, path="/message:stream"),
        await r.post("0.3 JSON-RPC", rpc("message/stream", msg(boom, v03=True))),
    )
    first = await r.post(
        "first message: ends input-required",
        rpc("SendStreamingMessage", msg(script.build([{"status": "input-required"}]))),
        V10,
    )
    tid = task_id_of(first)
    ctx = re.search(
        r'\\"contextId\\": ?\\"([0-9a-f-]{36})\\"|"contextId": ?"([0-9a-f-]{36})"', first
    )
    assert ctx
    ids: dict[str, str] = {"taskId": tid, "contextId": ctx.group(1) or ctx.group(2)}
    write(
        "a2a-sdk-followup-no-task-first",
        "a2a-sdk 1.3.0: the stream of a follow-up message to an existing (input-required) task\n"
        "starts with an artifact/status update, not with the Task (S10 §3.1.2 / R5: a task\n"
        "stream starts with a Task). Same on HTTP+JSON and in the 0.3 compat layer.",
        first,
        await r.post(
            "follow-up in the same task",
            rpc(
                "SendStreamingMessage",
                msg(
                    script.build([{"artifact": {"id": "b", "text": "y"}}, {"status": "completed"}]),
                    ids=ids,
                ),
            ),
            V10,
        ),
    )
    write(
        "a2a-sdk-v03-interrupted-final-false",
        "a2a-sdk 1.3.0 (v0.3 compat): the stream closes after auth-required and after\n"
        "input-required, but that last status update says `final: false` (R8: the last status\n"
        "update of the interaction carries final: true; the guide sends it on input-required).",
        await r.post(
            "auth-required",
            rpc("message/stream", msg(script.build([{"status": "auth-required"}]), v03=True)),
        ),
        await r.post(
            "input-required",
            rpc("message/stream", msg(script.build([{"status": "input-required"}]), v03=True)),
        ),
    )
    write(
        "a2a-sdk-v03-reattach-errors-as-sse",
        "a2a-sdk 1.3.0 (v0.3 compat): tasks/resubscribe errors (unknown task -32001, terminal\n"
        "task -32004) come as HTTP 200 text/event-stream with one error event (the bug #4\n"
        "shape; R20 silent). The 1.0 bindings answer the same errors as plain JSON.",
        await r.post(
            "0.3 resubscribe unknown task", rpc("tasks/resubscribe", {"id": "no-such-task"})
        ),
        await r.post(
            "1.0 SubscribeToTask unknown task (for comparison)",
            rpc("SubscribeToTask", {"id": "no-such-task"}),
            V10,
        ),
    )


async def fasta2a(r: Recorder) -> None:
    done = script.build([{"status": "completed"}])
    write(
        "fasta2a-naive-timestamps",
        "fasta2a 2.1.1: status timestamps are naive local time (`datetime.now().isoformat()`,\n"
        "no `Z`, no offset), e.g. in the first Task of every stream (R23: UTC with Z).",
        await r.post("SendStreamingMessage", rpc("SendStreamingMessage", msg(done)), V10),
    )
    wait = script.build([{"status": "working"}, {"wait_cancel": 3}, {"status": "completed"}])
    stream, cancel = await concurrently(
        lambda cb: r.post(
            "stream with wait_cancel 3", rpc("SendStreamingMessage", msg(wait)), V10, on_chunk=cb
        ),
        lambda tid: r.post(
            "CancelTask sent right after the working status", rpc("CancelTask", {"id": tid}, 2), V10
        ),
    )
    write(
        "fasta2a-cancel-blocked",
        "fasta2a 2.1.1: CancelTask on a running task is answered only when the task's run\n"
        "returns (~3 s here: InMemoryBroker's operation stream is unbuffered and the Worker\n"
        "handles one operation at a time), with the task COMPLETED; the stream never gets a\n"
        "CANCELED status (R17; bugs #10/#11 shape).",
        stream,
        cancel,
    )
    first = await r.post("a completed task", rpc("SendStreamingMessage", msg(done)), V10)
    tid = task_id_of(first)
    write(
        "fasta2a-cancel-terminal-accepted",
        "fasta2a 2.1.1: CancelTask on a completed task returns the Task (state COMPLETED)\n"
        "instead of -32002 TaskNotCancelable (R17).",
        first,
        await r.post("CancelTask on it", rpc("CancelTask", {"id": tid}, 2), V10),
    )
    write(
        "fasta2a-reattach-terminal-task",
        "fasta2a 2.1.1: SubscribeToTask on a terminal task streams the Task snapshot and closes\n"
        "instead of answering -32004 UnsupportedOperation (R10, 1.0).",
        first,
        await r.post("SubscribeToTask on it", rpc("SubscribeToTask", {"id": tid}, 3), V10),
    )
    write(
        "fasta2a-reattach-unknown-sse-error",
        "fasta2a 2.1.1: SubscribeToTask on an unknown id answers HTTP 200 text/event-stream with\n"
        "one -32001 error event (bug #4 shape; R20 silent on the form).",
        await r.post(
            "SubscribeToTask unknown", rpc("SubscribeToTask", {"id": "no-such-task"}), V10
        ),
    )
    first = await r.post(
        "first message: ends input-required",
        rpc("SendStreamingMessage", msg(script.build([{"status": "input-required"}]))),
        V10,
    )
    ids = {"taskId": task_id_of(first)}
    write(
        "fasta2a-followup-new-task",
        "fasta2a 2.1.1: a message naming an existing taskId (an input-required task) starts a\n"
        "NEW task; the taskId is ignored (TaskManager.stream_message always submit_task()s).\n"
        "Multi-turn tasks cannot be continued.",
        first,
        await r.post(
            "follow-up naming the task", rpc("SendStreamingMessage", msg(done, ids=ids), 2), V10
        ),
    )
    write(
        "fasta2a-errors-as-500",
        "fasta2a 2.1.1: malformed JSON, an unknown method and invalid params are all answered\n"
        "HTTP 500 text/plain 'Internal Server Error' instead of JSON-RPC\n"
        "-32700/-32601/-32602 (R19).",
        await r.post("malformed JSON", b"{bad", V10),
        await r.post("unknown method", rpc("Nope", {}), V10),
        await r.post("invalid params", rpc("SendStreamingMessage", {"message": 42}), V10),
    )
    write(
        "fasta2a-version-not-checked",
        "fasta2a 2.1.1: the A2A-Version header is not read: 9.9 is served as 1.0 (R22: -32009).",
        await r.post(
            "GetTask with A2A-Version: 9.9", rpc("GetTask", {"id": "x"}), {"A2A-Version": "9.9"}
        ),
    )
    slow = script.build([{"status": "working"}, {"sleep": 2}])
    a, b = await concurrently(
        lambda cb: r.post(
            "task A: working, sleep 2", rpc("SendStreamingMessage", msg(slow)), V10, on_chunk=cb
        ),
        lambda _tid: r.post(
            "task B, sent once A is working", rpc("SendStreamingMessage", msg(done), 2), V10
        ),
    )
    write(
        "fasta2a-tasks-serialized",
        "fasta2a 2.1.1 (InMemoryBroker + Worker): tasks run one at a time. Task B's stream\n"
        "gets its first byte only when task A's run returns (~2 s); B's first Task is already\n"
        "COMPLETED. A slow agent or a slow SSE reader (unbuffered per-subscriber streams)\n"
        "stalls every other task (bug #21 family).",
        a,
        b,
    )
    write(
        "fasta2a-v03-names-1.0-shapes",
        "fasta2a 2.1.1 (not declared on the card, recorded for the lead): 0.3 method names\n"
        '(`message/stream`) are answered with 1.0-shaped events (`{"task": ...}`,\n'
        "`statusUpdate`, no `kind`, no `final`) with lowercase states: neither dialect.",
        await r.post("message/stream", rpc("message/stream", msg(done, v03=True))),
    )


async def main() -> None:
    with ExitStack() as stack:
        servers: dict[str, Server] = {
            "a2a-sdk": stack.enter_context(boot("a2a-sdk", "pytest_a2a.adapters.a2a_sdk")),
            "fasta2a": stack.enter_context(boot("fasta2a", "pytest_a2a.adapters.fasta2a")),
        }
        async with httpx.AsyncClient(timeout=httpx.Timeout(WAIT * 2)) as client:
            await sdk(Recorder(client, servers["a2a-sdk"].url))
            await fasta2a(Recorder(client, servers["fasta2a"].url))


if __name__ == "__main__":
    asyncio.run(main())
