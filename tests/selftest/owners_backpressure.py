"""Faults that must fail the backpressure family (conformance_tests/test_backpressure.py)."""

from __future__ import annotations

OWNERS: dict[str, set[str]] = {
    "slow-consumer-blocks": {"backpressure.no-global-stall"},
    "slow-consumer-drops": {"backpressure.slow-reader-complete"},
    # the backlog holds its own encoded frames (as real per-subscriber queues do), so RSS sees
    # it; freed backlogs are reused by the next dialect's run, so not every dialect fails
    "unbounded-buffer": {"backpressure.memory-bounded"},
    # the server freezes for 5 s once: the stalled other stream is this family's finding; the
    # health probe waits the freeze out before the next scenario (nothing else may fail)
    "freeze-after-burst": {"backpressure.no-global-stall"},
}
