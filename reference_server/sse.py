"""The SSE writer: streams one subscription's events as frames (``frames`` makes them).

One ASGI response per stream. It writes whatever the subscriber has buffered in one body
chunk of at most :data:`WRITE_BYTES` (so a fast reader gets a burst at wire speed, in few
writes, and a huge backlog still goes out piece by piece under flow control), never waiting
for more; it watches for the client leaving (a dropped client detaches its subscriber, never
cancels the task) and ends the response right after the stream's last event. Writer-side
faults (``batched-events``, ``no-close-after-terminal``, ``reply-stream-open``,
``wrong-content-type``) are branches here.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

from reference_server.broker import End, Frame, Overflow
from reference_server.frames import Encode, EventFrames, Framer
from reference_server.model import TaskEvent
from reference_server.options import Options
from reference_server.service import Service, StreamPlan

Scope = dict[str, Any]
Receive = Callable[[], Any]
Send = Callable[[dict[str, Any]], Any]

TINY_CHUNK = 3  # variant tiny-chunks: bytes per body write
#: a write is sent once the events joined for it reach this many bytes (JSON is ASCII here)
WRITE_BYTES = 64 * 1024
#: fault load-drops-events: with more than LOAD_STREAMS streams open at once, every LOAD_SKIP-th
#: event written to a stream past its first LOAD_AFTER (counted across all such events) is
#: skipped. Only the load scenario has both (10+ streams of 52 events); the suite's other
#: crowds (30-60 streams) carry a few events each, its long streams come one or two at a time.
LOAD_STREAMS, LOAD_AFTER, LOAD_SKIP = 4, 32, 97


def sse_headers(options: Options) -> list[tuple[bytes, bytes]]:
    wrong = options.fault("wrong-content-type")
    content_type = b"application/x-ndjson" if wrong else b"text/event-stream; charset=utf-8"
    return [
        (b"content-type", content_type),
        (b"cache-control", b"no-cache"),
        (b"x-accel-buffering", b"no"),
    ]


class SseResponse:
    """Streams a :class:`StreamPlan`: its first events, then its subscription, then closes."""

    def __init__(
        self,
        plan: StreamPlan,
        encode: Encode,
        service: Service,
        *,
        final_task: bool = False,
    ) -> None:
        self.plan = plan
        self.service = service
        self.options = service.options
        self.framer = Framer(service.options)
        self.frames = EventFrames(self.framer, encode)
        self.final_task = final_task  # variant final-task (1.0 only; the caller decides)
        self.written = 0  # subscription events written (fault load-drops-events)
        self.load_drops = self.options.fault("load-drops-events")
        if plan.subscriber is not None and self.options.fault("unbounded-buffer"):
            plan.subscriber.serialize = self.frames

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send(
            {"type": "http.response.start", "status": 200, "headers": sse_headers(self.options)}
        )
        writer = asyncio.create_task(self._pump(send))
        left = asyncio.create_task(_wait_disconnect(receive))
        stop = asyncio.create_task(self.service.shutting_down.wait())
        self.service.open_streams += 1
        try:
            await asyncio.wait({writer, left, stop}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            self.service.open_streams -= 1
            for task in (writer, left, stop):
                task.cancel()
            for task in (writer, left, stop):
                with contextlib.suppress(BaseException):
                    await task
        client_left = left.done() and not left.cancelled()
        if client_left or (writer.done() and not writer.cancelled() and writer.exception()):
            self.service.stream_left(self.plan)
            return
        if self.plan.subscriber is not None:
            self.plan.subscriber.detach()
        with contextlib.suppress(OSError):
            await send({"type": "http.response.body", "body": b"", "more_body": False})

    async def _pump(self, send: Send) -> None:
        plan = self.plan
        batching = self.options.fault("batched-events")
        frames = self.frames
        first = [frames(e) for e in plan.first]
        held: list[str] = []
        if batching:  # fault batched-events: hold everything until the stream ends
            held, first = first, []
        elif not plan.defer_first:
            await self._write(send, first)
            first = []
        sub = plan.subscriber
        if sub is None:
            await self._write(send, held)
            if self.options.fault("reply-stream-open") and plan.record is None:
                await asyncio.Event().wait()  # a reply stream: idle until the client leaves
            return
        load_drops = self.load_drops
        while True:
            out: list[str] = []
            size = 0
            end: End | Overflow | None = None
            for item in await sub.take():
                if isinstance(item, End | Overflow):
                    end = item
                    break
                if first:
                    out += first
                    first = []
                if load_drops and self._load_skips():
                    continue
                # fault unbounded-buffer: a Frame was encoded when queued
                frame = item.text if isinstance(item, Frame) else frames(item)
                out.append(frame)
                size += len(frame)
                if size >= WRITE_BYTES and not batching:
                    await self._write(send, out)
                    out, size = [], 0
            if isinstance(end, End) and end.reason in ("terminal", "canceled"):
                if self.final_task and end.view is not None:
                    out.append(frames(TaskEvent(end.view)))
            if isinstance(end, Overflow):
                out.append(
                    self.framer.comment(
                        f"closed: this reader fell {end.capacity} events behind; "
                        "re-attach for a fresh snapshot"
                    )
                )
            if batching:
                held += out
                if end is not None:
                    await self._write(send, held)
            else:
                await self._write(send, out)
            if end is None:
                continue
            if isinstance(end, End) and end.reason in ("terminal", "canceled"):
                if self.options.fault("no-close-after-terminal"):
                    await asyncio.Event().wait()  # idle until the client leaves
            return

    def _load_skips(self) -> bool:
        """Fault load-drops-events (on: the caller checks): whether this event is lost."""
        service = self.service
        self.written += 1
        if service.open_streams <= LOAD_STREAMS or self.written <= LOAD_AFTER:
            return False
        service.events_written += 1
        return service.events_written % LOAD_SKIP == 0

    async def _write(self, send: Send, frames: list[str]) -> None:
        if not frames:
            return
        data = "".join(frames).encode()
        if self.options.variant("tiny-chunks"):
            for i in range(0, len(data), TINY_CHUNK):
                await send(
                    {
                        "type": "http.response.body",
                        "body": data[i : i + TINY_CHUNK],
                        "more_body": True,
                    }
                )
                # Every write is a scheduling point, as on any async transport. uvicorn's send
                # only suspends once the transport is paused, so without this one stream's
                # thousands of 3-byte writes would hold the event loop: every other stream and
                # agent of the server (and the noticing of a dead client) would advance one
                # step per batch this writer takes.
                await asyncio.sleep(0)
            return
        await send({"type": "http.response.body", "body": data, "more_body": True})


async def _wait_disconnect(receive: Receive) -> None:
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return


async def error_event_stream(payload: dict[str, Any], options: Options, send: Send) -> None:
    """Variant sse-errors: a pre-stream error as HTTP 200 SSE with one error event."""
    framer = Framer(options)
    await send({"type": "http.response.start", "status": 200, "headers": sse_headers(options)})
    await send(
        {"type": "http.response.body", "body": framer.event(payload).encode(), "more_body": False}
    )
