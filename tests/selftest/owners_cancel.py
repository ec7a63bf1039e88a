"""Faults that must fail the cancel family (conformance_tests/test_cancel.py, R17)."""

from __future__ import annotations

OWNERS: dict[str, set[str]] = {
    "cancel-slow": {"cancel.prompt"},
    "cancel-not-delivered": {"cancel.streams-notified"},
}

#: Requirements no fault of docs/architecture.md §3 breaks yet: proposed faults (not run).
PROPOSED: dict[str, set[str]] = {
    # cancel answers with a canceled Task (and streams get canceled) but the stored task keeps
    # its previous state: GetTask says working (a2a-python #1170, a2a-js #157).
    "cancel-not-persisted": {"cancel.get-agrees"},
}
