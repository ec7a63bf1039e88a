"""Faults that must fail the black-box scenarios (conformance_tests/test_agent_*.py).

These scenarios judge the plain-text answer to ``--a2a-prompt`` / ``--a2a-long-prompt``, so
only faults that touch that answer can fail them (tests/reference_server/
test_refserver_answer_faults.py lists which do, and why the others cannot). Every pair here is
also owned by a scripted scenario of the same requirement, so merging this table into the
full self-test (tests/selftest/ownership.py) adds no expectation the scripted suite lacks;
``test_blackbox.py`` checks that.
"""

from __future__ import annotations

OWNERS: dict[str, set[str]] = {
    "final-before-artifact": {"ordering.artifacts-before-terminal", "ordering.order-under-load"},
    "no-close-after-terminal": {"closure.closes-after-terminal"},
    "duplicate-final": {"ordering.single-terminal"},
    "state-regression": {"ordering.state-machine"},
    "no-task-first": {"ordering.task-first", "ordering.task-first-0.3"},
    "final-flag-missing": {"closure.final-flag"},
    "mismatched-ids": {"ordering.ids-consistent"},
    "rpc-id-mismatch": {"ordering.rpc-id"},
    "append-unannounced": {"artifacts.append-announced"},
    "chunk-after-last": {"artifacts.nothing-after-last-chunk"},
    "artifact-mismatch": {"artifacts.reassembly-matches-get"},
    "batched-events": {"ordering.incremental-delivery", "ordering.incremental-delivery-0.3"},
    "disconnect-cancels": {"reattach.disconnect-keeps-task", "reattach.disconnect-keeps-task-v03"},
    "cancel-slow": {"cancel.prompt"},
    "cancel-not-delivered": {"cancel.streams-notified"},
    "cancel-not-persisted": {"cancel.get-agrees"},
    "cancel-terminal-accepted": {"errors.not-cancelable"},
    "reattach-no-snapshot": {"reattach.snapshot-first"},
    # the 50 ms window between snapshot and subscription loses a chunk of a streaming answer
    "reattach-race": {"reattach.no-gaps"},
    "reattach-terminal-wrong-code": {"reattach.terminal-task"},
    "subscribers-interfere": {"reattach.close-one-keeps-others"},
    "load-drops-events": {"load.concurrent-complete"},
    "legacy-enums-1.0": {"framing.schema-valid"},
    "timestamp-not-utc": {"framing.schema-valid"},
    "errors-as-500": {"errors.not-cancelable", "reattach.terminal-task"},
}

#: Black-box requirements no fault of the plain answer can fail: proven the other way by the
#: judging helpers' unit tests in test_blackbox.py, until a fault shows them on the answer.
UNPROVEN: dict[str, str] = {
    "closure.get-task-agrees": "store-lags-stream lags only a script's failed/canceled/rejected "
    "step",
    "ordering.no-message-in-task": "message-event-in-task needs a script's progress message",
    "reattach.subscribers-identical": "no fault makes two subscribers diverge (proposed: "
    "subscribers-diverge, owners_reattach.PROPOSED)",
}
