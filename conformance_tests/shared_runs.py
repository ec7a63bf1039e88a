"""Runs that several scenarios judge: performed once per process, their evidence shown to each.

A run (a prompt's answer, a cancel session, a load) is performed by the first test that needs
it, with its exchanges taped (``wire.observe``); every later test that judges it is shown
those exchanges once (``observe.replay``), as if it had made the calls, so its recording and
the root-cause headline's interface tally hold the evidence it judged. A run that raised (a
precondition not met, say) is not kept: the next test performs it again. A run performed ahead,
for tests still to come, on a detached tape (:func:`observe.detached_tape`), is :meth:`keep`-ed
with nobody shown it yet.

Runs performed ahead ran beside others (``conformance_tests.agent_sessions`` runs its sessions
side by side): the server carried several streams at once, which a run alone would not have
asked of it. A failure judged on such a run may be a load bug (``load.*``'s finding) showing
in an unrelated requirement, so a scenario marked :func:`judged_alone_if_failing` that fails
on one is judged again, from scratch, on runs performed alone; the report records both.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import weakref
from collections.abc import Awaitable, Callable, Hashable, Iterator
from dataclasses import dataclass, field
from typing import Generic, ParamSpec, TypeVar

from pytest_a2a.judge.checks import ConformanceFailure
from pytest_a2a.judge.context import A2AContext
from pytest_a2a.wire import observe

T = TypeVar("T")
P = ParamSpec("P")

#: set while a scenario is judged again on runs performed alone (:func:`judged_alone_if_failing`)
_ALONE: contextvars.ContextVar[bool] = contextvars.ContextVar("shared_runs_alone", default=False)
#: the tests shown a run that was performed beside others
_SHOWN_BESIDE: weakref.WeakSet[A2AContext] = weakref.WeakSet()


@dataclass
class _Entry(Generic[T]):
    value: T
    tape: observe.Tape
    #: performed ahead, beside other runs (see the module docstring)
    beside: bool = False
    #: the tests (contexts) that have seen the run's exchanges: each is shown them once
    shown: weakref.WeakSet[A2AContext] = field(default_factory=weakref.WeakSet)


class SharedRuns(Generic[T]):
    """One kind of run, by key (target, dialect, ...); ``cap``: taped bytes per exchange."""

    def __init__(self, cap: int = observe.TAPE_CAP) -> None:
        self._entries: dict[Hashable, _Entry[T]] = {}
        #: runs performed alone in place of ones performed beside others (:func:`alone`)
        self._alone: dict[Hashable, _Entry[T]] = {}
        self._cap = cap

    async def get(self, a2a: A2AContext, key: Hashable,
                  perform: Callable[[], Awaitable[T]]) -> T:
        """The run for ``key``: performed now (taped) or shown again to this test."""
        entries = self._entries
        if _ALONE.get() and (kept := entries.get(key)) is not None and kept.beside:
            entries = self._alone
        entry = entries.get(key)
        if entry is None:
            with observe.tape(cap=self._cap) as tape:  # the test awaits it alone
                value = await perform()
            entry = entries[key] = _Entry(value, tape)
            entry.shown.add(a2a)
        elif a2a not in entry.shown:
            entry.shown.add(a2a)
            observe.replay(entry.tape)
        if entry.beside:
            _SHOWN_BESIDE.add(a2a)
        return entry.value

    def beside(self, key: Hashable) -> bool:
        """Whether this test is judging the run for ``key`` that was performed beside others."""
        entry = self._entries.get(key)
        return entry is not None and entry.beside and not _ALONE.get()

    def __contains__(self, key: Hashable) -> bool:
        return key in self._entries

    def keep(self, key: Hashable, value: T, tape: observe.Tape) -> None:
        """A run performed ahead, beside others, on a detached tape: shown to every test that
        judges it."""
        self._entries[key] = _Entry(value, tape, beside=True)

    def put(self, key: Hashable, value: T) -> None:
        """A run known without exchanges (the self-test's canned streams): nothing to show."""
        self._entries[key] = _Entry(value, observe.Tape(None))


def shown_beside(a2a: A2AContext) -> bool:
    """Whether this test was shown a run performed beside others."""
    return a2a in _SHOWN_BESIDE


def alone() -> bool:
    """Whether the running scenario is judged on runs performed alone (:func:`performed_alone`)."""
    return _ALONE.get()


@contextlib.contextmanager
def performed_alone() -> Iterator[None]:
    """Within it, shared runs performed beside others are replaced by runs performed alone."""
    token = _ALONE.set(True)
    try:
        yield
    finally:
        _ALONE.reset(token)


def judged_alone_if_failing(scenario: Callable[P, Awaitable[None]]) -> Callable[P, Awaitable[None]]:
    """A scenario that failed on a run performed beside others is judged again, from scratch,
    on runs performed alone; that verdict stands, and the first failure is recorded with it.

    Beside others the server carried more streams than the scenario asks of it: a failure
    there that the run alone does not repeat is a load finding (``load.*`` judge load on
    purpose), not this requirement's. One failing alone is reported on the alone run's
    evidence. Failures on runs that were alone are final at once."""

    @functools.wraps(scenario)
    async def judged(*args: P.args, **kwargs: P.kwargs) -> None:
        a2a = kwargs["a2a"] if "a2a" in kwargs else args[0]  # pytest passes fixtures by name
        assert isinstance(a2a, A2AContext)
        try:
            await scenario(*args, **kwargs)
            return
        except ConformanceFailure as failure:
            if not shown_beside(a2a) or _ALONE.get():
                raise
            seen = (f"expected {failure.expected.splitlines()[0][:200]}; "
                    f"actual {failure.actual.splitlines()[0][:300]}")
        a2a.start_over()
        a2a.record("beside_others", f"failed on runs performed beside others ({seen}); "
                   "judged again on runs performed alone")
        with performed_alone():
            await scenario(*args, **kwargs)

    return judged
