"""Runs that several scenarios judge: performed once per process, their evidence shown to each.

A run (a prompt's answer, a cancel session, a load) is performed by the first test that needs
it, with its exchanges taped (``wire.observe``); every later test that judges it is shown
those exchanges once (``observe.replay``), as if it had made the calls, so its recording and
the root-cause headline's interface tally hold the evidence it judged. A run that raised (a
precondition not met, say) is not kept: the next test performs it again. A run performed ahead,
for tests still to come, on a detached tape (:func:`observe.detached_tape`), is :meth:`keep`-ed
with nobody shown it yet.
"""

from __future__ import annotations

import weakref
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from pytest_a2a.judge.context import A2AContext
from pytest_a2a.wire import observe

T = TypeVar("T")


@dataclass
class _Entry(Generic[T]):
    value: T
    tape: observe.Tape
    #: the tests (contexts) that have seen the run's exchanges: each is shown them once
    shown: weakref.WeakSet[A2AContext] = field(default_factory=weakref.WeakSet)


class SharedRuns(Generic[T]):
    """One kind of run, by key (target, dialect, ...); ``cap``: taped bytes per exchange."""

    def __init__(self, cap: int = observe.TAPE_CAP) -> None:
        self._entries: dict[Hashable, _Entry[T]] = {}
        self._cap = cap

    async def get(self, a2a: A2AContext, key: Hashable,
                  perform: Callable[[], Awaitable[T]]) -> T:
        """The run for ``key``: performed now (taped) or shown again to this test."""
        entry = self._entries.get(key)
        if entry is None:
            with observe.tape(cap=self._cap) as tape:  # the test awaits it alone
                value = await perform()
            entry = self._entries[key] = _Entry(value, tape)
            entry.shown.add(a2a)
        elif a2a not in entry.shown:
            entry.shown.add(a2a)
            observe.replay(entry.tape)
        return entry.value

    def __contains__(self, key: Hashable) -> bool:
        return key in self._entries

    def keep(self, key: Hashable, value: T, tape: observe.Tape) -> None:
        """A run performed ahead on a detached tape: shown to every test that judges it."""
        self._entries[key] = _Entry(value, tape)

    def put(self, key: Hashable, value: T) -> None:
        """A run known without exchanges (the self-test's canned streams): nothing to show."""
        self._entries[key] = _Entry(value, observe.Tape(None))
