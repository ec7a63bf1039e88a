"""Agent-card fetch and interface discovery: which dialects a target declares, and where.

Discovery rules (docs/architecture.md §2): ``v1.0-jsonrpc`` / ``v1.0-rest`` from
``supportedInterfaces[]`` entries with ``protocolVersion`` ``1.*`` and ``protocolBinding``
``JSONRPC`` / ``HTTP+JSON``; ``v0.3-jsonrpc`` from a ``supportedInterfaces`` entry with version
``0.3*`` and binding ``JSONRPC``, or from a top-level ``protocolVersion`` ``0.3*`` with ``url``
and ``preferredTransport`` ``JSONRPC`` (absent = JSONRPC, the v0.3 default), or an
``additionalInterfaces[]`` entry with ``transport`` ``JSONRPC``. The first entry per dialect wins
(the card lists its preferred interface first).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx

from pytest_a2a.wire.tls import tls_context

CARD_PATH = "/.well-known/agent-card.json"
LEGACY_CARD_PATH = "/.well-known/agent.json"  # v0.2 and earlier
CONFORMANCE_SKILL = "a2a-conformance"
MAX_CARD_BYTES = 1024 * 1024


class CardError(Exception):
    """No usable agent card at the target (message says what was tried)."""


@dataclass(frozen=True)
class CardInfo:
    """A fetched card and what it declares."""

    card_url: str
    card: Mapping[str, Any]
    interfaces: dict[str, str] = field(default_factory=dict)  # dialect id -> interface URL

    @property
    def dialects(self) -> list[str]:
        return list(self.interfaces)

    @property
    def name(self) -> str | None:
        name = self.card.get("name")
        return name if isinstance(name, str) else None

    @property
    def version(self) -> str | None:
        version = self.card.get("version")
        return version if isinstance(version, str) else None

    @property
    def implementation(self) -> str:
        """``name version`` of the implementation, for reports."""
        return " ".join(p for p in (self.name or "(unnamed)", self.version) if p)

    @property
    def declares_conformance_skill(self) -> bool:
        skills = self.card.get("skills")
        return isinstance(skills, list) and any(
            isinstance(s, dict) and s.get("id") == CONFORMANCE_SKILL for s in skills
        )

    @property
    def streaming(self) -> bool | None:
        """``capabilities.streaming`` (None when absent or not a boolean)."""
        caps = self.card.get("capabilities")
        value = caps.get("streaming") if isinstance(caps, dict) else None
        return value if isinstance(value, bool) else None


def card_urls(url: str) -> list[str]:
    """Where to look: ``url`` itself if it names a ``.json`` file, else the well-known paths."""
    if urlsplit(url).path.endswith(".json"):
        return [url]
    base = url.rstrip("/")
    return [base + CARD_PATH, base + LEGACY_CARD_PATH]


def _binding(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    value = value.strip().upper()
    return {"JSONRPC": "jsonrpc", "HTTP+JSON": "rest"}.get(value)


def _version(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    value = value.strip().lstrip("vV")
    if value == "1" or value.startswith("1."):
        return "1.0"
    if value.startswith("0.3"):
        return "0.3"
    return None


def interfaces_of(card: Mapping[str, Any], card_url: str = "") -> dict[str, str]:
    """Declared dialect id -> interface URL (relative URLs resolved against the card URL)."""
    found: dict[str, str] = {}

    def add(dialect: str, url: Any) -> None:
        if isinstance(url, str) and url and dialect not in found:
            found[dialect] = urljoin(card_url, url) if card_url else url

    supported = card.get("supportedInterfaces")
    for entry in supported if isinstance(supported, list) else []:
        if not isinstance(entry, dict):
            continue
        version = _version(entry.get("protocolVersion"))
        binding = _binding(entry.get("protocolBinding"))
        if version == "1.0" and binding is not None:
            add(f"v1.0-{binding}", entry.get("url"))
        elif version == "0.3" and binding == "jsonrpc":
            add("v0.3-jsonrpc", entry.get("url"))
    if _version(card.get("protocolVersion")) == "0.3":
        preferred = card.get("preferredTransport", "JSONRPC")
        if _binding(preferred) == "jsonrpc":
            add("v0.3-jsonrpc", card.get("url"))
        extra = card.get("additionalInterfaces")
        for entry in extra if isinstance(extra, list) else []:
            if isinstance(entry, dict) and _binding(entry.get("transport")) == "jsonrpc":
                add("v0.3-jsonrpc", entry.get("url"))
    return found


def parse_card(card: Mapping[str, Any], card_url: str = "") -> CardInfo:
    return CardInfo(card_url=card_url, card=card, interfaces=interfaces_of(card, card_url))


def _parse_answer(url: str, status: int, body: bytes, tried: list[str]) -> CardInfo | None:
    if status == 404:
        tried.append(f"{url}: HTTP 404")
        return None
    if status != 200:
        raise CardError(f"{url}: HTTP {status}: {body[:200]!r}")
    try:
        doc = json.loads(body)
    except ValueError as exc:
        raise CardError(f"{url}: not JSON ({exc}): {body[:200]!r}") from None
    if not isinstance(doc, dict):
        raise CardError(f"{url}: card is {type(doc).__name__}, expected an object")
    return parse_card(doc, url)


def discover_sync(
    url: str, *, headers: Mapping[str, str] | None = None, timeout: float = 5.0
) -> CardInfo:
    """Fetch and parse the card of ``url`` (base URL or card URL), blocking: the plugin's
    session setup has no event loop. Each request is bounded by ``timeout``."""
    tried: list[str] = []
    with httpx.Client(timeout=httpx.Timeout(timeout), headers=dict(headers or {}),
                      verify=tls_context()) as client:
        for candidate in card_urls(url):
            try:
                resp = client.get(candidate)
            except httpx.HTTPError as exc:
                raise CardError(f"{candidate}: {type(exc).__name__}: {exc}") from None
            info = _parse_answer(candidate, resp.status_code, resp.content[:MAX_CARD_BYTES], tried)
            if info is not None:
                return info
    raise CardError("no agent card found (" + "; ".join(tried) + ")")
