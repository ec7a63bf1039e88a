"""Is the target still answering? A cheap probe before each scenario.

A stress scenario that knocks a server over (its event loop frozen for seconds after a slow
reader's burst) must stay one finding: the scenarios after it would otherwise all fail on a
server that does them right once it recovers. So before each scenario the run GETs the agent
card: any HTTP answer counts (the probe asks "does it answer?", not "is the card right?"; the
card requirements judge that). No answer within ``budget.call``: the probe keeps asking until
``RECOVERY_BUDGETS`` whole budgets have passed. A recovery is recorded against the test that
ran before the silence; a target that never answers again fails every remaining test as
``error`` ("target unresponsive since <test>"), never as a requirement failure.

Cost: one request on a fresh connection (under a millisecond on an idle loopback server).
"""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx

from pytest_a2a.budget import Budget
from pytest_a2a.run.notes import Silence
from pytest_a2a.wire.tls import tls_context

#: most of the card read per probe (the status line is the answer; the rest is drained)
_MAX_BODY = 64 * 1024

#: how many whole budgets (``--a2a-timeout``) to wait for a target that stopped answering
RECOVERY_BUDGETS = 3


class HealthProbe:
    """One per test process: probes before each scenario, remembers a target that died."""

    def __init__(self, card_url: str, headers: dict[str, str], budget_total: float, *,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.card_url = card_url
        self.budget = Budget(budget_total)
        self._headers = headers
        self._clock = clock
        self._client: httpx.Client | None = None
        #: the last test probed for (the one a later silence is recorded against)
        self.previous: str | None = None
        #: set once the target stayed silent for the whole recovery window
        self.dead: Silence | None = None

    def before(self, nodeid: str) -> Silence | None:
        """Probe before ``nodeid`` runs. None: answered within the grace a correct server
        needs; else the silence waited through (``recovered`` False: it never answered)."""
        if self.dead is not None:
            return self.dead
        after, self.previous = self.previous, nodeid
        started = self._clock()
        deadline = started + RECOVERY_BUDGETS * self.budget.total
        last_seen = "a slow answer"
        while True:
            seen = self._ask(min(self.budget.call, max(deadline - self._clock(), 0.05)))
            waited = self._clock() - started
            if seen is None:
                if waited <= self.budget.close_grace:
                    return None
                return Silence(after, round(waited, 2), True, last_seen)
            last_seen = seen
            left = deadline - self._clock()
            if left <= 0:
                self.dead = Silence(after, round(waited, 2), False, seen)
                self.close()
                return self.dead
            # refused/reset come back at once: ask again after a short pause, not in a spin
            time.sleep(min(self.budget.close_grace, left))

    def _ask(self, timeout: float) -> str | None:
        """One GET of the card within ``timeout``: None if answered, else what happened."""
        client = self._client
        if client is None:
            client = self._client = httpx.Client(headers=self._headers, follow_redirects=False,
                                                 verify=tls_context())
        stop = self._clock() + timeout
        try:
            # a fresh connection each time (``Connection: close``): a kept-alive one waits for a
            # delayed ACK, ~40 ms, on servers that write the head and the body apart; a fresh
            # loopback connection costs a fraction of a millisecond. The body is read (up to
            # _MAX_BODY) so closing does not reset the connection under the server.
            with client.stream("GET", self.card_url, headers={"Connection": "close"},
                               timeout=httpx.Timeout(timeout)) as resp:
                read = 0
                for chunk in resp.iter_bytes():
                    read += len(chunk)
                    if read >= _MAX_BODY or self._clock() > stop:
                        break
            return None
        except httpx.TimeoutException:
            return f"no answer within {timeout:.2f}s"
        except httpx.HTTPError as exc:
            return _words(exc)

    def close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            client.close()


def _words(exc: httpx.HTTPError) -> str:
    text = str(exc) or type(exc).__name__
    if isinstance(exc, httpx.ConnectError) and "refused" in text.lower():
        return "connection refused"
    if isinstance(exc, httpx.RemoteProtocolError):
        return f"connection closed without an HTTP answer ({text})"
    return f"{type(exc).__name__}: {text}"
