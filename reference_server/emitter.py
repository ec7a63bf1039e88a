"""The agent's only way out: each emitted event updates the task record, then reaches its
streams through the broker, in emission order. Faults about *what the agent emits*
(order, duplicates, flags, ids) live here, one branch each.
"""

from __future__ import annotations

import asyncio

from reference_server.broker import End
from reference_server.model import (
    INTERRUPTED,
    TERMINAL,
    ArtifactEvent,
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
        self._announced: set[str] = set()  # fault append-unannounced

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
        record = self.record
        self._check_open()
        if not append and artifact_id not in self._announced:
            append = self.options.fault("append-unannounced")
        self._announced.add(artifact_id)
        event = ArtifactEvent(record.id, record.context_id, artifact_id, name, text, append, last)
        if self.options.fault("final-before-artifact"):
            await self._flush_held()
            self._held = event
        else:
            await self._publish(event)
        if last and self.options.fault("chunk-after-last"):
            extra = ArtifactEvent(
                record.id, record.context_id, artifact_id, None, " (after last)", True, False
            )
            await self._publish(extra)

    async def _flush_held(self) -> None:
        held, self._held = self._held, None
        if held is not None:
            await self._publish(held)

    def _check_open(self) -> None:
        if self.record.terminal:
            raise TaskEnded(self.record.id)

    async def _publish(self, event: Event) -> None:
        record = self.record
        if isinstance(event, StatusEvent):
            record.apply_status(event)
        elif isinstance(event, ArtifactEvent):
            record.apply_artifact(event)
        await record.broker.publish(event)
        await asyncio.sleep(0)  # let the streams' writers run: delivery as produced (R4)
