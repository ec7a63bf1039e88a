"""Faults that must fail the backpressure family (conformance_tests/test_backpressure.py)."""

from __future__ import annotations

OWNERS: dict[str, set[str]] = {
    "slow-consumer-blocks": {"backpressure.no-global-stall"},
    "slow-consumer-drops": {"backpressure.slow-reader-complete"},
    "unbounded-buffer": {"backpressure.memory-bounded"},
}
