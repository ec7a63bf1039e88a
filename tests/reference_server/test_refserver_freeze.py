"""Fault freeze-after-burst: the first task to end after a reader overflowed blocks the
server's event loop (a synchronous call), once per server; nothing else ever blocks."""

from __future__ import annotations

import asyncio
import time

import pytest

from reference_server import freeze
from reference_server.broker import Broker, End
from reference_server.model import ArtifactEvent, ArtifactHead
from reference_server.options import make_options

pytestmark = pytest.mark.asyncio


async def _task(lock: asyncio.Lock, faults: list[str], *, overflow: bool) -> float:
    """Seconds ``finish`` blocked for a task whose one reader did (not) fall behind."""
    broker = Broker(make_options(faults=faults, buffer=2), lock)
    sub = broker.subscribe()
    for _ in range(5 if overflow else 2):
        await broker.publish(ArtifactEvent(ArtifactHead("t", "c", "a", None, True, False), "x"))
    assert sub.overflowed is overflow
    started = time.monotonic()
    broker.finish(End("terminal"))
    return time.monotonic() - started


async def test_first_task_after_an_overflow_freezes_the_loop_once(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(freeze, "FREEZE_SECONDS", 0.3)
    server = asyncio.Lock()  # one per server (the store's global lock)
    fault = ["freeze-after-burst"]
    assert await _task(server, fault, overflow=False) < 0.1  # no reader fell behind
    assert await _task(server, fault, overflow=True) >= 0.3  # the freeze, in the caller
    assert await _task(server, fault, overflow=True) < 0.1  # once per server
    assert await _task(asyncio.Lock(), fault, overflow=True) >= 0.3  # another server
    assert await _task(asyncio.Lock(), [], overflow=True) < 0.1  # the clean server never
