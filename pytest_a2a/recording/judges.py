"""Which requirement each replayed streaming exchange is judged by, and the judges that need
more than one exchange (a later GetTask of the stream's task in the same recording).

Requirement ids and levels come from the registry; a requirement is judged only in the
dialects its entry lists. Requirements about several concurrent streams, cancel, re-attach
races, load or server memory are not judged offline (docs/recordings.md lists them).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from pytest_a2a.judge import stream_rules as rules
from pytest_a2a.judge import verifiers
from pytest_a2a.judge.requirements import Registry, Requirement
from pytest_a2a.recording import judges_more as more
from pytest_a2a.recording import judges_stream as st
from pytest_a2a.recording.judges_stream import Judgement, judged, na, skip, task_events, verdict
from pytest_a2a.recording.replay import Replayed, replay_call, replay_stream
from pytest_a2a.wire.results import CallResult


def _later_get(r: Replayed) -> CallResult | str:
    """The first GetTask of this stream's task recorded after it, or why there is none."""
    tid = r.result.task_id
    if not tid:
        return "the stream names no task"
    start = r.exchange.started
    for ex in r.recording.exchanges:
        if ex.op != "get" or ex.index <= r.exchange.index:
            continue
        if start is not None and ex.started is not None and ex.started < start:
            continue
        from pytest_a2a.recording.guess import request_facts

        if request_facts(ex).task_id != tid:
            continue
        call = replay_call(ex)
        if call is not None:
            return call
    return f"not observable from this recording: it holds no GetTask of task {tid} after " \
           "this stream"


def get_task_agrees(r: Replayed) -> Judgement:
    _events, nj = task_events(r)
    if nj:
        return nj
    terminal = r.result.terminal_events()
    if not terminal:
        return na("the stream ends in no terminal state")
    got = _later_get(r)
    if isinstance(got, str):
        return skip(got)
    end = str(terminal[0].state)
    return judged(verifiers.task_state(got, {end}, f"the stream's end state {end}"))


def reassembly_matches_get(r: Replayed) -> Judgement:
    _events, nj = task_events(r)
    if nj:
        return nj
    if not any(ev.artifact_update is not None for ev in r.result.events):
        return na("no artifact update in the recording")
    got = _later_get(r)
    if isinstance(got, str):
        return skip(got)
    if r.truncated:
        return skip("the recording stops at its size cap: the reassembly is incomplete")
    return judged(rules.reassembly_matches(r.result, got))


def reattach_snapshot_first(r: Replayed) -> Judgement:
    if r.exchange.op != "resubscribe":
        return na("not a re-attach")
    events, nj = st.stream_events(r)
    if nj:
        return nj
    first = events[0]
    if first.kind == "error":
        return na("answered with an SSE error event (errors.* judge error answers)")
    want = r.facts.task_id
    return verdict(first.kind == "task" and (want is None or first.task_id == want),
                   f"the first event is a Task snapshot of task {want}",
                   r.result.describe())


def _binding(r: Replayed) -> Literal["jsonrpc", "rest"]:
    return "rest" if (r.exchange.dialect or "").endswith("rest") else "jsonrpc"


def invalid_params(r: Replayed) -> Judgement:
    """A streaming request whose message has no parts gets -32602 (REST 400), JSON or SSE."""
    message = r.facts.message
    if r.exchange.op != "stream" or message is None or message.get("parts"):
        return na("not a streaming request with a part-less message")
    return judged(verifiers.error_code(r.result, -32602, binding=_binding(r), rest_status=400))


def reattach_terminal_task(r: Replayed) -> Judgement:
    """1.0: a re-attach to a task an earlier stream of this recording saw end gets -32004."""
    want = r.facts.task_id
    if r.exchange.op != "resubscribe" or not want:
        return na("not a re-attach")
    start = r.exchange.started
    ended = False
    for ex in r.recording.exchanges:
        if ex.index >= r.exchange.index or not ex.streaming or ex.dialect is None:
            continue
        earlier = replay_stream(r.recording, ex, r.budget).result
        # the terminal event must have arrived before this re-attach was sent (a re-attach to
        # a running task that ends meanwhile is reattach.race's business)
        ended = ended or any(
            ev.is_terminal and ev.task_id == want and start is not None
            and ex.started is not None and ex.started + ev.t < start
            for ev in earlier.events)
    if not ended:
        return na("the recording shows no earlier stream of this task reaching a terminal state")
    return judged(verifiers.error_code(r.result, -32004, binding=_binding(r)))


Judge = Callable[[Replayed], Judgement]

#: requirement id -> judge; order = report order
JUDGES: dict[str, Judge] = {
    "framing.content-type": st.content_type,
    "framing.schema-valid": st.schema_valid,
    "framing.proto-json-1.0": st.proto_json,
    "framing.no-kind-1.0": st.no_kind,
    "framing.timestamp-utc": st.timestamp_utc,
    "framing.anti-buffering": st.anti_buffering,
    "ordering.task-first": lambda r: st.task_first(r, follow_up=False),
    "ordering.task-first-0.3": lambda r: st.task_first(r, follow_up=False),
    "ordering.followup-task-first": lambda r: st.task_first(r, follow_up=True),
    "ordering.followup-task-first-0.3": lambda r: st.task_first(r, follow_up=True),
    "ordering.message-only": st.message_only,
    "ordering.message-only-0.3": st.message_only,
    "ordering.script-order": st.script_order,
    "ordering.artifacts-before-terminal": st.artifacts_before_terminal,
    "ordering.single-terminal": st.single_terminal,
    "ordering.state-machine": st.state_machine,
    "ordering.ids-consistent": more.ids_consistent,
    "ordering.rpc-id": more.rpc_id,
    "ordering.no-message-in-task": more.no_message_in_task,
    "ordering.incremental-delivery": more.incremental,
    "ordering.incremental-delivery-0.3": more.incremental,
    "closure.closes-after-terminal": more.closes_after_terminal,
    "closure.final-flag": more.final_flag,
    "closure.final-on-interrupted": more.final_on_interrupted,
    "closure.interrupted": more.interrupted,
    "closure.get-task-agrees": get_task_agrees,
    "artifacts.append-announced": more.append_announced,
    "artifacts.nothing-after-last-chunk": more.nothing_after_last_chunk,
    "artifacts.reassembly-matches-get": reassembly_matches_get,
    "reattach.snapshot-first": reattach_snapshot_first,
    "reattach.terminal-task": reattach_terminal_task,
    "errors.invalid-params": invalid_params,
    "errors.exception-ends-stream": more.exception_ends_stream,
    "errors.json-errors": more.json_errors,
    "errors.pre-stream-error-form": more.pre_stream_error_form,
}


@dataclass
class Case:
    """One generated replay test: a streaming exchange judged by one requirement."""

    replayed: Replayed
    requirement: Requirement
    judgement: Judgement | None  # None: the judge raised (the test reports the error)
    error: BaseException | None = None


def cases(r: Replayed, registry: Registry) -> list[Case]:
    """Every requirement that applies to this exchange (``n/a`` ones generate no test)."""
    out: list[Case] = []
    dialect = r.exchange.dialect
    for rid, judge in JUDGES.items():
        req = registry.get(rid)
        if req is None or dialect is None or not req.applies_to(dialect):
            continue
        try:
            j = judge(r)
        except Exception as exc:  # a judge bug must show as an error, never as a pass
            out.append(Case(r, req, None, exc))
            continue
        if j.outcome != "n/a":
            out.append(Case(r, req, j))
    return out
