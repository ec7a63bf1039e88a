"""Faults that must fail the cancel family (conformance_tests/test_cancel.py, R17)."""

from __future__ import annotations

OWNERS: dict[str, set[str]] = {
    "cancel-slow": {"cancel.prompt"},
    "cancel-not-delivered": {"cancel.streams-notified"},
    # only the cancel call's state change is lost; streams.notified judges by cancel's answer
    "cancel-not-persisted": {"cancel.get-agrees"},
}
