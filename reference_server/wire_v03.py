"""A2A v0.3 JSON-RPC wire form: ``kind`` discriminators, lowercase states, ``final``.

The faults ``final-flag-missing``, ``interrupted-final-false``, ``mismatched-ids`` and
``timestamp-not-utc`` change the encoding here. A ``{"message": T}`` step travels in the
status form (legal in 0.3 too).
"""

from __future__ import annotations

from typing import Any

from reference_server.errors import invalid_params
from reference_server.model import (
    INTERRUPTED,
    TERMINAL,
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
    SendRequest,
    as_object,
    decode_id,
    opt_str,
    required_str,
)


class V03Encoder:
    def __init__(self, options: Options) -> None:
        self.empty_context = options.fault("mismatched-ids")
        self.not_utc = options.fault("timestamp-not-utc")
        self.final_missing = options.fault("final-flag-missing")
        self.interrupted_not_final = options.fault("interrupted-final-false")

    def part(self, part: Part) -> dict[str, Any]:
        if part.text is not None:
            return {"kind": "text", "text": part.text}
        if part.url is not None or part.raw is not None:
            file: dict[str, Any] = (
                {"uri": part.url} if part.url is not None else {"bytes": part.raw}
            )
            if part.media_type:
                file["mimeType"] = part.media_type
            if part.filename:
                file["name"] = part.filename
            return {"kind": "file", "file": file}
        return {"kind": "data", "data": part.data}

    def message(self, msg: Msg) -> dict[str, Any]:
        out: dict[str, Any] = {
            "kind": "message",
            "messageId": msg.message_id,
            "role": msg.role,
            "parts": [self.part(p) for p in msg.parts],
        }
        if msg.context_id:
            out["contextId"] = msg.context_id
        if msg.task_id:
            out["taskId"] = msg.task_id
        return out

    def status(self, state: str, msg: Msg | None, timestamp: Any) -> dict[str, Any]:
        out: dict[str, Any] = {"state": state}
        if msg is not None:
            out["message"] = self.message(msg)
        out["timestamp"] = format_timestamp(timestamp, not_utc=self.not_utc)
        return out

    def artifact(self, artifact_id: str, name: str | None, text: str) -> dict[str, Any]:
        out: dict[str, Any] = {"artifactId": artifact_id}
        if name:
            out["name"] = name
        out["parts"] = [{"kind": "text", "text": text}]
        return out

    def task(self, view: TaskView, history_length: int | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {
            "kind": "task",
            "id": view.id,
            "contextId": view.context_id,
            "status": self.status(view.state, view.message, view.timestamp),
        }
        if view.artifacts:
            out["artifacts"] = [self._artifact_view(a) for a in view.artifacts]
        history = _limit(view.history, history_length)
        if history:
            out["history"] = [self.message(m) for m in history]
        return out

    def _artifact_view(self, art: ArtifactView) -> dict[str, Any]:
        return self.artifact(art.artifact_id, art.name, art.text)

    def stream_result(self, event: Event) -> dict[str, Any]:
        """The ``result`` of one ``SendStreamingMessageResponse``."""
        if isinstance(event, ArtifactEvent):
            head = event.head
            return {
                "kind": "artifact-update",
                "taskId": head.task_id,
                "contextId": "" if self.empty_context else head.context_id,
                "artifact": self.artifact(head.artifact_id, head.name, event.text),
                "append": head.append,
                "lastChunk": head.last,
            }
        if isinstance(event, StatusEvent):
            final = event.final and not (
                (self.final_missing and event.state in TERMINAL)
                or (self.interrupted_not_final and event.state in INTERRUPTED)
            )
            return {
                "kind": "status-update",
                "taskId": event.task_id,
                "contextId": "" if self.empty_context else event.context_id,
                "status": self.status(event.state, event.message, event.timestamp),
                "final": final,
            }
        if isinstance(event, TaskEvent):
            return self.task(event.view)
        return self.message(event.message)

    def send_result(self, result: TaskView | Msg, history_length: int | None) -> dict[str, Any]:
        if isinstance(result, TaskView):
            return self.task(result, history_length)
        return self.message(result)


def _limit(history: tuple[Msg, ...], length: int | None) -> tuple[Msg, ...]:
    """0.3 historyLength: unset or 0 = all (P03), N = the last N."""
    return history[-length:] if length else history


# ---- decoding (requests) -------------------------------------------------------------






def _opt_int(obj: dict[str, Any], key: str, where: str) -> int | None:
    value = obj.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise invalid_params(f"{where}.{key} must be a non-negative integer")
    return value


def decode_part(raw: Any, where: str) -> Part:
    part = as_object(raw, where)
    kind = part.get("kind")
    if kind == "text" and isinstance(part.get("text"), str):
        return Part(text=part["text"])
    if kind == "data" and "data" in part:
        return Part(data=part["data"])
    if kind == "file" and isinstance(part.get("file"), dict):
        file = part["file"]
        uri, data = file.get("uri"), file.get("bytes")
        if isinstance(uri, str) != isinstance(data, str):
            return Part(
                url=uri if isinstance(uri, str) else None,
                raw=data if isinstance(data, str) else None,
                media_type=opt_str(file, "mimeType", f"{where}.file"),
                filename=opt_str(file, "name", f"{where}.file"),
            )
    raise invalid_params(f"{where} is not a valid text, data or file part")


def decode_message(raw: Any, where: str = "message") -> Msg:
    msg = as_object(raw, where)
    if msg.get("kind", "message") != "message":
        raise invalid_params(f'{where}.kind must be "message"')
    message_id = required_str(msg, "messageId", where)
    role = msg.get("role")
    if role not in ("user", "agent"):
        raise invalid_params(f'{where}.role must be "user" or "agent", got {role!r}')
    parts = msg.get("parts")
    if not isinstance(parts, list) or not parts:
        raise invalid_params(f"{where}.parts must be a non-empty list")
    return Msg(
        message_id=message_id,
        role=role,
        parts=tuple(decode_part(p, f"{where}.parts[{i}]") for i, p in enumerate(parts)),
        task_id=opt_str(msg, "taskId", where),
        context_id=opt_str(msg, "contextId", where),
    )


def decode_send(params: Any) -> SendRequest:
    body = as_object(params, "params")
    config = as_object(body.get("configuration") or {}, "configuration")
    blocking = config.get("blocking", True)
    if not isinstance(blocking, bool):
        raise invalid_params("configuration.blocking must be true or false")
    return SendRequest(
        message=decode_message(body.get("message")),
        blocking=blocking,
        history_length=_opt_int(config, "historyLength", "configuration"),
    )




def decode_get(params: Any) -> tuple[str, int | None]:
    return decode_id(params), _opt_int(as_object(params, "params"), "historyLength", "params")
