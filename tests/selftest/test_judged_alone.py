"""A black-box scenario that fails on a run performed beside others (the re-attach sessions
and the long answer, run side by side) is judged again on runs performed alone, and that
verdict stands: a load bug showing beside others is not blamed on the scenario's requirement,
and a failure that repeats alone is still reported. Failures on runs performed alone are final
at once, and a pass beside others needs no second run.

The runs are canned: kept as if performed beside others (``SharedRuns.keep``) or alone
(``SharedRuns.put``); a run performed alone on demand is the patched reader's.
"""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

import pytest

from conformance_tests import (
    agent_sessions,
    agent_support,
    shared_runs,
    test_agent_reattach,
    test_agent_stream,
)
from pytest_a2a.judge.checks import ConformanceFailure
from pytest_a2a.judge.context import A2AContext
from pytest_a2a.wire import observe
from tests.selftest.test_blackbox_judges import (
    DIALECT,
    IDS,
    ORIGINAL,
    URL,
    _attached,
    _context,
    _stream,
)

MESSAGE = {"message": {"messageId": "m1", "role": "ROLE_AGENT", "parts": [{"text": "hi"}],
                       **IDS}}
CLEAN = agent_support.Answer(_stream(ORIGINAL), None)
#: a Message event inside the task stream: fails ordering.no-message-in-task
BROKEN = agent_support.Answer(_stream([*ORIGINAL[:3], MESSAGE, *ORIGINAL[3:]]), None)
_PROMPTS = itertools.count()


class _Judged:
    """ordering.no-message-in-task judged on the prompt's answer ``kept`` as performed beside
    others (``beside``) or alone; a run performed alone on demand reads ``on_demand`` (None: a
    read fails the test). ``read`` lists the prompts read on demand."""

    def __init__(self, kept: agent_support.Answer, *, beside: bool,
                 on_demand: agent_support.Answer | None, monkeypatch: pytest.MonkeyPatch) -> None:
        self.ctx = _context("ordering.no-message-in-task")
        self.ctx.prompt = f"prompt {next(_PROMPTS)}"  # its own shared-run key
        key = agent_support.answer_key(self.ctx, self.ctx.prompt)
        if beside:
            agent_support.ANSWERS.keep(key, kept, observe.Tape(None))
        else:
            agent_support.ANSWERS.put(key, kept)
        self.read: list[str] = []

        async def read_answer(a2a: A2AContext, text: str) -> agent_support.Answer:
            self.read.append(text)
            assert on_demand is not None, "read alone although the test asks for no run alone"
            return on_demand

        monkeypatch.setattr(agent_support, "read_answer", read_answer)

    def run(self) -> None:
        asyncio.run(test_agent_stream.test_agent_no_message_in_task(self.ctx, "prompt"))


def test_failure_beside_others_passing_alone_passes_and_says_so(
        monkeypatch: pytest.MonkeyPatch) -> None:
    judged = _Judged(BROKEN, beside=True, on_demand=CLEAN, monkeypatch=monkeypatch)
    judged.run()
    ctx = judged.ctx
    assert judged.read == [ctx.prompt]
    assert ctx.checks > 0
    seen = str(ctx.observations["beside_others"])
    assert seen.startswith("failed on runs performed beside others (expected ")
    assert "message" in seen.lower() and seen.endswith("judged again on runs performed alone")


def test_failure_beside_others_repeating_alone_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    judged = _Judged(BROKEN, beside=True, on_demand=BROKEN, monkeypatch=monkeypatch)
    with pytest.raises(ConformanceFailure):
        judged.run()
    assert judged.read == [judged.ctx.prompt]
    assert "beside_others" in judged.ctx.observations


def test_failure_alone_is_final(monkeypatch: pytest.MonkeyPatch) -> None:
    """Judged once: nothing is read again (a read would return a clean answer and pass)."""
    judged = _Judged(BROKEN, beside=False, on_demand=CLEAN, monkeypatch=monkeypatch)
    with pytest.raises(ConformanceFailure):
        judged.run()
    assert judged.read == [] and "beside_others" not in judged.ctx.observations


def test_pass_beside_others_needs_no_run_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    judged = _Judged(CLEAN, beside=True, on_demand=None, monkeypatch=monkeypatch)
    judged.run()
    assert judged.read == [] and "beside_others" not in judged.ctx.observations
    assert judged.ctx.checks > 0


@pytest.mark.parametrize("alone_ok", [True, False])
def test_session_beside_others_judged_again_alone(
        monkeypatch: pytest.MonkeyPatch, alone_ok: bool) -> None:
    """The re-attach session: a chunk lost beside others (a load bug's mark) is judged again
    on a session performed alone; the verdict is the alone session's."""
    url = f"{URL}/session-{alone_ok}"
    gap = _attached(2, [3, 4, 5])
    whole = _attached(2, [2, 3, 4, 5])

    def session(attached: Any) -> agent_sessions.Session:
        return agent_sessions.Session("t1", _stream(ORIGINAL), (attached, attached),
                                      frozenset({"answer"}))

    agent_sessions.REATTACH.runs.keep((url, DIALECT), session(gap), observe.Tape(None))
    performed: list[str] = []

    async def perform(a2a: A2AContext, act: Any, gate: Any) -> agent_sessions.Session:
        performed.append(a2a.url)
        return session(whole if alone_ok else gap)

    monkeypatch.setattr(agent_sessions, "_perform", perform)
    ctx = _context("reattach.no-gaps")
    ctx.url = url
    run = lambda: asyncio.run(test_agent_reattach.test_agent_no_gaps(ctx))  # noqa: E731
    if alone_ok:
        run()
        assert ctx.observations["session"] == (
            "alone, in place of the one run beside the other sessions")
        assert "beside_others" in ctx.observations
    else:
        with pytest.raises(ConformanceFailure):
            run()
    assert performed == [url]
    assert not shared_runs.alone()
