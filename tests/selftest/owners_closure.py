"""Faults that must fail the closure family (conformance_tests/test_closure.py, R5/R8)."""

from __future__ import annotations

OWNERS: dict[str, set[str]] = {
    "no-close-after-terminal": {"closure.closes-after-terminal"},
    "rejected-not-final": {"closure.closes-after-terminal", "closure.final-flag"},
    "final-flag-missing": {"closure.final-flag"},
}

#: Requirements no fault of docs/architecture.md §3 breaks yet: proposed faults (not run).
PROPOSED: dict[str, set[str]] = {
    # the store keeps the state before a script-driven terminal status (the stream says
    # failed/rejected, GetTask says working), as store-only writers do (a2a-python #1175).
    "store-lags-stream": {"closure.get-task-agrees"},
}
