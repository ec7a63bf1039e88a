"""A2A and JSON-RPC errors as one exception type, plus their REST (google.rpc.Status) form."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603
TASK_NOT_FOUND = -32001
TASK_NOT_CANCELABLE = -32002
PUSH_NOT_SUPPORTED = -32003
UNSUPPORTED_OPERATION = -32004
CONTENT_TYPE_NOT_SUPPORTED = -32005
VERSION_NOT_SUPPORTED = -32009

#: JSON-RPC code → (HTTP status, google.rpc status, ErrorInfo reason) for the REST binding.
REST_FORM: dict[int, tuple[int, str, str]] = {
    PARSE_ERROR: (400, "INVALID_ARGUMENT", "INVALID_REQUEST"),
    INVALID_REQUEST: (400, "INVALID_ARGUMENT", "INVALID_REQUEST"),
    METHOD_NOT_FOUND: (404, "NOT_FOUND", "UNSUPPORTED_OPERATION"),
    INVALID_PARAMS: (400, "INVALID_ARGUMENT", "INVALID_PARAMS"),
    INTERNAL_ERROR: (500, "INTERNAL", "INTERNAL"),
    TASK_NOT_FOUND: (404, "NOT_FOUND", "TASK_NOT_FOUND"),
    TASK_NOT_CANCELABLE: (400, "FAILED_PRECONDITION", "TASK_NOT_CANCELABLE"),
    PUSH_NOT_SUPPORTED: (400, "UNIMPLEMENTED", "PUSH_NOTIFICATION_NOT_SUPPORTED"),
    UNSUPPORTED_OPERATION: (400, "FAILED_PRECONDITION", "UNSUPPORTED_OPERATION"),
    CONTENT_TYPE_NOT_SUPPORTED: (400, "INVALID_ARGUMENT", "CONTENT_TYPE_NOT_SUPPORTED"),
    VERSION_NOT_SUPPORTED: (400, "FAILED_PRECONDITION", "VERSION_NOT_SUPPORTED"),
}

#: v1.0.0's §5.4 rows that v1.0.1 changed (variant ``rest-errors-v1.0.0``): both are "1.0"
REST_FORM_V100: dict[int, tuple[int, str]] = {
    TASK_NOT_CANCELABLE: (409, "FAILED_PRECONDITION"),
    PUSH_NOT_SUPPORTED: (400, "UNIMPLEMENTED"),
    UNSUPPORTED_OPERATION: (400, "UNIMPLEMENTED"),
    CONTENT_TYPE_NOT_SUPPORTED: (415, "INVALID_ARGUMENT"),
    VERSION_NOT_SUPPORTED: (400, "UNIMPLEMENTED"),
}
#: errors that are not A2A-specific: the spec requires an ErrorInfo only for A2A errors
GENERIC = frozenset({PARSE_ERROR, INVALID_REQUEST, INVALID_PARAMS, INTERNAL_ERROR})


def _no_variant(name: str) -> bool:
    return False


class A2AError(Exception):
    """An error answered to the client (never a crash): code, message, optional data."""

    def __init__(self, code: int, message: str, *, http_status: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.http_status = http_status  # overrides the REST status (e.g. 413, 405)

    def rest_body(self, variant: Callable[[str], bool] = _no_variant) -> tuple[int, dict[str, Any]]:
        """HTTP status and google.rpc.Status body, in the shape the legal variants pick."""
        status, name, reason = REST_FORM.get(self.code, REST_FORM[INTERNAL_ERROR])
        if variant("rest-errors-v1.0.0"):
            status, name = REST_FORM_V100.get(self.code, (status, name))
        if self.http_status is not None:
            status = self.http_status
        details: list[dict[str, Any]] = [
            {
                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                "reason": reason,
                "domain": "a2a-protocol.org",
            }
        ]
        if self.code in GENERIC and variant("rest-errors-no-errorinfo"):
            details = []
        elif self.code in GENERIC and variant("rest-errors-bad-request-detail"):
            details = [{"@type": "type.googleapis.com/google.rpc.BadRequest",
                        "fieldViolations": [{"field": "request", "description": self.message}]}]
        error: dict[str, Any] = {"code": status, "status": name, "message": self.message}
        if details:
            error["details"] = details
        return status, {"error": error}

    def rpc_error(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message}


def task_not_found(task_id: str) -> A2AError:
    return A2AError(TASK_NOT_FOUND, f"task {task_id!r} not found")


def invalid_params(message: str) -> A2AError:
    return A2AError(INVALID_PARAMS, f"invalid params: {message}")
