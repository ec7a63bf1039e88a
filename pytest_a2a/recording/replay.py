"""Rebuild what the live client would have seen from a recorded exchange.

A :class:`ReplayStream` is one more source of the live client's own
:class:`~pytest_a2a.wire.stream.EventStream` (next to httpx and the raw-socket slow reader): it
feeds the recorded chunks at their recorded arrival times on a virtual clock, and between two
chunks asks the stream's own end rules (``_next_check``/``_verdict``) what the live consumer
would have decided meanwhile. Parsing, decoding, schema checks and end verdicts are therefore
the live code, not a copy that could drift from it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from pytest_a2a.budget import Budget
from pytest_a2a.recording.guess import RequestFacts, request_facts
from pytest_a2a.recording.model import Exchange, Recording
from pytest_a2a.wire.dialects import Dialect, HttpRequest, get_dialect
from pytest_a2a.wire.media import is_json_type
from pytest_a2a.wire.results import CallResult, StreamResult
from pytest_a2a.wire.sse import DEFAULT_MAX_EVENT_BYTES
from pytest_a2a.wire.stream import EventStream

__all__ = ["ReplayStream", "Replayed", "replay_call", "replay_stream"]


@dataclass
class Replayed:
    """A replayed streaming exchange: the live-equivalent result plus what the capture lacks."""

    recording: Recording
    exchange: Exchange
    result: StreamResult
    facts: RequestFacts
    timed: bool  # arrival times recorded: delivery timing and closure can be judged
    truncated: bool  # the body stops at the recording's size cap: the end is unknown
    budget: Budget  # the replay's budget (close grace, idle), as the live run's

    @property
    def name(self) -> str:
        return self.recording.exchange_id(self.exchange)

    @property
    def headers_known(self) -> bool:
        return self.exchange.status is not None


class ReplayStream(EventStream):
    """An ``EventStream`` whose clock is the recording's: ``now()`` is the replay position."""

    def __init__(self, dialect: Dialect, budget: Budget, *, request_id: str | None = None,
                 max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES) -> None:
        super().__init__(dialect, budget, request_id=request_id,
                         max_event_bytes=max_event_bytes)
        self._vnow = 0.0

    def now(self) -> float:
        return self._vnow

    def _advance(self, until: float) -> None:
        """Let virtual time pass up to ``until``: the live consumer's verdicts in between."""
        while self.end is None:
            check = self._next_check()
            if check > until:
                break
            self._vnow = max(self._vnow, check)
            verdict = self._verdict()
            if verdict is None:  # cannot happen at a check time; never loop on it
                break
            self._finish(*verdict)
        if self.end is None:
            self._vnow = max(self._vnow, until)

    def play(self, ex: Exchange) -> None:
        """Feed ``ex`` through the stream's source-side API, ending it as the wire did."""
        timed = ex.timed
        # The live client of an own recording saw the wire end before any verdict of its own
        # (it judges only after reading what already arrived): then no verdict is derived from
        # read times, which on a loaded machine lag the wire (an EOF read 1.6 s late is still
        # the close the live client saw).
        derive = timed and ex.live_end not in ("closed", "http-error", "json-error",
                                               "transport-error")
        if ex.status is not None:
            self._vnow = ex.response_t if timed and ex.response_t is not None else 0.0
            headers = dict(ex.response_headers or [])
            self._record_headers(ex.status, ex.content_type, headers)
            if not 200 <= ex.status < 300 or is_json_type(ex.content_type):
                if timed and ex.end_t is not None:
                    self._vnow = ex.end_t
                self._record_error_body(ex.body, ex.truncated)
                return
        else:
            self.transcript.note(0.0, "(status line and headers not captured)")
        for chunk in ex.chunks:
            t = chunk.t if timed and chunk.t is not None else self._vnow
            if derive:
                self._advance(t)
            if self.end is not None:
                return
            self._vnow = max(self._vnow, t)
            self._ingest(chunk.data)
            if self.end is not None:  # oversize
                return
        if ex.truncated:
            self._finish("closed-by-client", f"the recording stops at its size cap "
                         f"({len(ex.body)} of {ex.total_bytes} bytes kept): the rest is unknown")
            return
        if not timed:
            self._finish("closed", "body complete (when the server closed was not recorded)")
            return
        assert ex.end_t is not None
        if derive:
            self._advance(ex.end_t)
        self._vnow = max(self._vnow, ex.end_t)
        if ex.end == "closed":
            self._finish("closed")
        elif ex.end == "transport-error":
            self._finish("transport-error", ex.end_reason)
        elif ex.end == "no-response":
            self._finish("stalled", ex.end_reason or "no response headers")
        else:
            self._finish("closed-by-client", f"the recording ends here (the recording client "
                         f"left{': ' + ex.end_reason if ex.end_reason else ''})")


def replay_stream(recording: Recording, ex: Exchange, budget: Budget) -> Replayed:
    """The ``StreamResult`` the live client would have collected from ``ex``."""
    if ex.dialect is None:
        raise ValueError(f"{recording.exchange_id(ex)}: dialect unknown")
    dialect = get_dialect(ex.dialect)
    facts = request_facts(ex)
    rpc_id = facts.rpc_id if facts.has_rpc_id and not dialect.is_rest else None
    stream = ReplayStream(dialect, budget,
                          request_id=None if rpc_id is None else str(rpc_id))
    stream.request_id = rpc_id  # the id as sent (a number stays a number, as live)
    label = f"replay of {recording.exchange_id(ex)}" + (f" ({recording.kind})"
                                                        if recording.kind != "a2a-recording/1"
                                                        else "")
    stream.transcript.request(ex.method, ex.url or "(URL not captured)", label)
    for note in ex.notes:
        stream.transcript.note(0.0, note)
    stream.play(ex)
    return Replayed(recording, ex, stream.result(), facts, ex.timed, ex.truncated, budget)


def replay_call(ex: Exchange) -> CallResult | None:
    """A recorded unary exchange decoded as the live client decodes it (None: not an A2A op)."""
    if ex.dialect is None or ex.op is None or ex.status is None or ex.streaming:
        return None
    dialect = get_dialect(ex.dialect)
    facts = request_facts(ex)
    req = HttpRequest(ex.op, ex.method, "", dict(ex.request_headers), ex.request_body,
                      facts.rpc_id if facts.has_rpc_id else None, ex.op)
    res = CallResult(op=ex.op, request_id=req.rpc_id)
    res.http_status = ex.status
    res.content_type = ex.content_type
    res.headers = dict(ex.response_headers or [])
    res.body = ex.body
    res.t = ex.end_t or 0.0
    res.transcript.request(ex.method, ex.url, f"replay of exchange #{ex.index}")
    res.transcript.response(res.t, ex.status, res.content_type)
    res.transcript.chunk(len(res.body))
    res.transcript.note(res.t, f"body: {res.body[:300].decode('utf-8', 'replace')!r}")
    dialect.decode_call(req, res)
    res.transcript.finish(res.t, "closed")
    return res


def describe_request(ex: Exchange) -> str:
    """One line for reports: ``POST http://... message/stream (v0.3-jsonrpc)``."""
    body = ex.request_body or b""
    method = ""
    try:
        payload = json.loads(body) if body else None
        if isinstance(payload, dict) and isinstance(payload.get("method"), str):
            method = " " + payload["method"]
    except ValueError:
        pass
    return f"{ex.method} {ex.url}{method} ({ex.dialect}, {ex.op})"
