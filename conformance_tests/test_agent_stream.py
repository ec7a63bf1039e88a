"""Black-box stream judges: what any agent's answer shows, on the short and the long prompt.

No script agent needed (these run with ``--a2a-scripted=no``): each test judges one
requirement on the stream of ``--a2a-prompt`` and of ``--a2a-long-prompt`` (read once per
target and dialect, see ``agent_support.answer``), and tolerates what the others own. A
requirement about something the answer does not contain (no artifact, no ``lastChunk``) is
not observable on that answer, never passed.
"""

from __future__ import annotations

import pytest

from conformance_tests.agent_support import (
    Which,
    answer,
    id_problems,
    not_observable,
    prompts,
    reassemble,
    stored_artifacts,
    task_stream,
)
from pytest_a2a.judge import verifiers
from pytest_a2a.judge.context import A2AContext
from pytest_a2a.wire.models import StreamEvent

pytestmark = pytest.mark.asyncio

#: lifecycle rank; interrupted states rank with working (a follow-up resumes them)
_RANK = {"submitted": 0, "working": 1, "input-required": 1, "auth-required": 1,
         "completed": 2, "failed": 2, "canceled": 2, "rejected": 2}


def _regressions(events: list[StreamEvent]) -> list[str]:
    problems: list[str] = []
    best, final = -1, None
    for ev in events:
        state = ev.state
        if ev.kind not in ("task", "status") or state not in _RANK:
            continue
        if final is not None and state != final:
            problems.append(f"#{ev.index} {state} after terminal {final}")
        elif _RANK[state] < best:
            problems.append(f"#{ev.index} {state} after a later state")
        best = max(best, _RANK[state])
        final = state if _RANK[state] == 2 else final
    return problems


@pytest.mark.a2a_requirement("ordering.state-machine")
@prompts()
async def test_agent_state_machine(a2a: A2AContext, which: Which) -> None:
    """S10 §4.1.3: the answer's states never move backwards, nothing but it after a terminal."""
    res = (await answer(a2a, which)).res
    task_stream(a2a, res)
    problems = _regressions(res.events)
    a2a.check(not problems, expected="states never move backwards",
              actual=f"{'; '.join(problems[:4])} in {res.describe()}", stream=res)


@pytest.mark.a2a_requirement("ordering.single-terminal")
@prompts()
async def test_agent_single_terminal(a2a: A2AContext, which: Which) -> None:
    """R5/R8: exactly one terminal status update (a final Task snapshot is not one)."""
    res = (await answer(a2a, which)).res
    task_stream(a2a, res)
    terminals = [ev for ev in res.events if ev.kind == "status" and ev.is_terminal]
    a2a.check(len(terminals) == 1, expected="exactly one terminal status update",
              actual=f"{len(terminals)}: {res.describe()}", stream=res)


@pytest.mark.a2a_requirement("ordering.artifacts-before-terminal")
@prompts()
async def test_agent_artifacts_before_terminal(a2a: A2AContext, which: Which) -> None:
    """R9: every artifact chunk and message of the answer arrives before its terminal status."""
    res = (await answer(a2a, which)).res
    task_stream(a2a, res)
    produced = [ev for ev in res.events if ev.kind in ("artifact", "message")]
    if not produced:
        not_observable(a2a, "the answer carried no artifact and no message")
    end = next(ev.index for ev in res.events if ev.is_terminal)
    late = [ev for ev in produced if ev.index > end]
    a2a.check(not late, expected="every artifact and message before the terminal status "
              f"(#{end})", actual="after it: " + ", ".join(f"#{e.index} {e.describe()}"
                                                           for e in late[:4]), stream=res)


@pytest.mark.a2a_requirement("artifacts.append-announced")
@prompts()
async def test_agent_append_announced(a2a: A2AContext, which: Which) -> None:
    """R13: ``append: true`` only on an artifactId the stream announced before."""
    res = (await answer(a2a, which)).res
    task_stream(a2a, res, terminal=False)
    updates = [ev for ev in res.events if ev.artifact_update is not None]
    if not updates:
        not_observable(a2a, "the answer streamed no artifact")
    seen: set[str | None] = set()
    bad = []
    for ev in updates:
        assert ev.artifact_update is not None
        aid = ev.artifact_update.artifact.artifact_id
        if ev.artifact_update.append and aid not in seen:
            bad.append(f"#{ev.index} append: true for unannounced {aid!r}")
        seen.add(aid)
    a2a.check(not bad, expected="the first chunk of every artifact has append: false",
              actual="; ".join(bad[:4]), stream=res)


@pytest.mark.a2a_requirement("artifacts.nothing-after-last-chunk")
@prompts()
async def test_agent_nothing_after_last_chunk(a2a: A2AContext, which: Which) -> None:
    """R13: after ``lastChunk: true`` no further chunk of that artifact, to the stream's end."""
    res = (await answer(a2a, which)).res
    task_stream(a2a, res)
    sealed: dict[str | None, int] = {}
    bad = []
    for ev in res.events:
        if (au := ev.artifact_update) is None:
            continue
        aid = au.artifact.artifact_id
        if aid in sealed:
            bad.append(f"#{ev.index} {ev.describe()} after the last chunk #{sealed[aid]}")
        if au.last_chunk:
            sealed.setdefault(aid, ev.index)
    if not sealed:
        not_observable(a2a, "no chunk of the answer was marked lastChunk: true")
    a2a.check(not bad, expected="no chunk after lastChunk: true", actual="; ".join(bad[:4]),
              stream=res)


@pytest.mark.a2a_requirement("ordering.ids-consistent")
@prompts("long")
async def test_agent_ids_consistent(a2a: A2AContext, which: Which) -> None:
    """R16 on the long answer (the short one: test_ordering's black-box scenario)."""
    res = (await answer(a2a, which)).res
    task_stream(a2a, res, terminal=False)
    problems = id_problems(res)
    a2a.check(not problems, expected="every event carries the Task's non-empty ids",
              actual="; ".join(problems[:5]), stream=res)


@pytest.mark.a2a_requirement("closure.get-task-agrees")
@prompts()
async def test_agent_get_task_agrees(a2a: A2AContext, which: Which) -> None:
    """R5/R17: GetTask right after the stream ended reports the stream's terminal state."""
    ans = await answer(a2a, which)
    task_stream(a2a, ans.res)
    end = ans.res.terminal_events()[0].state
    assert ans.got is not None
    a2a.verify(verifiers.task_state(ans.got, {str(end)}, f"the stream's end state {end}"))


@pytest.mark.a2a_requirement("artifacts.reassembly-matches-get")
@prompts("long")
async def test_agent_reassembly_matches_get(a2a: A2AContext, which: Which) -> None:
    """R13 on the long answer: GetTask's artifacts equal the stream's chunks reassembled."""
    ans = await answer(a2a, which)
    task_stream(a2a, ans.res)
    streamed = reassemble(ans.res.events)
    if not streamed:
        not_observable(a2a, "the answer streamed no artifact")
    assert ans.got is not None
    a2a.require(ans.got.task is not None, expected="GetTask returns the task",
                actual=ans.got.describe(), stream=ans.got)
    stored = stored_artifacts(ans.got)
    a2a.check(stored == streamed, expected=f"GetTask artifacts equal the reassembly "
              f"({ {k: len(v) for k, v in streamed.items()} } characters)",
              actual=f"GetTask: { {k: len(v) for k, v in stored.items()} } characters; "
                     f"first difference at {_diff(streamed, stored)}", stream=ans.got)


def _diff(a: dict[str, str], b: dict[str, str]) -> str:
    for aid in sorted(set(a) | set(b)):
        x, y = a.get(aid, ""), b.get(aid, "")
        if x != y:
            at = next((i for i, (p, q) in enumerate(zip(x, y, strict=False)) if p != q),
                      min(len(x), len(y)))
            return f"{aid!r}[{at}]: stream {x[at:at + 30]!r}, GetTask {y[at:at + 30]!r}"
    return "nowhere"


@pytest.mark.a2a_requirement("ordering.rpc-id")
@prompts("long")
async def test_agent_rpc_id(a2a: A2AContext, which: Which) -> None:
    """R1 on the long answer: every JSON-RPC event's id equals the request's."""
    res = (await answer(a2a, which)).res
    a2a.require(bool(res.events), expected="at least one event", actual=res.describe(),
                stream=res)
    want = res.request_id
    bad = [ev for ev in res.events if not ev.has_rpc_id or ev.rpc_id != want]
    a2a.check(not bad, expected=f"every event has id {want!r}",
              actual="; ".join(f"#{ev.index} id={ev.rpc_id!r}" if ev.has_rpc_id
                               else f"#{ev.index} without id" for ev in bad[:5]), stream=res)


@pytest.mark.a2a_requirement("framing.schema-valid")
@prompts("long")
async def test_agent_schema_valid(a2a: A2AContext, which: Which) -> None:
    """R1/R14/R15 on the long answer: every event valid for the dialect's schema."""
    res = (await answer(a2a, which)).res
    a2a.require(bool(res.events), expected="at least one event", actual=res.describe(),
                stream=res)
    problems = []
    for ev in res.events:
        # the 1.0 `kind` rule is framing.no-kind-1.0's (SHOULD), as in test_framing
        errors = [e for e in ev.schema_errors
                  if not ("'kind'" in e and "should not be valid" in e)]
        if ev.kind == "invalid" and not errors:
            errors = [ev.reason or "undecodable event"]
        problems += [f"#{ev.index} {ev.describe()}: {e}" for e in errors[:2]]
    a2a.check(not problems, expected=f"every event valid for {a2a.dialect}",
              actual="; ".join(problems[:5]), stream=res)


async def _task_first(a2a: A2AContext, which: Which) -> None:
    res = (await answer(a2a, which)).res
    task_stream(a2a, res, terminal=False)
    a2a.check(res.events[0].kind == "task", expected="the task stream's first event is a Task",
              actual=res.describe(), stream=res)


@pytest.mark.a2a_requirement("ordering.task-first")
@prompts("long")
async def test_agent_task_first(a2a: A2AContext, which: Which) -> None:
    """R5 on the long answer (the short one: test_ordering's black-box scenario)."""
    await _task_first(a2a, which)


@pytest.mark.a2a_requirement("ordering.task-first-0.3")
@prompts()
async def test_agent_task_first_v03(a2a: A2AContext, which: Which) -> None:
    """R6: a 0.3 task stream should open with the Task."""
    await _task_first(a2a, which)


@pytest.mark.a2a_requirement("closure.final-flag")
@prompts()
async def test_agent_final_flag(a2a: A2AContext, which: Which) -> None:
    """R8 (0.3): the terminal status update says ``final: true``."""
    res = (await answer(a2a, which)).res
    task_stream(a2a, res)
    end = next(ev for ev in res.events if ev.is_terminal)
    if end.kind != "status":
        not_observable(a2a, f"the terminal state came as a {end.kind}, not a status update")
    a2a.check(end.final is True, expected="the terminal status update has final: true",
              actual=f"#{end.index} {end.describe()} final={end.final}", stream=res)


@pytest.mark.a2a_requirement("ordering.no-message-in-task")
@prompts()
async def test_agent_no_message_in_task(a2a: A2AContext, which: Which) -> None:
    """R5 (1.0): a task stream carries agent messages in status.message, never as Messages."""
    res = (await answer(a2a, which)).res
    task_stream(a2a, res)
    messages = [ev for ev in res.events if ev.kind == "message"]
    a2a.check(not messages, expected="no standalone Message event in the task stream",
              actual=res.describe(), stream=res)


@pytest.mark.a2a_requirement("closure.closes-after-terminal")
@prompts("long")
async def test_agent_closes_after_terminal(a2a: A2AContext, which: Which) -> None:
    """R5/R8 on the long answer: the server closes the stream after the terminal status."""
    res = (await answer(a2a, which)).res
    task_stream(a2a, res)
    a2a.verify(verifiers.closed(res, after="the terminal status",
                                grace=a2a.budget.close_grace))


#: below this a task is too short to tell delivery as produced from delivery at the end
_MIN_LIFE = 0.4


async def _incremental(a2a: A2AContext) -> None:
    """The long answer's events arrive spread over the task's life, not all at its end.

    Black-box the production times are unknown, so the measure is the spread of arrivals: a
    server that holds events back delivers them within moments at the end; one that delivers
    as produced spreads them from the first (the Task, at once) to the terminal status.
    """
    res = (await answer(a2a, "long")).res
    task_stream(a2a, res)
    life = res.terminal_events()[0].t
    if life < _MIN_LIFE:
        not_observable(a2a, f"the task ended in {life * 1000:.0f} ms (under "
                       f"{_MIN_LIFE * 1000:.0f} ms: use a longer --a2a-long-prompt)")
    first = res.events[0].t
    spread = life - first
    a2a.record("first_event_s", round(first, 3))
    a2a.record("terminal_s", round(life, 3))
    a2a.check(spread >= life / 4,
              expected=f"events spread over the task's life: the first at least {life / 4:.2f}s "
                       f"(a quarter of its {life:.2f}s) before the terminal status",
              actual=f"first event at +{first:.3f}s, terminal at +{life:.3f}s "
                     f"({len(res.events)} events within {spread:.3f}s)", stream=res)


@pytest.mark.a2a_requirement("ordering.incremental-delivery")
async def test_agent_incremental_delivery(a2a: A2AContext) -> None:
    """S10 §3.1.2: immediate feedback; the answer is not held until the task ends."""
    await _incremental(a2a)


@pytest.mark.a2a_requirement("ordering.incremental-delivery-0.3")
async def test_agent_incremental_delivery_v03(a2a: A2AContext) -> None:
    """0.3 streams are real-time updates too (SHOULD)."""
    await _incremental(a2a)
