"""Dialect-neutral requests, as the wire decoders produce them for the service, and the
field checks both dialects' decoders share (each bad field is a -32602 naming it)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from reference_server.errors import invalid_params
from reference_server.model import Msg


@dataclass(frozen=True)
class SendRequest:
    message: Msg
    blocking: bool = True
    history_length: int | None = None


@dataclass(frozen=True)
class ListQuery:
    context_id: str | None = None
    state: str | None = None
    page_size: int = 50
    page_token: str | None = None
    history_length: int | None = None
    include_artifacts: bool = False


def as_object(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise invalid_params(f"{where} must be an object")
    return value


def opt_str(obj: dict[str, Any], key: str, where: str) -> str | None:
    value = obj.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise invalid_params(f"{where}.{key} must be a string")
    return value


def required_str(obj: dict[str, Any], key: str, where: str) -> str:
    value = obj.get(key)
    if not isinstance(value, str) or not value:
        raise invalid_params(f"{where}.{key} must be a non-empty string")
    return value


def decode_id(params: Any) -> str:
    """The task id of get, cancel and re-attach params (the same in every dialect)."""
    return required_str(as_object(params, "params"), "id", "params")
