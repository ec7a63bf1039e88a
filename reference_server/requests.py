"""Dialect-neutral requests, as the wire decoders produce them for the service."""

from __future__ import annotations

from dataclasses import dataclass

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
