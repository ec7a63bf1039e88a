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
    not_observable,
    prompts,
    task_stream,
)
from conformance_tests.shared_runs import judged_alone_if_failing
from pytest_a2a.judge import stream_rules as rules
from pytest_a2a.judge import verifiers
from pytest_a2a.judge.context import A2AContext
from pytest_a2a.judge.verifiers import Verdict

pytestmark = pytest.mark.asyncio


def _observed(a2a: A2AContext, verdict: Verdict) -> Verdict:
    """A shared rule's verdict, or "not observable" when the answer held nothing to judge."""
    if not verdict.observed:
        not_observable(a2a, verdict.actual)
    return verdict


@pytest.mark.a2a_requirement("ordering.state-machine")
@prompts()
@judged_alone_if_failing
async def test_agent_state_machine(a2a: A2AContext, which: Which) -> None:
    """S10 §4.1.3: the answer's states never move backwards, nothing but it after a terminal."""
    res = (await answer(a2a, which)).res
    task_stream(a2a, res)
    a2a.verify(rules.state_machine(res))


@pytest.mark.a2a_requirement("ordering.single-terminal")
@prompts()
@judged_alone_if_failing
async def test_agent_single_terminal(a2a: A2AContext, which: Which) -> None:
    """R5/R8: exactly one terminal status update (a final Task snapshot is not one)."""
    res = (await answer(a2a, which)).res
    task_stream(a2a, res)
    a2a.verify(rules.single_terminal(res))


@pytest.mark.a2a_requirement("ordering.artifacts-before-terminal")
@prompts()
@judged_alone_if_failing
async def test_agent_artifacts_before_terminal(a2a: A2AContext, which: Which) -> None:
    """R9: every artifact chunk and message of the answer arrives before its terminal status."""
    res = (await answer(a2a, which)).res
    task_stream(a2a, res)
    produced = [ev for ev in res.events if ev.kind in ("artifact", "message")]
    if not produced:
        not_observable(a2a, "the answer carried no artifact and no message")
    a2a.verify(rules.artifacts_before_terminal(res))


@pytest.mark.a2a_requirement("artifacts.append-announced")
@prompts()
@judged_alone_if_failing
async def test_agent_append_announced(a2a: A2AContext, which: Which) -> None:
    """R13: ``append: true`` only on an artifactId the stream announced before."""
    res = (await answer(a2a, which)).res
    task_stream(a2a, res, terminal=False)
    a2a.verify(_observed(a2a, rules.append_announced(res)))


@pytest.mark.a2a_requirement("artifacts.nothing-after-last-chunk")
@prompts()
@judged_alone_if_failing
async def test_agent_nothing_after_last_chunk(a2a: A2AContext, which: Which) -> None:
    """R13: after ``lastChunk: true`` no further chunk of that artifact, to the stream's end."""
    res = (await answer(a2a, which)).res
    task_stream(a2a, res)
    a2a.verify(_observed(a2a, rules.nothing_after_last_chunk(res)))


@pytest.mark.a2a_requirement("ordering.ids-consistent")
@prompts("long")
@judged_alone_if_failing
async def test_agent_ids_consistent(a2a: A2AContext, which: Which) -> None:
    """R16 on the long answer (the short one: test_ordering's black-box scenario)."""
    res = (await answer(a2a, which)).res
    task_stream(a2a, res, terminal=False)
    a2a.verify(rules.ids_consistent(res))


@pytest.mark.a2a_requirement("closure.get-task-agrees")
@prompts()
@judged_alone_if_failing
async def test_agent_get_task_agrees(a2a: A2AContext, which: Which) -> None:
    """R5/R17: GetTask right after the stream ended reports the stream's terminal state."""
    ans = await answer(a2a, which)
    task_stream(a2a, ans.res)
    end = ans.res.terminal_events()[0].state
    assert ans.got is not None
    a2a.verify(verifiers.task_state(ans.got, {str(end)}, f"the stream's end state {end}"))


@pytest.mark.a2a_requirement("artifacts.reassembly-matches-get")
@prompts("long")
@judged_alone_if_failing
async def test_agent_reassembly_matches_get(a2a: A2AContext, which: Which) -> None:
    """R13 on the long answer: GetTask's artifacts equal the stream's chunks reassembled."""
    ans = await answer(a2a, which)
    task_stream(a2a, ans.res)
    assert ans.got is not None
    a2a.verify(_observed(a2a, rules.reassembly_matches(ans.res, ans.got)))


@pytest.mark.a2a_requirement("ordering.rpc-id")
@prompts("long")
@judged_alone_if_failing
async def test_agent_rpc_id(a2a: A2AContext, which: Which) -> None:
    """R1 on the long answer: every JSON-RPC event's id equals the request's."""
    res = (await answer(a2a, which)).res
    a2a.require(bool(res.events), expected="at least one event", actual=res.describe(),
                stream=res)
    a2a.verify(rules.rpc_id(res, res.request_id))


@pytest.mark.a2a_requirement("framing.schema-valid")
@prompts("long")
@judged_alone_if_failing
async def test_agent_schema_valid(a2a: A2AContext, which: Which) -> None:
    """R1/R14/R15 on the long answer: every event valid for the dialect's schema."""
    res = (await answer(a2a, which)).res
    a2a.require(bool(res.events), expected="at least one event", actual=res.describe(),
                stream=res)
    a2a.verify(rules.schema_valid(res))  # the 1.0 `kind` rule is framing.no-kind-1.0's


async def _task_first(a2a: A2AContext, which: Which) -> None:
    res = (await answer(a2a, which)).res
    task_stream(a2a, res, terminal=False)
    a2a.check(res.events[0].kind == "task", expected="the task stream's first event is a Task",
              actual=res.describe(), stream=res)


@pytest.mark.a2a_requirement("ordering.task-first")
@prompts("long")
@judged_alone_if_failing
async def test_agent_task_first(a2a: A2AContext, which: Which) -> None:
    """R5 on the long answer (the short one: test_ordering's black-box scenario)."""
    await _task_first(a2a, which)


@pytest.mark.a2a_requirement("ordering.task-first-0.3")
@prompts()
@judged_alone_if_failing
async def test_agent_task_first_v03(a2a: A2AContext, which: Which) -> None:
    """R6: a 0.3 task stream should open with the Task."""
    await _task_first(a2a, which)


@pytest.mark.a2a_requirement("closure.final-flag")
@prompts()
@judged_alone_if_failing
async def test_agent_final_flag(a2a: A2AContext, which: Which) -> None:
    """R8 (0.3): the terminal status update says ``final: true``."""
    res = (await answer(a2a, which)).res
    task_stream(a2a, res)
    a2a.verify(_observed(a2a, rules.final_flag(res)))


@pytest.mark.a2a_requirement("ordering.no-message-in-task")
@prompts()
@judged_alone_if_failing
async def test_agent_no_message_in_task(a2a: A2AContext, which: Which) -> None:
    """R5 (1.0): a task stream carries agent messages in status.message, never as Messages."""
    res = (await answer(a2a, which)).res
    task_stream(a2a, res)
    a2a.verify(rules.no_message_in_task(res))


@pytest.mark.a2a_requirement("closure.closes-after-terminal")
@prompts("long")
@judged_alone_if_failing
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
@judged_alone_if_failing
async def test_agent_incremental_delivery(a2a: A2AContext) -> None:
    """S10 §3.1.2: immediate feedback; the answer is not held until the task ends."""
    await _incremental(a2a)


@pytest.mark.a2a_requirement("ordering.incremental-delivery-0.3")
@judged_alone_if_failing
async def test_agent_incremental_delivery_v03(a2a: A2AContext) -> None:
    """0.3 streams are real-time updates too (SHOULD)."""
    await _incremental(a2a)
