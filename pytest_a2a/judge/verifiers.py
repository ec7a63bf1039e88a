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
from typing import Literal

from pytest_a2a.wire.models import TERMINAL_STATES, RpcError
from pytest_a2a.wire.results import END_STATES, CallResult, EndState, StreamResult

__all__ = [
    "ENDED",
    "NOT_ENDED",
    "Binding",
    "Verdict",
    "closed",
    "ended",
    "error_code",
    "failure_reported",
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

    @property
    def expected_text(self) -> str:
        return "; or ".join(self.expected)


def _error_text(err: RpcError | None, answer: StreamResult | CallResult) -> str:
    if err is None:
        return f"no error: {answer.describe()}"
    http = f" (HTTP {err.http_status})" if err.http_status is not None else " (SSE event)"
    reason = f" {err.reason}" if err.reason else ""
    return f"error {err.code}{http}{reason} {err.message[:120]!r}"


def _error_of(answer: StreamResult | CallResult) -> RpcError | None:
    """A call's error; a stream's pre-stream error, else its first SSE error event's."""
    return answer.rpc_error if isinstance(answer, StreamResult) else answer.error


def error_code(
    answer: StreamResult | CallResult,
    code: int,
    *,
    binding: Binding,
    rest_status: int | None = None,
) -> Verdict:
    """The answer is error ``code``, in any form the binding allows (R19, R20).

    JSON-RPC: the error object's code, whatever the HTTP status. REST: a google.rpc.Status body
    (its ErrorInfo reason, else its HTTP status, mapped to the JSON-RPC code by the client)
    with HTTP ``rest_status`` (``None``: any status). On a stream, one SSE error event carrying
    the code is accepted too (R20 is silent on the form of an error before the first event).
    """
    err = _error_of(answer)
    stream = isinstance(answer, StreamResult)
    sse = f"one SSE error event with code {code} (HTTP 200 stream)"
    if binding == "rest":
        status = f"HTTP {rest_status}" if rest_status is not None else "any HTTP status"
        alternatives = [f"{status} with a google.rpc.Status body meaning {code}"]
        # an SSE error event is the only error without an HTTP status
        passed = err is not None and err.code == code and (
            rest_status is None or err.http_status in (rest_status, None))
    else:
        alternatives = [f"JSON-RPC error {code}" + (" as a JSON answer" if stream else "")]
        passed = err is not None and err.code == code
    if stream:
        alternatives.append(sse)
    return Verdict(passed, tuple(alternatives), _error_text(err, answer), answer)


def terminal_status(res: StreamResult, *, or_error: bool = False) -> Verdict:
    """The stream delivers a terminal state (a Task or status event), or, with ``or_error``,
    an error with a code (a JSON error answer or an SSE error event)."""
    alternatives = [f"a Task or status event in a terminal state ({_TERMINALS})"]
    if or_error:
        alternatives.append("an error with a code (JSON error answer or SSE error event)")
        err = res.rpc_error
        if err is not None and err.code is not None:
            return Verdict(True, tuple(alternatives), f"error {err.code}", res)
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
    event, or a JSON error answer instead of the stream (bug #8: a silent empty close)."""
    failed = any(ev.kind == "status" and ev.state == "failed" for ev in res.events)
    errors = any(ev.kind == "error" for ev in res.events)
    seen = res.describe() if res.events or res.error else (
        f"nothing: HTTP {res.status_code}, {res.bytes_received} bytes, end={res.end}")
    return Verdict(res.error is not None or failed or errors,
                   ("a failed status update", "an in-stream JSON-RPC error event",
                    "a JSON error answer"), seen, res)


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
