"""Faults that must fail the card family (conformance_tests/test_card.py, R21/R22)."""

from __future__ import annotations

OWNERS: dict[str, set[str]] = {
    # discovery falls back to the legacy path, so the run starts; only the path check fails
    "card-legacy-path": {"card.well-known"},
    "card-incomplete": {"card.valid"},
    # an *additional* lying entry: the plugin uses the first (good) one, so only the
    # scenario that checks every declared interface notices
    "interface-dialect-mismatch": {"card.interface-answers"},
}
