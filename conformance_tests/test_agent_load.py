"""Black-box load (R4, R5, R9): several long prompts at once, each stream judged on its own.

An agent's answers are not known in advance, so "nothing lost" is judged against the agent's
own record: each stream's chunks, reassembled, must equal what GetTask stores for its task,
and "nothing mixed" means each stream names one task, a different one per stream. The load
runs once per target and dialect; the three requirements read the same run, a shared run
(:mod:`conformance_tests.shared_runs`): each test that judges it holds its evidence.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass

import pytest

from conformance_tests.agent_support import Answer, Which, answer, not_observable, prompts
from conformance_tests.shared_runs import SharedRuns, performed_alone, shown_beside
from pytest_a2a.judge.context import A2AContext
from pytest_a2a.judge.stream_rules import reassemble, stored_artifacts
from pytest_a2a.wire.gather import gather_bounded
from pytest_a2a.wire.results import CallResult, StreamResult

pytestmark = pytest.mark.asyncio

#: concurrent long prompts: enough to load an agent (and more than 4, where real servers
#: started to lose events), few enough for an LLM agent's rate limits
STREAMS = 6


@dataclass(frozen=True)
class LoadRun:
    results: tuple[StreamResult | BaseException, ...]
    stored: tuple[CallResult | None, ...]  # GetTask per stream (None: no task named)
    elapsed: float


_RUNS: SharedRuns[LoadRun] = SharedRuns()


async def _load(a2a: A2AContext) -> LoadRun:
    a2a.needs_streaming()
    text = a2a.needs_long_prompt()

    async def flood() -> LoadRun:
        started = time.monotonic()
        deadline = started + a2a.budget.stream
        results = await gather_bounded(
            [a2a.client.stream_collect(text, deadline=deadline) for _ in range(STREAMS)],
            timeout=a2a.budget.stream + a2a.budget.close_grace)
        elapsed = time.monotonic() - started
        stored: list[CallResult | None] = []
        for res in results:
            task_id = None if isinstance(res, BaseException) else res.task_id
            stored.append(await a2a.client.get_task(task_id) if task_id else None)
        return LoadRun(tuple(results), tuple(stored), elapsed)

    return await _RUNS.get(a2a, (a2a.url, a2a.dialect), flood)


def _problem(res: StreamResult | BaseException, got: CallResult | None,
             others: set[str], content: bool) -> str | None:
    """Why one stream of the load is not whole and its own, or None (``content``: compare
    its chunks with what GetTask stores)."""
    if isinstance(res, BaseException):
        return f"{type(res).__name__}: {res}"
    if not res.terminal_events():
        return f"no terminal status: {res.describe()}"
    ids = {ev.task_id for ev in res.events if ev.task_id}
    if len(ids) != 1:
        return f"events of several tasks in one stream: {sorted(ids)}"
    if ids & others:
        return f"its task {sorted(ids)} is another stream's task too"
    streamed = reassemble(res.events)
    stored = stored_artifacts(got) if got is not None else None
    if content and stored != streamed:
        lengths = {k: len(v) for k, v in streamed.items()}
        kept = {k: len(v) for k, v in (stored or {}).items()}
        return (f"the streamed chunks reassemble to {lengths} characters, GetTask stores "
                f"{kept if got is not None and got.task is not None else got}: "
                "chunks lost, duplicated or mixed")
    return None


def _stores_stream(alone: Answer) -> bool:
    """GetTask stores what the answer streamed (the reference for "nothing lost")."""
    return alone.got is not None and stored_artifacts(alone.got) == reassemble(
        alone.res.events) != {}


@pytest.mark.a2a_requirement("load.concurrent-complete")
@prompts("long")  # the case id "long" lets an expectation name these, not the scripted load
async def test_agent_load_complete(a2a: A2AContext, which: Which) -> None:
    """R4/R5: every one of several concurrent long answers is whole and only its own."""
    run = await _load(a2a)
    # GetTask is the reference for "nothing lost" only if it stores what one unloaded answer
    # streamed (else that is artifacts.reassembly-matches-get's failure, not a load one)
    content = _stores_stream(await answer(a2a, "long"))
    if not content and shown_beside(a2a):  # that answer was read beside the re-attach sessions
        with performed_alone():
            content = _stores_stream(await answer(a2a, "long"))
    a2a.record("streams", STREAMS)
    a2a.record("elapsed_s", round(run.elapsed, 3))
    bad: list[tuple[int, str, StreamResult | None]] = []
    for n, (res, got) in enumerate(zip(run.results, run.stored, strict=True)):
        others = {r.task_id for m, r in enumerate(run.results)
                  if m != n and isinstance(r, StreamResult) and r.task_id}
        if (why := _problem(res, got, others, content)) is not None:
            bad.append((n, why, res if isinstance(res, StreamResult) else None))
    first = bad[0] if bad else (0, "", None)
    a2a.check(not bad, expected=f"all {STREAMS} concurrent answers reach their terminal status, "
              "each naming its own task, their chunks equal to what GetTask stores",
              actual=f"{len(bad)}/{STREAMS} streams wrong; stream #{first[0]}: {first[1]}",
              stream=first[2])
    if not content:
        not_observable(a2a, "every answer ended whole and its own, but lost chunks cannot be "
                       "told: GetTask does not store what one unloaded answer streamed "
                       "(artifacts.reassembly-matches-get)")


@pytest.mark.a2a_requirement("ordering.order-under-load")
@pytest.mark.a2a_stress  # the same flood as load.*: run after every other scenario
@prompts("long")  # the case id "long" lets an expectation name these, not the scripted load
async def test_agent_order_under_load(a2a: A2AContext, which: Which) -> None:
    """R4/R9 under concurrency: each answer's chunks and messages before its terminal status."""
    run = await _load(a2a)
    ended = [r for r in run.results if isinstance(r, StreamResult) and r.terminal_events()]
    if not ended:
        not_observable(a2a, f"none of the {STREAMS} concurrent answers reached a terminal status "
                       "(load.concurrent-complete judges that)")
    late: list[tuple[StreamResult, str]] = []
    for res in ended:
        end = res.terminal_events()[0].index
        after = [ev for ev in res.events[end + 1:] if ev.kind in ("artifact", "message")]
        if after:
            late.append((res, f"#{after[0].index} {after[0].describe()} after the terminal "
                              f"status #{end}"))
    a2a.record("judged_streams", len(ended))
    a2a.check(not late, expected=f"in each of the {len(ended)} answers that ended, every chunk "
              "and message before the terminal status",
              actual=f"{len(late)} streams wrong; first: {late[0][1] if late else ''}",
              stream=late[0][0] if late else None)


def _pct(values: list[float], q: float) -> float | None:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 4) if ordered else None


@pytest.mark.a2a_requirement("load.latency")
@prompts("long")  # the case id "long" lets an expectation name these, not the scripted load
async def test_agent_load_latency(a2a: A2AContext, which: Which) -> None:
    """INFO: time to first event / to the terminal status of concurrent long answers."""
    run = await _load(a2a)
    done = [r for r in run.results if isinstance(r, StreamResult)]
    first = [r.events[0].t for r in done if r.events]
    term = [r.terminal_events()[0].t for r in done if r.terminal_events()]
    a2a.record("streams", STREAMS)
    a2a.record("first_event_p50_s", _pct(first, 0.5))
    a2a.record("first_event_max_s", _pct(first, 1.0))
    a2a.record("terminal_p50_s", _pct(term, 0.5))
    a2a.record("terminal_max_s", _pct(term, 1.0))
    a2a.record("terminal_mean_s", round(statistics.fmean(term), 4) if term else None)
    a2a.record("elapsed_s", round(run.elapsed, 3))
    a2a.check(len(term) == STREAMS, expected="every answer reaches a terminal status",
              actual=f"{len(term)} of {STREAMS} did")
