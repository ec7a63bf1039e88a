"""Faults that must fail the load family (conformance_tests/test_load.py, R4/R5)."""

from __future__ import annotations

OWNERS: dict[str, set[str]] = {
    # losses need >4 streams open at once *and* streams past 32 events: only this scenario
    # has both (order-under-load and reattach.race open 30-60 streams of a few events each)
    "load-drops-events": {"load.concurrent-complete"},
}
