"""HTTP plumbing shared by both bindings: bounded body reading, JSON answers, error faults."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from reference_server.errors import (
    INTERNAL_ERROR,
    INVALID_PARAMS,
    INVALID_REQUEST,
    METHOD_NOT_FOUND,
    PARSE_ERROR,
    A2AError,
)
from reference_server.options import Options
from reference_server.service import TaskNotFound

_GENERIC = frozenset({PARSE_ERROR, INVALID_REQUEST, METHOD_NOT_FOUND, INVALID_PARAMS})


class BodyTooLarge(A2AError):
    def __init__(self, limit: int) -> None:
        super().__init__(
            INVALID_REQUEST, f"request body exceeds {limit} bytes; refused", http_status=413
        )


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, refusing (without reading it all) anything above ``limit`` bytes."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge(limit)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge(limit)
        chunks.append(chunk)
    return b"".join(chunks)


def json_response(payload: Any, status: int = 200) -> Response:
    body = json.dumps(payload, separators=(",", ":")).encode()
    return Response(body, status_code=status, media_type="application/json")


def as_answered(error: A2AError, options: Options) -> A2AError:
    """The error as this server answers it: the code-mangling faults apply here only."""
    if options.fault("generic-error-codes") and error.code in _GENERIC:
        return A2AError(INTERNAL_ERROR, error.message)
    if options.fault("wrong-error-code-unknown-task") and isinstance(error, TaskNotFound):
        return A2AError(INTERNAL_ERROR, f"internal error: {error.message}")
    return error


def plain_500(error: A2AError) -> Response:
    """Fault errors-as-500: any error as an HTTP 500 plain-text page."""
    return Response(
        f"Internal Server Error: {error.code} {error.message}",
        status_code=500,
        media_type="text/plain",
    )
