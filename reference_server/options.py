"""Fault switches, legal variations and the options object every module reads.

The two dicts are the documentation: name → one line saying what it changes. Scenario authors
code against these names (docs/architecture.md §3), so they are a contract.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

FAULTS: dict[str, str] = {
    "final-before-artifact": (
        "the terminal status is written before the artifact update that preceded it (R9)"
    ),
    "no-close-after-terminal": (
        "after any terminal status the stream stays open (idle) until the client leaves (R5/R8)"
    ),
    "rejected-not-final": (
        "`rejected` is not treated as final: stream stays open; 0.3 `final: false` (R5/R8)"
    ),
    "duplicate-final": "the terminal status update is sent twice (R5)",
    "state-regression": (
        "after the first `working` status a `submitted` status follows (state machine)"
    ),
    "no-task-first": (
        "task streams start with a status update instead of the Task (R5, 1.0; 0.3 too)"
    ),
    "final-flag-missing": "0.3: `final` is false on the terminal status update (R8)",
    "interrupted-final-false": (
        "0.3: the status update that ends a stream on input-required/auth-required says"
        " `final: false` (R8; a2a-sdk 1.3.0)"
    ),
    "followup-no-task-first": (
        "the stream of a follow-up message (same taskId, continuing an input-required task)"
        " has no Task first: it starts with the agent's first update (R5/R6; a2a-sdk 1.3.0)"
    ),
    "reply-stream-open": (
        "a message-only (`reply`) stream stays open (idle) after its one Message (R5/R6)"
    ),
    "store-lags-stream": (
        "GetTask keeps reporting the state before a failed/canceled/rejected status step of"
        " the script (streamed, never stored; A2A #373)"
    ),
    "message-event-in-task": (
        '1.0: a `{"message":T}` step is streamed as a standalone Message event in a task '
        "stream (R5)"
    ),
    "batched-events": (
        "events are held back and written all at once when the task ends (R4, delivery as produced)"
    ),
    "mismatched-ids": "status/artifact updates carry an empty `contextId` (R16)",
    "rpc-id-mismatch": "JSON-RPC stream events carry a different `id` than the request (R1)",
    "wrong-content-type": (
        "streams are answered with `Content-Type: application/x-ndjson` (same body) (R1)"
    ),
    "legacy-enums-1.0": "1.0 events use 0.3 spellings: lowercase states and `kind` members (R23)",
    "timestamp-not-utc": "status timestamps carry a `+02:00` offset instead of UTC `Z` (R23)",
    "append-unannounced": "the first chunk of every artifact is sent with `append: true` (R13)",
    "chunk-after-last": "an extra `append` chunk follows the chunk marked `lastChunk` (R13)",
    "artifact-mismatch": (
        "GetTask returns only the last chunk of each artifact, not the reassembled whole (R13)"
    ),
    "exception-hangs": (
        "an agent exception emits nothing and leaves the stream open forever (error handling)"
    ),
    "exception-empty-200": (
        "an agent exception closes the stream with no terminal status (before the first "
        "event: HTTP 200, empty body); the task stays `working` (bug #8)"
    ),
    "cancel-not-delivered": (
        "cancel reaches the store but open streams end without a `canceled` status (R17, bug #10)"
    ),
    "cancel-slow": "the cancel call answers only after the task has ended by itself (R17)",
    "cancel-not-persisted": (
        "cancel answers with the canceled Task and streams get `canceled`, but GetTask keeps"
        " reporting the state before the cancel (R17; a2a-python #1170)"
    ),
    "cancel-terminal-accepted": (
        "cancel of a terminal task returns the Task instead of -32002 (R17)"
    ),
    "disconnect-cancels": "the client dropping the original stream cancels the task (R12, bug #19)",
    "subscribers-interfere": (
        "closing one stream of a task closes every other stream of that task (R12)"
    ),
    "reattach-no-snapshot": (
        "re-attach streams later events without the Task snapshot first; to an input-required"
        " task it sends nothing and closes (R10; a2a-js #540)"
    ),
    "reattach-race": (
        "re-attach takes the snapshot, then subscribes after a 50 ms window; a task "
        "ending in the window leaves the subscriber hanging (R10, bug #25)"
    ),
    "reattach-terminal-wrong-code": (
        "re-attach to a terminal task → -32001 instead of -32004 (1.0) (R10, bug #3)"
    ),
    "slow-consumer-blocks": (
        "delivery waits on every subscriber under one global lock: one slow reader stalls"
        " its agent and every other task (bug #21)"
    ),
    "slow-consumer-drops": (
        "on buffer overflow events are silently dropped while the stream stays open (bug #21)"
    ),
    "unbounded-buffer": (
        "per-subscriber buffers are unbounded and hold each event as its own encoded frame:"
        " memory grows with what a slow reader has not read (bug #21)"
    ),
    "freeze-after-burst": (
        "the first task to end after a reader fell a whole buffer behind its burst blocks the"
        " server's event loop for 5 s: every connection freezes, then all is well (once per"
        " server; bug #21)"
    ),
    "load-drops-events": (
        "with more than 4 streams open at once, every 97th event written to a stream past its"
        " 32nd (counted across streams) is silently skipped (bug #20; a2a-python #768)"
    ),
    "wrong-error-code-unknown-task": (
        "unknown task id on get/cancel/re-attach → -32603 (REST 500) instead of -32001 (R19)"
    ),
    "generic-error-codes": (
        "malformed JSON, invalid request, unknown method, invalid params all → -32603 (R19)"
    ),
    "errors-as-500": "every JSON-RPC/REST error is answered as HTTP 500 `text/plain` (R19/R20)",
    "version-not-checked": "an unsupported `A2A-Version` is served as 1.0 instead of -32009 (R22)",
    "streaming-capability-ignored": (
        "the card says `streaming: false` but streaming methods still stream (R18)"
    ),
    "card-legacy-path": (
        "the card is served only at the ≤0.2 path `/.well-known/agent.json`;"
        " `/.well-known/agent-card.json` answers 404 (R21/R22)"
    ),
    "card-incomplete": (
        "the card lacks `description`, `defaultInputModes` and `defaultOutputModes` (R21/R22)"
    ),
    "interface-dialect-mismatch": (
        "the card declares a second 1.0 JSONRPC interface at `/v03`, which speaks only 0.3"
        " (ignores `A2A-Version`) (R22)"
    ),
}

VARIANTS: dict[str, str] = {
    "crlf": "SSE lines end with CRLF",
    "cr": "SSE lines end with CR",
    "comments": "`: ping` comment lines before the first event and between events",
    "multiline-data": "each event's JSON pretty-printed over several `data:` lines",
    "sse-fields": "`event: message`, `id: N` and a `retry: 1000` field on every event",
    "unknown-members": "extra unknown JSON members in every object of every event",
    "final-task": (
        "1.0: a final Task snapshot is sent after the terminal status update (S10 §11.7 MAY)"
    ),
    "tiny-chunks": "the body is written a few (3) bytes at a time",
    "interrupted-stays-open": (
        "streams stay open on input-required/auth-required (as a2a-java does)"
    ),
    "sse-errors": (
        "errors raised before the first event come back as HTTP 200 SSE with one JSON-RPC"
        " error event, then close (R20 silent)"
    ),
    "no-streaming": "the card says `streaming: false`; streaming methods answer -32004",
    "answers-in-turn": (
        "the plain-text agent answers one prompt at a time, in arrival order: a task stays"
        " `submitted` until the answer before it has ended (fasta2a's single worker does)"
    ),
    "rest-errors-no-errorinfo": (
        "REST: errors that are not A2A-specific (parse, invalid request, invalid params,"
        " internal) are a bare google.rpc.Status `{code, status, message}` without details"
    ),
    "rest-errors-bad-request-detail": (
        "REST: errors that are not A2A-specific carry a google.rpc.BadRequest detail"
        " instead of an ErrorInfo (S10 §11.6 SHOULD)"
    ),
    "rest-errors-v1.0.0": (
        "REST: A2A errors use spec v1.0.0's §5.4 table: TaskNotCancelable HTTP 409,"
        " ContentTypeNotSupported 415, status UNIMPLEMENTED for UnsupportedOperation,"
        " VersionNotSupported and PushNotificationNotSupported"
    ),
}

DEFAULT_BUFFER = 1024
MAX_BODY_BYTES = 1024 * 1024


@dataclass(frozen=True)
class Options:
    """What one server instance is switched to: faults, variants, per-subscriber buffer."""

    faults: frozenset[str] = frozenset()
    variants: frozenset[str] = frozenset()
    buffer: int = DEFAULT_BUFFER
    max_body: int = MAX_BODY_BYTES

    def fault(self, name: str) -> bool:
        assert name in FAULTS, name
        return name in self.faults

    def variant(self, name: str) -> bool:
        assert name in VARIANTS, name
        return name in self.variants


def make_options(
    faults: Iterable[str] = (), variants: Iterable[str] = (), buffer: int = DEFAULT_BUFFER
) -> Options:
    """Validated options; unknown names raise ValueError listing the valid choices."""
    faults, variants = frozenset(faults), frozenset(variants)
    for kind, given, valid in (("fault", faults, FAULTS), ("variant", variants, VARIANTS)):
        unknown = sorted(given - set(valid))
        if unknown:
            raise ValueError(
                f"unknown {kind}(s) {', '.join(unknown)}; valid {kind}s: {', '.join(sorted(valid))}"
            )
    if buffer < 1:
        raise ValueError(f"buffer must be at least 1 event, got {buffer}")
    return Options(faults=faults, variants=variants, buffer=buffer)
