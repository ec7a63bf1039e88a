"""Faults that must fail the re-attach family (conformance_tests/test_reattach.py, R10-R12)."""

from __future__ import annotations

OWNERS: dict[str, set[str]] = {
    # no snapshot on any re-attach: running tasks (later events only) and input-required ones
    # (nothing, then close)
    "reattach-no-snapshot": {"reattach.snapshot-first", "reattach.interrupted-snapshot"},
    "reattach-race": {"reattach.race", "reattach.no-gaps"},
    "reattach-terminal-wrong-code": {"reattach.terminal-task"},
    "wrong-error-code-unknown-task": {"reattach.unknown-task"},
    "errors-as-500": {"reattach.unknown-task", "reattach.terminal-task"},
    "subscribers-interfere": {"reattach.close-one-keeps-others"},
    "disconnect-cancels": {"reattach.disconnect-keeps-task", "reattach.disconnect-keeps-task-v03"},
}

#: Requirements no fault of docs/architecture.md §3 breaks yet: proposed faults (not run).
PROPOSED: dict[str, set[str]] = {
    # each new subscriber misses the first event published after it subscribed.
    "subscribers-diverge": {"reattach.subscribers-identical"},
}
