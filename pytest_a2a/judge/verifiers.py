"""Shared verifiers: a tolerance rule written once, with every acceptable answer listed.

Modelled on h2spec's ``spec/verifier.go``: a verifier looks at what a server did and returns a
:class:`Verdict` naming every alternative it accepts (``expected``) and what it saw
(``actual``); anything not listed fails, saying what was seen. Scenarios judge with
``a2a.verify(verdict)``, so a tolerance (say, "a JSON error body or one SSE error event") reads
the same in every family, and a newly legal form is added here, in one place.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any, Literal

from pytest_a2a.wire.dialects.errors import REASON_CODES
from pytest_a2a.wire.models import TERMINAL_STATES
from pytest_a2a.wire.results import END_STATES, CallResult, EndState, StreamResult

__all__ = [
    "ENDED",
    "NOT_ENDED",
    "REST_SHAPES",
    "Binding",
    "ErrorSeen",
    "RestShape",
    "Verdict",
    "closed",
    "ended",
    "error_answer",
    "error_code",
    "error_seen",
    "failure_reported",
    "is_message_answer",
    "names_task",
    "task_state",
    "terminal_status",
]

Binding = Literal["jsonrpc", "rest"]

#: How a stream may end and still count as "ended" (no hang). How promptly it closed after
#: its terminal event is closure's business; an error answer is an end too.
ENDED: tuple[EndState, ...] = (
    "closed",
    "open-after-terminal",
    "oversize",
    "http-error",
    "json-error",
    "transport-error",
    "closed-by-client",
)
#: Not an end: no progress (``stalled``), past the stream deadline (``timeout``), or a
#: snapshot of a stream still running (``open``).
NOT_ENDED: tuple[EndState, ...] = ("stalled", "timeout", "open")
# Every end state is classified on purpose: a new one must be placed in one of the two lists.
if sorted(ENDED + NOT_ENDED) != sorted(END_STATES):  # pragma: no cover - import-time guard
    raise RuntimeError("verifiers.ENDED/NOT_ENDED do not partition wire.results.END_STATES")

_TERMINALS = ", ".join(sorted(TERMINAL_STATES))


@dataclass(frozen=True, slots=True)
class Verdict:
    """One verifier's judgement: passed, every acceptable alternative, and what was seen."""

    passed: bool
    expected: tuple[str, ...]
    actual: str
    #: the call or stream judged (its transcript goes into the failure report)
    answer: StreamResult | CallResult | None = field(default=None, compare=False, repr=False)
    #: False: the answer held nothing this rule could judge (``actual`` says why). Such a
    #: verdict never passes, so ``a2a.verify`` fails it; a caller that may lawfully see
    #: nothing (a black-box answer, a recording) tests ``observed`` first and says so.
    observed: bool = True

    @property
    def expected_text(self) -> str:
        return "; or ".join(self.expected)


@dataclass(frozen=True, slots=True)
class RestShape:
    """Every form the HTTP+JSON binding may give one error (S10 §5.4, §11.6).

    v1.0.0 and v1.0.1 are both "1.0" and no peer can say which patch it speaks, so both
    tables are legal: v1.0.1 moved TaskNotCancelable 409 → 400, ContentTypeNotSupported
    415 → 400, InvalidAgentResponse 502 → 500 and UNIMPLEMENTED → FAILED_PRECONDITION."""

    http: tuple[int, ...]  # HTTP statuses (an SSE error event: the body's ``code``)
    status: tuple[str, ...]  # google.rpc.Code names for ``error.status``, judged when given
    reasons: tuple[str, ...]  # ErrorInfo reasons meaning this error, judged when given
    #: the reason is the only evidence: the HTTP status is shared with other A2A errors (the
    #: spec requires an ErrorInfo for A2A-specific errors for exactly that reason)
    reason_required: bool


#: REST has one generic bad request (INVALID_ARGUMENT 400): parse error, invalid request and
#: invalid params are not told apart on the wire, an ErrorInfo among them is optional.
_BAD_REQUEST = RestShape((400,), ("INVALID_ARGUMENT",),
                         ("INVALID_PARAMS", "INVALID_REQUEST", "PARSE_ERROR"), False)
_PRECONDITION = ("FAILED_PRECONDITION", "UNIMPLEMENTED")
REST_SHAPES: dict[int, RestShape] = {
    -32700: _BAD_REQUEST,
    -32600: _BAD_REQUEST,
    -32602: _BAD_REQUEST,
    -32601: RestShape((404,), ("NOT_FOUND", "UNIMPLEMENTED"), ("METHOD_NOT_FOUND",), False),
    -32603: RestShape((500,), ("INTERNAL",), ("INTERNAL",), False),
    -32001: RestShape((404,), ("NOT_FOUND",), ("TASK_NOT_FOUND",), False),
    -32002: RestShape((400, 409), ("FAILED_PRECONDITION",), ("TASK_NOT_CANCELABLE",), True),
    -32003: RestShape((400,), _PRECONDITION, ("PUSH_NOTIFICATION_NOT_SUPPORTED",), True),
    -32004: RestShape((400,), _PRECONDITION, ("UNSUPPORTED_OPERATION",), True),
    -32005: RestShape((400, 415), ("INVALID_ARGUMENT",), ("CONTENT_TYPE_NOT_SUPPORTED",), True),
    -32006: RestShape((500, 502), ("INTERNAL",), ("INVALID_AGENT_RESPONSE",), True),
    -32007: RestShape((400,), ("FAILED_PRECONDITION",),
                      ("EXTENDED_AGENT_CARD_NOT_CONFIGURED",), True),
    -32008: RestShape((400,), ("FAILED_PRECONDITION",), ("EXTENSION_SUPPORT_REQUIRED",), True),
    -32009: RestShape((400,), _PRECONDITION, ("VERSION_NOT_SUPPORTED",), True),
}


@dataclass(frozen=True, slots=True)
class ErrorSeen:
    """The error an answer carries, as evidence: its JSON ``error`` member or nothing."""

    #: the JSON error object (JSON-RPC ``error`` or google.rpc.Status ``error``); None when
    #: the answer had no error or its body was not JSON (an HTML page proves nothing)
    body: dict[str, Any] | None
    http_status: int | None  # None: an SSE error event inside an HTTP 200 stream
    shown: str  # what was seen, for ``actual``

    @property
    def code(self) -> object:
        return None if self.body is None else self.body.get("code")

    @property
    def reason(self) -> str | None:
        """The ErrorInfo reason of a google.rpc.Status (``details``) or JSON-RPC ``data``."""
        if self.body is None:
            return None
        for key in ("details", "data"):
            items = self.body.get(key)
            for item in items if isinstance(items, list) else [items]:
                if isinstance(item, dict) and isinstance(item.get("reason"), str):
                    return str(item["reason"])
        return None


def _show(body: dict[str, Any], where: str) -> str:
    parts = [f"code {body.get('code')!r}"]
    if "status" in body:
        parts.append(f"status {body.get('status')!r}")
    seen = ErrorSeen(body, None, "")
    if seen.reason:
        parts.append(f"reason {seen.reason}")
    message = body.get("message")
    parts.append(f"message {str(message)[:100]!r}")
    return f"{where}: " + ", ".join(parts)


def error_seen(answer: StreamResult | CallResult) -> ErrorSeen:
    """A call's error body; a stream's pre-stream error body, else its first SSE error event."""
    if isinstance(answer, CallResult):
        if answer.transport_error:
            return ErrorSeen(None, None, f"transport error: {answer.transport_error}")
        raw, status = answer.raw, answer.http_status
        if isinstance(raw, dict) and isinstance(raw.get("error"), dict):
            return ErrorSeen(raw["error"], status, _show(raw["error"], f"JSON body, HTTP {status}"))
        if answer.error is not None or not answer.ok:
            return ErrorSeen(None, status, f"HTTP {status} {answer.content_type}, not a JSON "
                                           f"error body: {answer.body[:120]!r}")
        return ErrorSeen(None, status, f"no error: {answer.describe()}")
    if answer.error is not None:
        body, status = answer.json_body, answer.status_code
        if isinstance(body, dict) and isinstance(body.get("error"), dict):
            err = body["error"]
            return ErrorSeen(err, status, _show(err, f"JSON body, HTTP {status}"))
        return ErrorSeen(None, status, f"HTTP {status} {answer.content_type}, not a JSON error "
                                       f"body: {answer.error.message[:120]}")
    for ev in answer.events:
        if ev.kind == "error":
            payload = ev.payload
            err = payload.get("error") if isinstance(payload, dict) else None
            if isinstance(err, dict):
                return ErrorSeen(err, None, _show(err, f"SSE error event #{ev.index}"))
    if answer.end in ("transport-error", "http-error", "json-error"):
        return ErrorSeen(None, answer.status_code, f"{answer.end}: {answer.end_reason}")
    return ErrorSeen(None, answer.status_code, f"no error: {answer.describe()}")


def _rest_match(seen: ErrorSeen, shape: RestShape, any_status: bool) -> bool:
    body = seen.body
    if body is None:
        return False
    reason = seen.reason if seen.reason in REASON_CODES else None  # foreign reasons: ignored
    if reason is not None and reason not in shape.reasons:
        return False  # a different A2A error
    if reason is None and shape.reason_required:
        return False
    name = body.get("status")
    if name is not None and name not in shape.status:
        return False
    http = seen.http_status if seen.http_status is not None else body.get("code")
    return (any_status and reason is not None) or http in shape.http


def _rest_alternatives(code: int, shape: RestShape, any_status: bool) -> str:
    reasons = " or ".join(shape.reasons)
    https = " or ".join(str(h) for h in shape.http)
    why = f"HTTP {https}" + (" (any HTTP status with the reason)" if any_status else "")
    reason = (f"ErrorInfo reason {reasons}" if shape.reason_required
              else f"ErrorInfo reason {reasons} when given")
    return (f"{why} with a google.rpc.Status body meaning {code}: {reason}, status "
            f"{' or '.join(shape.status)} when given")


def error_code(
    answer: StreamResult | CallResult,
    code: int,
    *,
    binding: Binding,
    rest_status: int | None = None,
) -> Verdict:
    """The answer is error ``code``, in any form the binding allows (R19, R20).

    JSON-RPC: a JSON error object whose ``code`` is ``code``, whatever the HTTP status. REST:
    a google.rpc.Status JSON body in any shape of :data:`REST_SHAPES` (HTTP status, ``status``
    name, ErrorInfo reason when given); ``rest_status=None`` judges only which error it is
    (the HTTP status may differ when a reason names it). On a stream, one SSE error event
    carrying the error is accepted too (R20 is silent on the form of an error before the first
    event). A body that is not JSON (an HTML error page) is never evidence of any code.
    """
    seen = error_seen(answer)
    stream = isinstance(answer, StreamResult)
    if binding == "rest":
        shape = REST_SHAPES.get(code, RestShape((400,), (), (), True))
        any_status = rest_status is None
        alternatives = [_rest_alternatives(code, shape, any_status)]
        passed = _rest_match(seen, shape, any_status)
        sse = "one SSE error event carrying that google.rpc.Status (HTTP 200 stream)"
    else:
        alternatives = [f"a JSON-RPC error object with code {code}"
                        + (" as a JSON answer" if stream else "")]
        passed = seen.code == code and not isinstance(seen.code, bool)
        sse = f"one SSE error event with code {code} (HTTP 200 stream)"
    if stream:
        alternatives.append(sse)
    return Verdict(passed, tuple(alternatives), seen.shown, answer)


def error_answer(answer: StreamResult | CallResult) -> Verdict:
    """The answer is an error with a code, any code, as a JSON body or an SSE error event."""
    seen = error_seen(answer)
    code = seen.code
    return Verdict(isinstance(code, int) and not isinstance(code, bool),
                   ("a JSON error body with an integer code",
                    "an SSE error event with an integer code"), seen.shown, answer)


def terminal_status(res: StreamResult, *, or_error: bool = False,
                    or_http_error: bool = False) -> Verdict:
    """The stream delivers a terminal state (a Task or status event), or, with ``or_error``,
    an error with a code (a JSON error answer or an SSE error event; an HTML page is not),
    or, with ``or_http_error``, any non-2xx answer (when which error is judged elsewhere)."""
    alternatives = [f"a Task or status event in a terminal state ({_TERMINALS})"]
    if or_error:
        alternatives.append("an error with a code (JSON error answer or SSE error event)")
        seen = error_seen(res)
        if isinstance(seen.code, int) and not isinstance(seen.code, bool):
            return Verdict(True, tuple(alternatives), f"error {seen.code}", res)
    if or_http_error:
        alternatives.append("an HTTP error answer (non-2xx, any body)")
        if res.end == "http-error":
            return Verdict(True, tuple(alternatives), f"HTTP {res.status_code}", res)
    terminal = res.terminal_events()
    if terminal:
        return Verdict(True, tuple(alternatives), f"terminal {terminal[0].state}", res)
    what = "no terminal state and no error" if or_error else "no terminal state"
    return Verdict(False, tuple(alternatives), f"{what}: {res.describe()}", res)


def closed(res: StreamResult, *, after: str, grace: float) -> Verdict:
    """The server closed the stream within ``grace`` seconds of ``after`` (``end=closed``:
    ``collect()`` reports ``open-after-terminal`` for a stream still open that long)."""
    return Verdict(res.end == "closed",
                   (f"the server closes the stream within {grace:.2f}s of {after}",),
                   f"end={res.end} ({res.end_reason})", res)


def ended(res: StreamResult) -> Verdict:
    """The stream ended at all (no hang): any of :data:`ENDED`."""
    return Verdict(res.end in ENDED,
                   (f"the stream ends (no hang): end in {', '.join(ENDED)}",),
                   f"end={res.end} ({res.end_reason})", res)


def failure_reported(res: StreamResult) -> Verdict:
    """An agent failure reached the client: a ``failed`` status update, an in-stream error
    event, or a JSON error answer instead of the stream (bug #8: a silent empty close). An
    error page that is not JSON (a proxy's HTML 502) says nothing about the agent."""
    failed = any(ev.kind == "status" and ev.state == "failed" for ev in res.events)
    errors = any(ev.kind == "error" for ev in res.events)
    answered = res.error is not None and error_seen(res).body is not None
    seen = res.describe() if res.events else error_seen(res).shown if res.error else (
        f"nothing: HTTP {res.status_code}, {res.bytes_received} bytes, end={res.end}")
    return Verdict(answered or failed or errors,
                   ("a failed status update", "an in-stream JSON-RPC error event",
                    "a JSON error answer"), seen, res)


def is_message_answer(res: StreamResult) -> bool:
    """A message answer: exactly one Message event and nothing else (R5). A stream that
    merely starts with a Message and goes on is a task stream, and is judged as one."""
    return [ev.kind for ev in res.events] == ["message"] and res.error is None


def names_task(res: StreamResult, what: str = "a task stream") -> Verdict:
    """The stream names its task: some event carries a non-empty taskId."""
    return Verdict(bool(res.task_id), (f"{what} (an event naming its taskId)",),
                   res.describe(), res)


def task_state(call: CallResult, states: Collection[str] = TERMINAL_STATES,
               what: str = "a terminal state") -> Verdict:
    """GetTask answers with the task in one of ``states``."""
    return Verdict(call.task is not None and call.state in states,
                   (f"GetTask reports {what} ({', '.join(sorted(states))})",),
                   call.describe(), call)
