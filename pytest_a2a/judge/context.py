"""``A2AContext``: what the ``a2a`` fixture hands a scenario (one per test and dialect)."""

from __future__ import annotations

import copy
import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal, NoReturn

from pytest_a2a.judge.checks import Checker
from pytest_a2a.judge.requirements import DIALECTS, DialectId

if TYPE_CHECKING:
    from pytest_a2a.budget import Budget
    from pytest_a2a.judge.requirements import Requirement
    from pytest_a2a.judge.verifiers import Binding
    from pytest_a2a.wire.client import A2AClient
    from pytest_a2a.wire.results import CallResult, StreamResult
    from pytest_a2a.wire.stream import EventStream

Version = Literal["0.3", "1.0"]


def dialect_id(value: str) -> DialectId:
    """``value`` as a known dialect id; a typo is an error here, not a silently empty run."""
    for known in DIALECTS:
        if value == known:
            return known
    raise ValueError(f"unknown dialect {value!r}; known: {', '.join(DIALECTS)}")


class A2AContext(Checker):
    """Per-test context: an entered client for this dialect plus check/fail/record."""

    dialect: DialectId

    def __init__(
        self,
        *,
        client: A2AClient,
        dialect: str,
        url: str,
        budget: Budget,
        requirement: Requirement | None,
        card: dict[str, Any],
        prompt: str,
        headers: dict[str, str],
        pid: int | None,
        rss: Callable[[int], int | None],
        booted: bool,
        long_prompt: str | None = None,
    ) -> None:
        did = dialect_id(dialect)
        super().__init__(requirement, did)
        self.client = client
        self.dialect = did
        self.version: Version = "0.3" if did == "v0.3-jsonrpc" else "1.0"
        self.binding: Binding = "rest" if did == "v1.0-rest" else "jsonrpc"
        self.url = url  # interface URL of this dialect
        self.budget = budget
        self.card = card
        self.prompt = prompt
        self.long_prompt = long_prompt  # --a2a-long-prompt (embedded server: a default)
        self.headers = headers
        self.booted = booted
        self._pid = pid
        self._rss = rss  # the run's /proc reader: the judge does not reach into the run layer

    def server_rss(self) -> int | None:
        """Resident memory of the booted server in bytes; None for ``--a2a-url`` targets."""
        if self._pid is None:
            return None
        return self._rss(self._pid)

    @property
    def server_pid(self) -> int | None:
        return self._pid

    @property
    def in_process(self) -> bool:
        """The server shares this process (embedded): memory includes the test runner's."""
        return self._pid == os.getpid()

    def needs_streaming(self) -> None:
        """Streaming scenarios apply only to agents whose card declares streaming (R18).

        Elsewhere they are ``unsupported``; ``errors.streaming-unsupported`` judges the -32004.
        """
        if (self.card.get("capabilities") or {}).get("streaming") is not True:
            self.unsupported("the agent card does not declare capabilities.streaming: true (R18)")

    async def live_task_id(self, stream: EventStream) -> str:
        """The task id of a freshly opened task stream, which must name one (a precondition).

        Scenarios that act while the task runs (re-attach, cancel) need its events while it
        runs: when they all arrived after it ended, see :meth:`needs_live_events`.
        """
        ev = await stream.events_until(lambda e: e.task_id)
        self.require(ev is not None and bool(ev.task_id),
                     expected="the stream names its task (precondition)",
                     actual=stream.result().describe(), stream=stream.result())
        assert ev is not None and ev.task_id is not None  # for mypy: require() raised
        if any(e.is_terminal for e in stream.events):
            self.needs_live_events("the server delivered this task's events only after it ended",
                                   stream.result())
        return str(ev.task_id)

    def needs_live_events(self, seen: str, res: StreamResult | None = None) -> NoReturn:
        """The scenario needs the task's events while it runs, and got none before its end.

        Not judged (skipped), not failed: delivery as produced is one finding, owned by
        ``ordering.incremental-delivery`` (MUST; SHOULD on 0.3), which fails on its own. Failing
        every cancel and re-attach scenario with it would report one bug a dozen times, and
        their own requirements were never observed either way. Never a pass.
        """
        __tracebackhide__ = True
        import pytest

        if res is not None and self.transcript is None:
            self.transcript = res.transcript.excerpt()
        pytest.skip(f"not judged: {seen} (ordering.incremental-delivery judges that); this "
                    "scenario needs the task's events while it runs")

    def needs_long_prompt(self) -> str:
        """The long prompt; scenarios that need a task running for seconds skip without one."""
        if not self.long_prompt:
            import pytest

            pytest.skip("needs --a2a-long-prompt: a message that keeps the agent streaming for "
                        "a few seconds, e.g. 'Write a 400-word story about rivers'")
        return self.long_prompt

    def on_behalf(self) -> A2AContext:
        """A context for work this test does ahead for other tests (a shared run performed
        early): the same client, target and budget, but its own checks, observations and
        transcript, so nothing that work notes or raises lands on this test's verdict."""
        other = copy.copy(self)
        other.start_over()
        return other

    def new_client(self) -> A2AClient:
        """A second, not yet entered client for this dialect (``async with`` it)."""
        from pytest_a2a.wire.client import A2AClient

        return A2AClient(self.url, dialect=self.dialect, budget=self.budget,
                         headers=dict(self.headers), max_event_bytes=self.max_event_bytes)

    @property
    def max_event_bytes(self) -> int:
        """The run's ``--a2a-max-event-bytes``: every client a scenario opens uses it."""
        from pytest_a2a.wire.sse import DEFAULT_MAX_EVENT_BYTES

        return self.client.max_event_bytes if self.client is not None else DEFAULT_MAX_EVENT_BYTES

    @staticmethod
    def describe(res: StreamResult | CallResult) -> str:
        """A one-line summary of a call or stream for ``actual=`` (events, timing, the end)."""
        return res.describe()

    def __repr__(self) -> str:
        rid = self.requirement.id if self.requirement else None
        return f"<A2AContext {rid} {self.dialect} {self.url}>"
