"""A2A and JSON-RPC errors as one exception type, plus their REST (google.rpc.Status) form."""

from __future__ import annotations

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


class A2AError(Exception):
    """An error answered to the client (never a crash): code, message, optional data."""

    def __init__(self, code: int, message: str, *, http_status: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.http_status = http_status  # overrides the REST status (e.g. 413, 405)

    def rest_body(self) -> tuple[int, dict[str, Any]]:
        status, name, reason = REST_FORM.get(self.code, REST_FORM[INTERNAL_ERROR])
        if self.http_status is not None:
            status = self.http_status
        error = {
            "code": status,
            "status": name,
            "message": self.message,
            "details": [
                {
                    "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                    "reason": reason,
                    "domain": "a2a-protocol.org",
                }
            ],
        }
        return status, {"error": error}

    def rpc_error(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message}


def task_not_found(task_id: str) -> A2AError:
    return A2AError(TASK_NOT_FOUND, f"task {task_id!r} not found")


def invalid_params(message: str) -> A2AError:
    return A2AError(INVALID_PARAMS, f"invalid params: {message}")
