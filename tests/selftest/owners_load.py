"""Faults that must fail the load family (conformance_tests/test_load.py, R4/R5)."""

from __future__ import annotations

OWNERS: dict[str, set[str]] = {}

#: Requirements no fault of docs/architecture.md §3 breaks yet: proposed faults (not run).
PROPOSED: dict[str, set[str]] = {
    # with more than 32 streams open at once, every 97th event published is silently skipped
    # (bug seed #20: a2a-python #768, an event lost under concurrency).
    "load-drops-events": {"load.concurrent-complete"},
}
