"""Everything dialect-specific: encoding requests, decoding answers, events and errors.

``dialect`` (the :class:`Dialect` of each id), ``requests`` (the encoded request, the JSON-RPC
envelope, raw requests), ``payloads`` (lenient object decoding), ``errors`` (error answers).
"""

from pytest_a2a.wire.dialects.dialect import Dialect, get_dialect
from pytest_a2a.wire.dialects.errors import decode_error_body, decode_rest_error, decode_rpc_error
from pytest_a2a.wire.dialects.payloads import decode_task
from pytest_a2a.wire.dialects.requests import (
    STREAMING_OPS,
    HttpRequest,
    UnsupportedOperation,
    envelope,
    new_id,
    raw_request,
)

__all__ = [
    "STREAMING_OPS",
    "Dialect",
    "HttpRequest",
    "UnsupportedOperation",
    "decode_error_body",
    "decode_rest_error",
    "decode_rpc_error",
    "decode_task",
    "envelope",
    "get_dialect",
    "new_id",
    "raw_request",
]
