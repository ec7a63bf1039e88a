"""Per-task fan-out of events to its open streams, with a bounded buffer per subscriber.

The agent never waits on a reader: ``publish`` only appends to each subscriber's buffer. A
subscriber whose buffer is full is closed explicitly (an ``Overflow`` marker after its last
buffered event; its stream writes what it has, then ends) so memory stays bounded and no
stream that stays open ever misses an event. The three ``slow-consumer-*``/``unbounded-buffer``
faults and ``subscribers-interfere`` are the only deviations, each one branch here (the stream
hands an unbounded subscriber its encoder, so that backlog holds encoded frames).
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from reference_server.freeze import freeze_once
from reference_server.model import Event, TaskView
from reference_server.options import Options


@dataclass(frozen=True)
class End:
    """No more events for this stream: why, and the task as it was then."""

    reason: str  # terminal | interrupted | canceled | error | interfere | shutdown
    view: TaskView | None = None


@dataclass(frozen=True)
class Overflow:
    """The subscriber fell ``capacity`` events behind and is cut off (it may re-attach)."""

    capacity: int


@dataclass(frozen=True)
class Frame:
    """An event already encoded for its stream (fault unbounded-buffer: the backlog owns it)."""

    text: str


Item = Event | Frame | End | Overflow


class Subscriber:
    """One open stream's buffer: the broker appends, the stream's writer takes in batches."""

    def __init__(self, capacity: int | None, *, drop_on_full: bool = False) -> None:
        self.capacity = capacity
        self.drop_on_full = drop_on_full
        self.closed = False
        self.overflowed = False  # cut off for falling a whole buffer behind
        self.dropped = 0
        #: fault unbounded-buffer: encodes each event as it is queued, so the backlog holds its
        #: own serialized copy (as a per-subscriber queue of encoded frames does)
        self.serialize: Callable[[Event], str] | None = None
        self._items: deque[Item] = deque()
        self._ready = asyncio.Event()
        self._space = asyncio.Event()

    def offer(self, item: Event) -> int:
        """Append without waiting; returns the backlog after it, or -1 once this subscriber is
        closed (the caller forgets it). One call per event and stream: kept to the minimum."""
        if self.closed:
            return -1
        items = self._items
        backlog = len(items)
        if self.capacity is not None and backlog >= self.capacity:
            if self.drop_on_full:  # fault slow-consumer-drops: a silent gap
                self.dropped += 1
                return backlog
            self.closed = self.overflowed = True
            items.append(Overflow(self.capacity))
            self._ready.set()
            return -1
        items.append(item if self.serialize is None else Frame(self.serialize(item)))
        self._ready.set()
        return backlog + 1

    async def put_waiting(self, item: Event) -> None:
        """Fault slow-consumer-blocks: wait for room instead of cutting the reader off."""
        while not self.closed and self.capacity is not None and len(self._items) >= self.capacity:
            self._space.clear()
            await self._space.wait()
        if not self.closed:
            self._items.append(item)
            self._ready.set()

    @property
    def backlog(self) -> int:
        """Items buffered and not yet taken by the stream's writer."""
        return len(self._items)

    def end(self, end: End) -> None:
        if self.closed:
            return
        self.closed = True
        self._items.append(end)
        self._ready.set()
        self._space.set()

    async def take(self) -> list[Item]:
        """Everything buffered so far (at least one item), in order."""
        while not self._items:
            self._ready.clear()
            await self._ready.wait()
        batch = list(self._items)
        self._items.clear()
        self._space.set()
        return batch

    def detach(self) -> None:
        """The reader left: accept nothing more and release anyone waiting for room."""
        self.closed = True
        self._items.clear()
        self._space.set()


class Broker:
    """The open streams of one task."""

    def __init__(self, options: Options, global_lock: asyncio.Lock) -> None:
        self._options = options
        self._lock = global_lock
        self._blocks = options.fault("slow-consumer-blocks")
        self._subscribers: list[Subscriber] = []
        self.finished = False
        self.overflowed = False  # a reader of this task fell a whole buffer behind

    def subscribe(self, *, unchecked: bool = False) -> Subscriber:
        """A new subscriber that sees every event published from now on (synchronous: the
        caller takes its snapshot in the same loop step, so nothing falls in between).
        ``unchecked`` (fault reattach-race) skips the look at whether the task already ended."""
        unbounded = self._options.fault("unbounded-buffer")
        sub = Subscriber(
            None if unbounded else self._options.buffer,
            drop_on_full=self._options.fault("slow-consumer-drops"),
        )
        if self.finished and not unchecked:
            sub.end(End("terminal"))
        else:
            self._subscribers.append(sub)
        return sub

    @property
    def waits(self) -> bool:
        """Fault slow-consumer-blocks: events go through ``publish``, which waits for room."""
        return self._blocks

    async def publish(self, event: Event) -> int:
        """Deliver ``event`` (waiting for room under slow-consumer-blocks); the longest backlog."""
        if self._blocks:
            async with self._lock:
                for sub in list(self._subscribers):
                    await sub.put_waiting(event)
            return self.backlog()
        return self.deliver(event)

    def deliver(self, event: Event) -> int:
        """Append ``event`` to every open stream without waiting, forgetting the ones that
        closed; returns the longest backlog left (how far the slowest writer is behind: it
        paces the agent, so it is counted here rather than in a second pass per event)."""
        longest, gone = 0, False
        for sub in self._subscribers:
            backlog = sub.offer(event)
            if backlog < 0:
                gone = True
            elif backlog > longest:
                longest = backlog
        if gone:
            self.overflowed |= any(sub.overflowed for sub in self._subscribers)
            self._subscribers = [sub for sub in self._subscribers if not sub.closed]
        return longest

    def backlog(self) -> int:
        """The most events a stream of this task has buffered that its writer has not taken."""
        return max((sub.backlog for sub in self._subscribers), default=0)

    def publish_now(self, event: Event) -> None:
        """Deliver without waiting on anyone (cancel's ``canceled`` status)."""
        self._subscribers = [sub for sub in self._subscribers if sub.offer(event) >= 0]

    def end_turn(self, end: End) -> None:
        """Close every open stream (the interaction ended); later streams may still attach."""
        subscribers, self._subscribers = self._subscribers, []
        for sub in subscribers:
            sub.end(end)

    def finish(self, end: End) -> None:
        self.finished = True
        self.end_turn(end)
        if self.overflowed and self._options.fault("freeze-after-burst"):
            freeze_once(self._lock)

    def leave(self, sub: Subscriber) -> None:
        """A reader went away; the task and the other readers carry on."""
        sub.detach()
        if sub in self._subscribers:
            self._subscribers.remove(sub)
        if self._options.fault("subscribers-interfere"):
            self.end_turn(End("interfere"))
