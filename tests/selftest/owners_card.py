"""Faults that must fail the card family (conformance_tests/test_card.py, R21/R22)."""

from __future__ import annotations

OWNERS: dict[str, set[str]] = {}

#: Requirements no fault of docs/architecture.md §3 breaks yet: proposed faults (not run).
PROPOSED: dict[str, set[str]] = {
    # the card is served only at the legacy /.well-known/agent.json (≤0.2) path
    "card-legacy-path": {"card.well-known"},
    # the card lacks defaultInputModes/defaultOutputModes and its supportedInterfaces entries
    # lack protocolVersion (0.3: no top-level protocolVersion)
    "card-incomplete": {"card.valid"},
    # the card declares the 1.0 JSON-RPC interface at a URL that speaks only 0.3 (no wrapper
    # members in results) — a card that lies about its interfaces
    "interface-dialect-mismatch": {"card.interface-answers"},
}
