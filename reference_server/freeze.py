"""Fault ``freeze-after-burst``: the whole server stops for a few seconds after a burst.

Like a real server seen freezing for about 20 s while one client slowly read a burst: a
synchronous call in the event loop (here ``time.sleep``) when a task ends after one of its
readers fell a whole buffer behind. Every connection, every task, even the agent card, waits.
Once per server (the first such task), so the suite can show that exactly one requirement,
``backpressure.no-global-stall``, owns it and the scenarios after it meet a recovered server.
"""

from __future__ import annotations

import asyncio
import time
import weakref

#: how long the event loop is blocked
FREEZE_SECONDS = 5.0
#: the servers that already froze, by their store's global lock (one per server)
_FROZE: weakref.WeakSet[asyncio.Lock] = weakref.WeakSet()


def freeze_once(server_lock: asyncio.Lock) -> None:
    """Block the calling event loop for ``FREEZE_SECONDS``, the first time per server."""
    if server_lock in _FROZE:
        return
    _FROZE.add(server_lock)
    time.sleep(FREEZE_SECONDS)  # the fault itself: a blocking call in the event loop
