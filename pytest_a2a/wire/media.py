"""Content-type helpers shared by every reader (httpx streams, the raw-socket reader, results)."""

from __future__ import annotations

_JSON_TYPES = ("application/json", "application/problem+json")


def media_type(content_type: str | None) -> str:
    """``text/event-stream; charset=utf-8`` -> ``text/event-stream``."""
    return (content_type or "").split(";", 1)[0].strip().lower()


def is_json_type(content_type: str | None) -> bool:
    """JSON whatever its flavour (``application/json``, ``problem+json``, any ``+json``)."""
    mt = media_type(content_type)
    return mt in _JSON_TYPES or mt.endswith("+json")
