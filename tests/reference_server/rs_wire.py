"""An independent client for testing the reference server: httpx + httpx-sse + the shared
schemas as the oracle. Deliberately shares nothing with ``pytest_a2a``'s wire code."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import jsonschema
from httpx_sse import aconnect_sse

SPEC = Path("/work/shared/spec")
DIALECTS = ("v0.3-jsonrpc", "v1.0-jsonrpc", "v1.0-rest")
V10 = ("v1.0-jsonrpc", "v1.0-rest")
DEADLINE = 10.0  # every await in these tests is bounded by this

STATES_10 = {
    "TASK_STATE_SUBMITTED": "submitted",
    "TASK_STATE_WORKING": "working",
    "TASK_STATE_INPUT_REQUIRED": "input-required",
    "TASK_STATE_AUTH_REQUIRED": "auth-required",
    "TASK_STATE_COMPLETED": "completed",
    "TASK_STATE_FAILED": "failed",
    "TASK_STATE_CANCELED": "canceled",
    "TASK_STATE_REJECTED": "rejected",
}
TERMINAL = {"completed", "failed", "canceled", "rejected"}


@cache
def _schema(name: str) -> dict[str, Any]:
    return json.loads((SPEC / name).read_text())


@cache
def validator(dialect_or_doc: str, definition: str, *, lax: bool = False) -> jsonschema.Validator:
    """The oracle validator for one definition of the 0.3 or 1.0 (derived) schema."""
    if dialect_or_doc.startswith("v0.3"):
        doc = _schema("a2a-v0.3.0.schema.json")
        root = {"$ref": f"#/definitions/{definition}", "definitions": doc["definitions"]}
        return jsonschema.Draft7Validator(root)
    doc = _schema(f"a2a-v1.0-derived.{'lax' if lax else 'strict'}.schema.json")
    root = {"$ref": f"#/$defs/{definition}", "$defs": doc["$defs"]}
    return jsonschema.Draft202012Validator(root)


def schema_errors(dialect: str, payload: Any, *, lax: bool = False) -> list[str]:
    """Errors of one stream event payload against the oracle (empty = valid)."""
    if dialect == "v0.3-jsonrpc":
        v = validator(dialect, "SendStreamingMessageResponse")
    elif dialect == "v1.0-jsonrpc":
        v = validator(dialect, "JsonRpcStreamEvent", lax=lax)
    else:
        v = validator(dialect, "StreamResponse", lax=lax)
    return [f"{e.json_path}: {e.message}" for e in v.iter_errors(payload)]


UNARY_03 = {"send": "SendMessageResponse", "get": "GetTaskResponse", "cancel": "CancelTaskResponse"}
UNARY_10 = {
    "send": "SendMessageResponse",
    "get": "Task",
    "cancel": "Task",
    "list": "ListTasksResponse",
}


def unary_errors(dialect: str, op: str, body: Any) -> list[str]:
    """Oracle errors of a unary answer (success or error form)."""
    if dialect == "v0.3-jsonrpc":
        v = validator(dialect, UNARY_03[op])
    elif "error" in body:
        v = validator(
            dialect, "RestErrorResponse" if dialect == "v1.0-rest" else "JsonRpcErrorResponse"
        )
    elif dialect == "v1.0-rest":
        v = validator(dialect, UNARY_10[op])
    else:
        if set(body) != {"jsonrpc", "id", "result"}:
            return [f"not a JSON-RPC success envelope: {sorted(body)}"]
        return unary_errors("v1.0-rest", op, body["result"])
    return [f"{e.json_path}: {e.message}" for e in v.iter_errors(body)]


def text_message(
    dialect: str, text: str, task_id: str | None = None, context_id: str | None = None
) -> dict[str, Any]:
    if dialect == "v0.3-jsonrpc":
        msg: dict[str, Any] = {
            "kind": "message",
            "messageId": str(uuid.uuid4()),
            "role": "user",
            "parts": [{"kind": "text", "text": text}],
        }
    else:
        msg = {"messageId": str(uuid.uuid4()), "role": "ROLE_USER", "parts": [{"text": text}]}
    if task_id:
        msg["taskId"] = task_id
    if context_id:
        msg["contextId"] = context_id
    return msg


def script(*steps: dict[str, Any]) -> str:
    return "a2a-conformance/1\n" + json.dumps({"steps": list(steps)})


@dataclass
class Ev:
    """One received stream event, normalized enough for assertions."""

    payload: dict[str, Any]  # the whole SSE data (JSON-RPC envelope or bare StreamResponse)
    body: dict[str, Any]  # the event object (Task, status update, ...) or the error
    kind: str  # task | status | artifact | message | error

    @property
    def state(self) -> str | None:
        if self.kind == "task" or self.kind == "status":
            raw = self.body["status"]["state"]
            return STATES_10.get(raw, raw)
        return None

    @property
    def terminal(self) -> bool:
        return self.state in TERMINAL


def normalize(dialect: str, payload: dict[str, Any]) -> Ev:
    if dialect != "v1.0-rest":
        if "error" in payload:
            return Ev(payload, payload["error"], "error")
        result = payload["result"]
    else:
        if "error" in payload:
            return Ev(payload, payload["error"], "error")
        result = payload
    if dialect == "v0.3-jsonrpc":
        kinds = {
            "task": "task",
            "status-update": "status",
            "artifact-update": "artifact",
            "message": "message",
        }
        return Ev(payload, result, kinds[result["kind"]])
    (key,) = [k for k in ("task", "statusUpdate", "artifactUpdate", "message") if k in result]
    kinds10 = {
        "task": "task",
        "statusUpdate": "status",
        "artifactUpdate": "artifact",
        "message": "message",
    }
    return Ev(payload, result[key], kinds10[key])


@dataclass
class StreamResult:
    status_code: int
    content_type: str
    events: list[Ev] = field(default_factory=list)
    closed: bool = False  # the server ended the response (vs. we stopped reading)
    json_body: Any = None  # a plain JSON answer instead of SSE

    def states(self) -> list[str | None]:
        return [e.state for e in self.events if e.kind in ("task", "status")]

    def kinds(self) -> list[str]:
        return [e.kind for e in self.events]


class Wire:
    """Speaks one dialect to a reference server (base URL without trailing slash)."""

    def __init__(
        self,
        base: str,
        dialect: str,
        client: httpx.AsyncClient,
        *,
        validate: bool = True,
        lax: bool = False,
    ) -> None:
        self.base, self.dialect, self.client = base, dialect, client
        self.validate, self.lax = validate, lax
        self._ids = 0

    @property
    def headers(self) -> dict[str, str]:
        return {} if self.dialect == "v0.3-jsonrpc" else {"A2A-Version": "1.0"}

    def _rpc(self, method03: str, method10: str, params: dict[str, Any]) -> dict[str, Any]:
        self._ids += 1
        method = method03 if self.dialect == "v0.3-jsonrpc" else method10
        return {"jsonrpc": "2.0", "id": self._ids, "method": method, "params": params}

    def _send_params(
        self, text: str, task_id: str | None, context_id: str | None, blocking: bool
    ) -> dict[str, Any]:
        params: dict[str, Any] = {"message": text_message(self.dialect, text, task_id, context_id)}
        if not blocking:
            params["configuration"] = (
                {"blocking": False}
                if self.dialect == "v0.3-jsonrpc"
                else {"returnImmediately": True}
            )
        return params

    # ---- unary -------------------------------------------------------------------

    async def call(self, op: str, **kw: Any) -> tuple[int, dict[str, Any]]:
        """(HTTP status, parsed JSON body) of a unary operation."""
        if self.dialect == "v1.0-rest":
            method, path, body, query = self._rest(op, **kw)
            r = await self.client.request(
                method,
                self.base + path,
                json=body,
                params=query,
                headers=self.headers,
                timeout=DEADLINE,
            )
        else:
            names = {
                "send": ("message/send", "SendMessage"),
                "get": ("tasks/get", "GetTask"),
                "cancel": ("tasks/cancel", "CancelTask"),
                "list": ("", "ListTasks"),
            }
            params = self._params(op, **kw)
            r = await self.client.post(
                self.base + "/",
                json=self._rpc(*names[op], params),
                headers=self.headers,
                timeout=DEADLINE,
            )
        assert r.headers["content-type"].startswith("application/json"), r.text
        body = r.json()
        if self.validate:
            errors = unary_errors(self.dialect, op, body)
            assert not errors, f"{self.dialect} {op} answer invalid: {errors[:3]}\n{r.text[:500]}"
        return r.status_code, body

    def _params(self, op: str, **kw: Any) -> dict[str, Any]:
        if op == "send":
            return self._send_params(
                kw["text"], kw.get("task_id"), kw.get("context_id"), kw.get("blocking", True)
            )
        if op in ("get", "cancel"):
            params = {"id": kw["task_id"]}
            if kw.get("history_length") is not None:
                params["historyLength"] = kw["history_length"]
            return params
        return dict(kw)

    def _rest(self, op: str, **kw: Any) -> tuple[str, str, Any, dict[str, Any] | None]:
        if op == "send":
            return (
                "POST",
                "/message:send",
                self._send_params(
                    kw["text"], kw.get("task_id"), kw.get("context_id"), kw.get("blocking", True)
                ),
                None,
            )
        if op == "get":
            q = (
                {"historyLength": kw["history_length"]}
                if kw.get("history_length") is not None
                else None
            )
            return "GET", f"/tasks/{kw['task_id']}", None, q
        if op == "cancel":
            return "POST", f"/tasks/{kw['task_id']}:cancel", None, None
        return "GET", "/tasks", None, kw

    async def result(self, op: str, **kw: Any) -> dict[str, Any]:
        """The successful result of a unary call (the Task for get/cancel, unwrapped)."""
        status, body = await self.call(op, **kw)
        assert status == 200 and "error" not in body, body
        res = body if self.dialect == "v1.0-rest" else body["result"]
        if op == "send" and self.dialect != "v0.3-jsonrpc":
            return res.get("task") or res["message"]
        return res

    async def wait_state(self, task_id: str, state: str) -> None:
        """Poll GetTask until the stored task is in ``state`` (remote state: nothing to await),
        within ``DEADLINE``."""
        async with asyncio.timeout(DEADLINE):
            while (await self.result("get", task_id=task_id))["status"]["state"] != state:  # noqa: ASYNC110 (remote state)
                await asyncio.sleep(0.01)

    async def error(self, op: str, **kw: Any) -> tuple[int, int]:
        """(HTTP status, JSON-RPC code or REST http code) of a failing unary call."""
        status, body = await self.call(op, **kw)
        assert "error" in body, body
        return status, body["error"]["code"]

    # ---- streams -----------------------------------------------------------------

    def _stream_request(self, op: str, **kw: Any) -> tuple[str, str, Any]:
        if self.dialect == "v1.0-rest":
            if op == "stream":
                return (
                    "POST",
                    self.base + "/message:stream",
                    self._send_params(kw["text"], kw.get("task_id"), kw.get("context_id"), True),
                )
            return "GET", f"{self.base}/tasks/{kw['task_id']}:subscribe", None
        if op == "stream":
            body = self._rpc(
                "message/stream",
                "SendStreamingMessage",
                self._send_params(kw["text"], kw.get("task_id"), kw.get("context_id"), True),
            )
        else:
            body = self._rpc("tasks/resubscribe", "SubscribeToTask", {"id": kw["task_id"]})
        return "POST", self.base + "/", body

    @asynccontextmanager
    async def open(self, op: str, **kw: Any) -> AsyncIterator[Stream]:
        """An open stream (op: ``stream`` with text=..., or ``resubscribe`` with task_id=...)."""
        method, url, body = self._stream_request(op, **kw)
        async with asyncio.timeout(DEADLINE):
            async with aconnect_sse(
                self.client, method, url, json=body, headers=self.headers, timeout=DEADLINE
            ) as source:
                yield Stream(self, source)

    async def collect(
        self, op: str = "stream", *, limit: int | None = None, **kw: Any
    ) -> StreamResult:
        async with self.open(op, **kw) as s:
            return await s.collect(limit=limit)

    async def run(self, *steps: dict[str, Any], **kw: Any) -> StreamResult:
        return await self.collect("stream", text=script(*steps), **kw)


class Stream:
    def __init__(self, wire: Wire, source: Any) -> None:
        self.wire = wire
        self.source = source
        self.response: httpx.Response = source.response
        self._events = source.aiter_sse()
        self._pending: asyncio.Future[Any] | None = None
        self.result = StreamResult(
            self.response.status_code, self.response.headers.get("content-type", "")
        )
        if not self.result.content_type.startswith("text/event-stream"):
            self.result.json_body = None

    async def next(self, timeout: float = DEADLINE) -> Ev | None:  # noqa: ASYNC109 (a per-call deadline)
        """The next event, or None once the server closed the stream."""
        if self._pending is None:  # kept across timeouts: a timeout never loses the stream
            self._pending = asyncio.ensure_future(self._events.__anext__())
        done, _ = await asyncio.wait({self._pending}, timeout=timeout)
        if not done:
            raise TimeoutError(f"no event within {timeout} s")
        pending, self._pending = self._pending, None
        try:
            sse = pending.result()
        except StopAsyncIteration:
            self.result.closed = True
            return None
        payload = json.loads(sse.data)
        if self.wire.validate:
            errors = schema_errors(self.wire.dialect, payload, lax=self.wire.lax)
            assert not errors, f"{self.wire.dialect} event invalid: {errors[:3]}\n{sse.data[:500]}"
        ev = normalize(self.wire.dialect, payload)
        self.result.events.append(ev)
        return ev

    async def collect(self, *, limit: int | None = None) -> StreamResult:
        """Events until the server closes (or ``limit`` events were read)."""
        while limit is None or len(self.result.events) < limit:
            if await self.next() is None:
                break
        return self.result

    async def closes_within(self, seconds: float) -> bool:
        """True if the server ends the stream (no further event) within ``seconds``."""
        try:
            return await self.next(timeout=seconds) is None
        except TimeoutError:
            return False
