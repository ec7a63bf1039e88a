"""The agent's only way out: each emitted event updates the task record, then reaches its
streams through the broker, in emission order. Faults about *what the agent emits*
(order, duplicates, flags, ids) live here, one branch each.

Events the agent emits back to back (a burst, consecutive script steps) are produced in
slices: the agent lets the loop run after every :data:`SLICE` events and at every real wait
(a ``sleep`` step, the plain-text answer's pacing), so each stream's writer finds the slice
buffered and sends it in one write, while an event followed by a wait goes out at once.
While a stream's writer is held up (its reader is slower), the agent lets the loop run after
every event instead: it never waits for that reader, but does not race a whole buffer ahead
of it between two turns of its writer either.
"""

from __future__ import annotations

import asyncio

from reference_server.broker import End
from reference_server.model import (
    INTERRUPTED,
    TERMINAL,
    ArtifactEvent,
    ArtifactHead,
    Event,
    Msg,
    StatusEvent,
    agent_text,
    now,
)
from reference_server.options import Options
from reference_server.store import TaskRecord

#: fault store-lags-stream: terminal states a script step reports that the store misses
LAGGED = TERMINAL - {"completed"}
#: events emitted back to back before the agent yields to the loop (at most a quarter of the
#: per-stream buffer, so a reader that keeps up never falls a buffer behind within a slice)
SLICE = 64


class TaskEnded(Exception):
    """The task reached a terminal state elsewhere (cancel): the agent must stop emitting."""


def ends_stream(state: str, options: Options) -> bool:
    """Whether a status in ``state`` ends the interaction (0.3 ``final``, stream close)."""
    if state in TERMINAL:
        return not (state == "rejected" and options.fault("rejected-not-final"))
    return state in INTERRUPTED and not options.variant("interrupted-stays-open")


class Emitter:
    def __init__(self, record: TaskRecord, options: Options) -> None:
        self.record = record
        self.options = options
        self._held: ArtifactEvent | None = None  # fault final-before-artifact
        self._regressed = False  # fault state-regression
        self._hold_artifacts = options.fault("final-before-artifact")
        self._announced: set[str] = set()  # fault append-unannounced
        self._slice = max(1, min(SLICE, options.buffer // 4))
        self._unyielded = 0  # events published since the agent last let the loop run
        self._head: ArtifactHead | None = None  # the last artifact update's head (reused)

    def message(self, text: str) -> Msg:
        return agent_text(text, self.record.id, self.record.context_id)

    async def status(
        self,
        state: str,
        text: str | None = None,
        *,
        from_message: bool = False,
        scripted: bool = False,
    ) -> None:
        record = self.record
        self._check_open()
        if scripted and state in LAGGED and self.options.fault("store-lags-stream"):
            record.lagging = record.view()  # GetTask stays at the state before this one
        event = StatusEvent(
            record.id,
            record.context_id,
            state,
            None if text is None else self.message(text),
            now(),
            final=ends_stream(state, self.options),
            from_message_step=from_message,
        )
        if event.final and state in TERMINAL and self._held is not None:
            await self._publish(event)  # fault final-before-artifact: status overtakes
            await self._flush_held()
        else:
            await self._flush_held()
            await self._publish(event)
        if event.final and state in TERMINAL and self.options.fault("duplicate-final"):
            await self._publish(event)
        if state == "working" and not self._regressed and self.options.fault("state-regression"):
            self._regressed = True
            regress = StatusEvent(record.id, record.context_id, "submitted", None, now(), False)
            await self._publish(regress)
        if event.final:
            end = End("terminal" if state in TERMINAL else "interrupted", record.view())
            if state in TERMINAL:
                record.broker.finish(end)
            else:
                record.broker.end_turn(end)

    async def progress_message(self, text: str) -> None:
        """A `{"message": T}` step: a status update keeping the current non-final state."""
        current = self.record.state
        state = "working" if current == "submitted" or current in TERMINAL else current
        await self.status(state, text, from_message=True)

    async def artifact(
        self, artifact_id: str, text: str, *, append: bool, last: bool, name: str | None
    ) -> None:
        self._check_open()
        if not append and artifact_id not in self._announced:
            append = self.options.fault("append-unannounced")
        self._announced.add(artifact_id)
        event = ArtifactEvent(self._head_for(artifact_id, name, append, last), text)
        if self._hold_artifacts:
            await self._flush_held()
            self._held = event
        else:
            await self._publish(event)
        if last and self.options.fault("chunk-after-last"):
            extra = ArtifactEvent(self._head_for(artifact_id, None, True, False), " (after last)")
            await self._publish(extra)

    def _head_for(
        self, artifact_id: str, name: str | None, append: bool, last: bool
    ) -> ArtifactHead:
        """The head of an update with these fields: the previous one when they match, so the
        chunks of a burst share one head and each stream encodes it once (``frames``)."""
        head = self._head
        if (
            head is None
            or head.artifact_id != artifact_id
            or head.append != append
            or head.last != last
            or head.name != name
        ):
            record = self.record
            head = ArtifactHead(record.id, record.context_id, artifact_id, name, append, last)
            self._head = head
        return head

    async def _flush_held(self) -> None:
        held, self._held = self._held, None
        if held is not None:
            await self._publish(held)

    def _check_open(self) -> None:
        if self.record.terminal:
            raise TaskEnded(self.record.id)

    async def _publish(self, event: Event) -> None:
        record = self.record
        if isinstance(event, ArtifactEvent):
            record.apply_artifact(event)
        elif isinstance(event, StatusEvent):
            record.apply_status(event)
        broker = record.broker
        backlog = await broker.publish(event) if broker.waits else broker.deliver(event)
        self._unyielded += 1
        if self._unyielded >= self._slice or backlog >= self._slice:  # writers run (R4)
            self._unyielded = 0
            await asyncio.sleep(0)
