"""`gather_bounded`: run many awaitables at once under one deadline (load and re-attach scenarios).

Unlike :func:`asyncio.gather`, nothing outlives the deadline and no exception is lost: every
slot of the result is a value, the exception raised, or a ``TimeoutError`` for what was cancelled.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Iterable
from typing import TypeVar

__all__ = ["gather_bounded"]

T = TypeVar("T")


async def gather_bounded(
    coros: Iterable[Awaitable[T]],
    timeout: float,  # noqa: ASYNC109 - the deadline is the point: unfinished work is cancelled
    *,
    limit: int | None = None,
) -> list[T | BaseException]:
    """Run awaitables concurrently; results in order, exceptions returned (not raised).

    Whatever is not done after ``timeout`` seconds is cancelled and reported as a
    ``TimeoutError``; ``limit`` caps how many run at once (default: all).
    """
    sem = asyncio.Semaphore(limit) if limit else None

    async def run(aw: Awaitable[T]) -> T:
        if sem is None:
            return await aw
        async with sem:
            return await aw

    tasks = [asyncio.ensure_future(run(c)) for c in coros]
    if not tasks:
        return []
    _, pending = await asyncio.wait(tasks, timeout=timeout)
    for p in pending:
        p.cancel()
    if pending:
        await asyncio.wait(pending, timeout=2.0)
    out: list[T | BaseException] = []
    for t in tasks:
        if t in pending or t.cancelled():
            out.append(TimeoutError(f"not done within {timeout:.2f}s"))
        elif t.exception() is not None:
            exc = t.exception()
            assert exc is not None
            out.append(exc)
        else:
            out.append(t.result())
    return out
