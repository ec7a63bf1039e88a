"""Faults that must fail the closure family (conformance_tests/test_closure.py, R5/R7/R8)."""

from __future__ import annotations

OWNERS: dict[str, set[str]] = {
    "no-close-after-terminal": {"closure.closes-after-terminal"},
    "rejected-not-final": {"closure.closes-after-terminal", "closure.final-flag"},
    "final-flag-missing": {"closure.final-flag"},
    "interrupted-final-false": {"closure.final-on-interrupted"},
    # only script-reported failed/canceled/rejected lag: nothing else reads them via GetTask
    "store-lags-stream": {"closure.get-task-agrees"},
}
