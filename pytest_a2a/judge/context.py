"""``A2AContext``: what the ``a2a`` fixture hands a scenario (one per test and dialect)."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from pytest_a2a.judge.checks import Checker

if TYPE_CHECKING:
    from pytest_a2a.budget import Budget
    from pytest_a2a.judge.requirements import Requirement
    from pytest_a2a.wire.client import A2AClient

#: events shown by ``describe`` before eliding the middle
_DESCRIBE_MAX = 12


def describe_event(ev: Any) -> str:
    """One event, short: ``task(submitted)``, ``status(completed,final)``, ``artifact(a1,+)``."""
    kind = getattr(ev, "kind", "?")
    bits: list[str] = []
    state = getattr(ev, "state", None)
    if state:
        bits.append(str(state))
    if kind == "artifact":
        upd = getattr(ev, "artifact_update", None)
        art = getattr(upd, "artifact", None)
        if art is not None and getattr(art, "artifact_id", None):
            bits.append(str(art.artifact_id))
        if getattr(upd, "append", False):
            bits.append("append")
        if getattr(upd, "last_chunk", False):
            bits.append("last")
    elif kind == "error":
        err = getattr(ev, "error", None)
        if err is not None:
            bits.append(str(getattr(err, "code", err)))
    if getattr(ev, "final", None):
        bits.append("final")
    return f"{kind}({','.join(bits)})" if bits else str(kind)


def describe(res: Any) -> str:
    """A one-line summary of a ``StreamResult`` for ``actual=``: events, timing, how it ended."""
    if res is None:
        return "no stream"
    own = getattr(res, "describe", None)
    if callable(own):  # StreamResult / CallResult know themselves best
        return str(own())
    error = getattr(res, "error", None)
    events = list(getattr(res, "events", None) or [])
    parts = [describe_event(ev) for ev in events]
    if len(parts) > _DESCRIBE_MAX:
        half = _DESCRIBE_MAX // 2
        parts = [*parts[:half], f"... {len(parts) - 2 * half} more ...", *parts[-half:]]
    head = f"{len(events)} event(s): " + ", ".join(parts) if events else "no events"
    end = getattr(res, "end", None)
    end_t = getattr(res, "end_t", None)
    tail = f"; end={end}" if end else ""
    if end and isinstance(end_t, int | float):
        tail += f" at +{end_t:.3f}s"
    status = getattr(res, "status_code", None)
    ctype = getattr(res, "content_type", None)
    if status is not None and status != 200:
        tail += f"; HTTP {status} {ctype or ''}".rstrip()
    if error is not None:
        tail += f"; error {getattr(error, 'code', '?')} {getattr(error, 'message', '')!s}".rstrip()
    return head + tail


class A2AContext(Checker):
    """Per-test context: an entered client for this dialect plus check/fail/record."""

    dialect: str

    def __init__(
        self,
        *,
        client: A2AClient | None,
        dialect: str,
        url: str,
        budget: Budget,
        requirement: Requirement | None,
        card: dict[str, Any],
        prompt: str,
        headers: dict[str, str],
        pid: int | None,
        booted: bool,
    ) -> None:
        super().__init__(requirement, dialect)
        self.client = client
        self.dialect = dialect
        version, _, binding = dialect.partition("-")
        self.version = version.removeprefix("v")
        self.binding = binding
        self.url = url  # interface URL of this dialect
        self.budget = budget
        self.card = card
        self.prompt = prompt
        self.headers = headers
        self.booted = booted
        self._pid = pid

    def server_rss(self) -> int | None:
        """Resident memory of the booted server in bytes; None for ``--a2a-url`` targets."""
        if self._pid is None:
            return None
        from pytest_a2a.run.process import rss_bytes

        return rss_bytes(self._pid)

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

    async def live_task_id(self, stream: Any) -> str:
        """The task id of a freshly opened task stream, which must name one (a precondition).

        Scenarios that act while the task runs (re-attach, cancel) need its events while it
        runs: when they all arrived after it ended, the test is skipped, not judged (delivery
        as produced is ``ordering.incremental-delivery``'s requirement).
        """
        ev = await stream.events_until(lambda e: e.task_id)
        self.check(ev is not None, expected="the stream names its task (precondition)",
                   actual=stream.result().describe(), stream=stream)
        assert ev is not None and ev.task_id is not None
        if any(e.is_terminal for e in stream.events):
            import pytest

            pytest.skip("the server delivered this task's events only after it ended (judged "
                        "by ordering.incremental-delivery); this scenario needs them while it "
                        "runs")
        return str(ev.task_id)

    def new_client(self) -> A2AClient:
        """A second, not yet entered client for this dialect (``async with`` it)."""
        from pytest_a2a.wire.client import A2AClient

        return A2AClient(self.url, dialect=self.dialect, budget=self.budget,
                         headers=dict(self.headers))

    @staticmethod
    def describe(res: Any) -> str:
        return describe(res)

    def __repr__(self) -> str:
        rid = self.requirement.id if self.requirement else None
        return f"<A2AContext {rid} {self.dialect} {self.url}>"
