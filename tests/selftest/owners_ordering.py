"""Faults that must fail the ordering family (conformance_tests/test_ordering.py, R4-R9, R16)."""

from __future__ import annotations

OWNERS: dict[str, set[str]] = {
    # each artifact is held until the next event, so the terminal status overtakes the last one
    "final-before-artifact": {
        "ordering.artifacts-before-terminal",
        "ordering.script-order",
        "ordering.order-under-load",
    },
    "duplicate-final": {"ordering.single-terminal"},
    "state-regression": {"ordering.state-machine"},
    # every task stream, follow-ups' included
    "no-task-first": {
        "ordering.task-first",
        "ordering.task-first-0.3",
        "ordering.followup-task-first",
        "ordering.followup-task-first-0.3",
    },
    "followup-no-task-first": {
        "ordering.followup-task-first",
        "ordering.followup-task-first-0.3",
    },
    "reply-stream-open": {"ordering.message-only", "ordering.message-only-0.3"},
    "message-event-in-task": {"ordering.no-message-in-task"},
    "batched-events": {"ordering.incremental-delivery", "ordering.incremental-delivery-0.3"},
    "mismatched-ids": {"ordering.ids-consistent"},
    "rpc-id-mismatch": {"ordering.rpc-id"},
}
