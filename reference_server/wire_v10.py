"""A2A v1.0 wire form (JSON-RPC results and HTTP+JSON bodies share it): encode and decode.

ProtoJSON conventions: camelCase, ``TASK_STATE_*``/``ROLE_*`` enums, no ``kind``, UTC ``Z``
timestamps. The faults ``legacy-enums-1.0``, ``mismatched-ids``, ``timestamp-not-utc`` and
``message-event-in-task`` change the encoding here and nowhere else.
"""

from __future__ import annotations

from typing import Any

from reference_server.errors import invalid_params
from reference_server.model import (
    ArtifactEvent,
    ArtifactView,
    Event,
    Msg,
    Part,
    StatusEvent,
    TaskEvent,
    TaskView,
    format_timestamp,
)
from reference_server.options import Options
from reference_server.requests import (
    ListQuery,
    SendRequest,
    as_object,
    decode_id,
    opt_str,
    required_str,
)

STATES = {
    "submitted": "TASK_STATE_SUBMITTED",
    "working": "TASK_STATE_WORKING",
    "input-required": "TASK_STATE_INPUT_REQUIRED",
    "auth-required": "TASK_STATE_AUTH_REQUIRED",
    "completed": "TASK_STATE_COMPLETED",
    "failed": "TASK_STATE_FAILED",
    "canceled": "TASK_STATE_CANCELED",
    "rejected": "TASK_STATE_REJECTED",
}
STATE_NAMES = {v: k for k, v in STATES.items()}
ROLES = {"user": "ROLE_USER", "agent": "ROLE_AGENT"}
ROLE_NAMES = {v: k for k, v in ROLES.items()}


class V10Encoder:
    """Encodes internal objects as v1.0 JSON (dicts), honouring this server's faults."""

    def __init__(self, options: Options) -> None:
        self.legacy = options.fault("legacy-enums-1.0")
        self.empty_context = options.fault("mismatched-ids")
        self.not_utc = options.fault("timestamp-not-utc")
        self.message_events = options.fault("message-event-in-task")

    def _kind(self, obj: dict[str, Any], kind: str) -> dict[str, Any]:
        if self.legacy:
            obj["kind"] = kind
        return obj

    def part(self, part: Part) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if part.text is not None:
            out["text"] = part.text
        elif part.url is not None:
            out["url"] = part.url
        elif part.raw is not None:
            out["raw"] = part.raw
        else:
            out["data"] = part.data
        if part.media_type:
            out["mediaType"] = part.media_type
        if part.filename:
            out["filename"] = part.filename
        return self._kind(out, "text" if part.text is not None else "data")

    def message(self, msg: Msg) -> dict[str, Any]:
        out: dict[str, Any] = {
            "messageId": msg.message_id,
            "role": msg.role if self.legacy else ROLES[msg.role],
            "parts": [self.part(p) for p in msg.parts],
        }
        if msg.context_id:
            out["contextId"] = msg.context_id
        if msg.task_id:
            out["taskId"] = msg.task_id
        return self._kind(out, "message")

    def status(self, state: str, msg: Msg | None, timestamp: Any) -> dict[str, Any]:
        out: dict[str, Any] = {"state": state if self.legacy else STATES[state]}
        if msg is not None:
            out["message"] = self.message(msg)
        out["timestamp"] = format_timestamp(timestamp, not_utc=self.not_utc)
        return out

    def artifact(self, artifact_id: str, name: str | None, text: str) -> dict[str, Any]:
        out: dict[str, Any] = {"artifactId": artifact_id}
        if name:
            out["name"] = name
        out["parts"] = [self.part(Part(text=text))]
        return out

    def task(self, view: TaskView, history_length: int | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": view.id,
            "contextId": view.context_id,
            "status": self.status(view.state, view.message, view.timestamp),
        }
        if view.artifacts:
            out["artifacts"] = [self._artifact_view(a) for a in view.artifacts]
        history = _limit(view.history, history_length)
        if history:
            out["history"] = [self.message(m) for m in history]
        return self._kind(out, "task")

    def _artifact_view(self, art: ArtifactView) -> dict[str, Any]:
        return self.artifact(art.artifact_id, art.name, art.text)

    def status_update(self, ev: StatusEvent) -> dict[str, Any]:
        out = {
            "taskId": ev.task_id,
            "contextId": "" if self.empty_context else ev.context_id,
            "status": self.status(ev.state, ev.message, ev.timestamp),
        }
        return self._kind(out, "status-update")

    def artifact_update(self, ev: ArtifactEvent) -> dict[str, Any]:
        head = ev.head
        out = {
            "taskId": head.task_id,
            "contextId": "" if self.empty_context else head.context_id,
            "artifact": self.artifact(head.artifact_id, head.name, ev.text),
            "append": head.append,
            "lastChunk": head.last,
        }
        return self._kind(out, "artifact-update")

    def stream_response(self, event: Event) -> dict[str, Any]:
        """One ``StreamResponse`` (the REST event body, the JSON-RPC ``result``)."""
        if isinstance(event, ArtifactEvent):
            return {"artifactUpdate": self.artifact_update(event)}
        if isinstance(event, StatusEvent):
            if event.from_message_step and self.message_events and event.message is not None:
                return {"message": self.message(event.message)}
            return {"statusUpdate": self.status_update(event)}
        if isinstance(event, TaskEvent):
            return {"task": self.task(event.view)}
        return {"message": self.message(event.message)}

    def send_result(self, result: TaskView | Msg, history_length: int | None) -> dict[str, Any]:
        if isinstance(result, TaskView):
            return {"task": self.task(result, history_length)}
        return {"message": self.message(result)}

    def list_result(
        self, views: list[TaskView], query: ListQuery, total: int, next_token: str
    ) -> dict[str, Any]:
        tasks = []
        for view in views:
            task = self.task(view, query.history_length)
            if not query.include_artifacts:
                task.pop("artifacts", None)
            tasks.append(task)
        return {
            "tasks": tasks,
            "nextPageToken": next_token,
            "pageSize": query.page_size,
            "totalSize": total,
        }


def _limit(history: tuple[Msg, ...], length: int | None) -> tuple[Msg, ...]:
    """1.0 historyLength: unset = all, 0 = none, N = the last N (R24)."""
    if length is None:
        return history
    return history[-length:] if length > 0 else ()


# ---- decoding (requests) -------------------------------------------------------------






def _opt_int(obj: dict[str, Any], key: str, where: str) -> int | None:
    value = obj.get(key)
    if value is None:
        return None
    if isinstance(value, str) and value.lstrip("-").isdigit():
        value = int(value)  # ProtoJSON allows int32 as string; query parameters are strings
    if isinstance(value, bool) or not isinstance(value, int):
        raise invalid_params(f"{where}.{key} must be an integer")
    return value


def decode_part(raw: Any, where: str) -> Part:
    part = as_object(raw, where)
    present = [k for k in ("text", "data", "url", "raw") if k in part]
    if len(present) != 1:
        raise invalid_params(f"{where} must have exactly one of text, data, url, raw")
    (key,) = present
    if key in ("text", "url", "raw") and not isinstance(part[key], str):
        raise invalid_params(f"{where}.{key} must be a string")
    media, filename = opt_str(part, "mediaType", where), opt_str(part, "filename", where)
    return Part(**{key: part[key]}, media_type=media, filename=filename)


def decode_message(raw: Any, where: str = "message") -> Msg:
    msg = as_object(raw, where)
    message_id = required_str(msg, "messageId", where)
    role = msg.get("role")
    if role not in ROLE_NAMES:
        raise invalid_params(f"{where}.role must be ROLE_USER or ROLE_AGENT, got {role!r}")
    parts = msg.get("parts")
    if not isinstance(parts, list) or not parts:
        raise invalid_params(f"{where}.parts must be a non-empty list")
    return Msg(
        message_id=message_id,
        role=ROLE_NAMES[role],
        parts=tuple(decode_part(p, f"{where}.parts[{i}]") for i, p in enumerate(parts)),
        task_id=opt_str(msg, "taskId", where),
        context_id=opt_str(msg, "contextId", where),
    )


def decode_send(params: Any) -> SendRequest:
    body = as_object(params, "params")
    config = as_object(body.get("configuration") or {}, "configuration")
    return SendRequest(
        message=decode_message(body.get("message")),
        blocking=not bool(config.get("returnImmediately", False)),
        history_length=_opt_int(config, "historyLength", "configuration"),
    )




def decode_get(params: Any) -> tuple[str, int | None]:
    return decode_id(params), _opt_int(as_object(params, "params"), "historyLength", "params")


def decode_list(params: Any) -> ListQuery:
    body = as_object(params if params is not None else {}, "params")
    state = opt_str(body, "status", "params")
    if state is not None and state not in STATE_NAMES:
        raise invalid_params(f"params.status {state!r} is not a TASK_STATE_* value")
    size = _opt_int(body, "pageSize", "params")
    if size is not None and not 1 <= size <= 100:
        raise invalid_params("params.pageSize must be in [1, 100]")
    include = body.get("includeArtifacts", False)
    if isinstance(include, str):
        include = include.lower() == "true"
    return ListQuery(
        context_id=opt_str(body, "contextId", "params"),
        state=None if state is None else STATE_NAMES[state],
        page_size=size or 50,
        page_token=opt_str(body, "pageToken", "params"),
        history_length=_opt_int(body, "historyLength", "params"),
        include_artifacts=bool(include),
    )


__all__ = ["V10Encoder", "decode_get", "decode_id", "decode_list", "decode_send"]
