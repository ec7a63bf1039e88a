"""Script delays sized from the target's measured round trip, not fixed generous values.

A scripted delay shapes the load: it keeps a task running long enough for the suite to
re-attach, drop a stream or space two events. What it must cover is a few round trips of the
client to this target, so each delay is ``max(floor, rounds x round trip)``: the floor covers a
scheduler hiccup of a loaded CI machine next to a loopback server; the multiple grows it for a
remote or slow target. The round trip is the slowest of a few cheap calls (GetTask of an id
the server never issued) made just before, so a target that is slow right now gets longer
delays, never shorter ones. Delays only shape load: no verdict compares against them.
"""

from __future__ import annotations

import time
import uuid

from pytest_a2a import script
from pytest_a2a.judge.context import A2AContext

#: calls per measurement; the slowest counts
_PROBES = 3


async def round_trip(a2a: A2AContext) -> float:
    """The slowest of a few unary calls to this target now (seconds)."""
    slowest = 0.0
    for _ in range(_PROBES):
        started = time.monotonic()
        await a2a.client.get_task(f"round-trip-probe-{uuid.uuid4()}")
        slowest = max(slowest, time.monotonic() - started)
    return slowest


async def delay(a2a: A2AContext, floor: float, rounds: float) -> float:
    """``max(floor, rounds x round trip)``, at most half the idle limit (a stream waits that
    long for its next event) and a script's sleep limit (seconds)."""
    cap = min(script.MAX_SLEEP, a2a.budget.idle / 2)
    return round(min(cap, max(floor, rounds * await round_trip(a2a))), 3)
