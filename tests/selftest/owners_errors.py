"""Faults that must fail the errors family (conformance_tests/test_errors.py, R17-R20, R22)."""

from __future__ import annotations

OWNERS: dict[str, set[str]] = {
    "exception-hangs": {"errors.exception-ends-stream", "errors.exception-task-terminal"},
    "exception-empty-200": {"errors.exception-ends-stream", "errors.exception-task-terminal"},
    "cancel-terminal-accepted": {"errors.not-cancelable"},
    "wrong-error-code-unknown-task": {"errors.task-not-found"},
    "generic-error-codes": {
        "errors.parse-error",
        "errors.invalid-request",
        "errors.method-not-found",
        "errors.invalid-params",
    },
    # HTTP 500 text/plain carries no code at all, so every code requirement fails with it
    "errors-as-500": {
        "errors.json-errors",
        "errors.parse-error",
        "errors.invalid-request",
        "errors.method-not-found",
        "errors.invalid-params",
        "errors.task-not-found",
        "errors.not-cancelable",
        "errors.version-unsupported",
    },
    "version-not-checked": {"errors.version-unsupported"},
    "streaming-capability-ignored": {"errors.streaming-unsupported"},
}
