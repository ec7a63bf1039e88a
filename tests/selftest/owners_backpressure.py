"""Faults that must fail the backpressure family (conformance_tests/test_backpressure.py)."""

from __future__ import annotations

OWNERS: dict[str, set[str]] = {
    "slow-consumer-blocks": {"backpressure.no-global-stall"},
    "slow-consumer-drops": {"backpressure.slow-reader-complete"},
    # Observable only if the unbounded buffer holds its own copy of each event (encoded frame
    # or copied payload), as real SDK queues do; the reference's Subscriber shares the payload
    # strings with the task store, so RSS barely moves (see the family's report).
    "unbounded-buffer": {"backpressure.memory-bounded"},
}
