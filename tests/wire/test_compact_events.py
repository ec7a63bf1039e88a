"""A stream's events keep what a burst repeats as atoms (issue 11): the same values as the full
decoders, whatever the payload, and one object per kept event for the garbage collector."""

from __future__ import annotations

import copy
import gc
import json
from typing import Any

import pytest

from pytest_a2a.budget import Budget
from pytest_a2a.wire.dialects import get_dialect
from pytest_a2a.wire.models import StreamEvent
from pytest_a2a.wire.sse import SSEEvent, SSEParser, simple_event
from pytest_a2a.wire.stream import EventStream
from pytest_a2a.wire.transcript import HEAD_ENTRIES, TAIL_ENTRIES
from tests.wire.helpers import DIALECTS, encode_events, sample_events

MEMBERS = ("kind", "task", "message", "status_update", "artifact_update", "error", "rpc_id",
           "has_rpc_id", "problems")
DERIVED = ("state", "final", "task_id", "context_id", "is_terminal", "is_interrupted")


def _update(dialect: str, wrapper: str, kind: str, body: Any) -> Any:
    """One status / artifact update payload in ``dialect``'s envelope."""
    if dialect == "v0.3-jsonrpc" and isinstance(body, dict):
        return {"jsonrpc": "2.0", "id": "r", "result": {"kind": kind, **body}}
    if dialect == "v1.0-rest":
        return {wrapper: body}
    return {"jsonrpc": "2.0", "id": "r", "result": {wrapper: body}}


def _variants() -> list[tuple[str, str, str, Any]]:
    """Updates the atoms path keeps, and ones it must leave to the full decoder."""
    art = {"taskId": "t", "contextId": "c", "append": True, "lastChunk": False,
           "artifact": {"artifactId": "a", "parts": [{"text": "x"}]}}
    out: list[tuple[str, str, str, Any]] = []

    def artifact(label: str, **changes: Any) -> None:
        body = copy.deepcopy(art)
        for key, value in changes.items():
            if key in ("artifactId", "name", "description", "parts"):
                body["artifact"][key] = value
            else:
                body[key] = value
        out.append((label, "artifactUpdate", "artifact-update", body))

    artifact("one text")
    artifact("two texts", parts=[{"text": "a"}, {"kind": "text", "text": "b"}])
    artifact("no parts", parts=[])
    artifact("parts not a list", parts={"text": "x"})
    artifact("text not a string", parts=[{"text": 5}])
    artifact("data part", parts=[{"data": {"k": 1}}])
    artifact("text and file", parts=[{"text": "x", "url": "http://x"}])
    artifact("part not an object", parts=["x"])
    artifact("name and description", name="n", description="d")
    artifact("name not a string", name=3, description=["d"])
    artifact("flags not booleans", append="yes", lastChunk=1)
    artifact("ids not strings", taskId=7, contextId=None, artifactId=False)
    out.append(("artifact not an object", "artifactUpdate", "artifact-update",
                {"taskId": "t", "artifact": "x"}))
    out.append(("no artifact", "artifactUpdate", "artifact-update", {"taskId": "t"}))
    status = {"taskId": "t", "contextId": "c", "final": True,
              "status": {"state": "TASK_STATE_COMPLETED", "timestamp": "2025-01-01T00:00:00Z"}}
    for name, change in [
        ("status", {}),
        ("v0.3 state", {"status": {"state": "input-required"}}),
        ("unknown state", {"status": {"state": "TASK_STATE_SNOOZING"}}),
        ("state not a string", {"status": {"state": 3, "timestamp": 4}}),
        ("status message", {"status": {"state": "working", "message": {
            "messageId": "m", "role": "ROLE_AGENT", "parts": [{"text": "hi"}]}}}),
        ("status not an object", {"status": "working"}),
        ("final not a boolean", {"final": "yes"}),
    ]:
        out.append((name, "statusUpdate", "status-update", {**status, **change}))
    out.append(("update not an object", "statusUpdate", "status-update", ["x"]))
    return out


def _ingest(dialect: str, payloads: list[Any]) -> EventStream:
    stream = EventStream(get_dialect(dialect), Budget(5.0))
    stream._ingest(encode_events(payloads))
    return stream


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("case", _variants(), ids=lambda c: c[0])
def test_stream_event_equals_the_full_decoder(dialect: str, case: tuple[Any, ...]) -> None:
    """Whatever form an event keeps, it reads exactly as the full decoder's record."""
    _, wrapper, kind, body = case
    payload = _update(dialect, wrapper, kind, body)
    (ev,) = _ingest(dialect, [payload]).events
    full = get_dialect(dialect).decode_event(json.loads(json.dumps(payload)))
    for name in MEMBERS:
        assert getattr(ev, name) == getattr(full, name), name
    for name in DERIVED:
        assert getattr(ev, name) == getattr(_Legacy(full), name), name


class _Legacy:
    """The derived members, as the model defined them before issue 11."""

    def __init__(self, d: Any) -> None:
        self.d = d

    @property
    def state(self) -> str | None:
        for obj in (self.d.task, self.d.status_update):
            if obj is not None:
                return obj.status.state  # type: ignore[no-any-return]
        return None

    @property
    def is_terminal(self) -> bool:
        return self.state in ("completed", "failed", "canceled", "rejected")

    @property
    def is_interrupted(self) -> bool:
        return self.state in ("input-required", "auth-required")

    @property
    def final(self) -> bool | None:
        su = self.d.status_update
        return su.final if su is not None else None

    @property
    def task_id(self) -> str | None:
        d = self.d
        if d.task is not None:
            return d.task.id  # type: ignore[no-any-return]
        for obj in (d.status_update, d.artifact_update, d.message):
            if obj is not None:
                return obj.task_id  # type: ignore[no-any-return]
        return None

    @property
    def context_id(self) -> str | None:
        for obj in (self.d.task, self.d.status_update, self.d.artifact_update, self.d.message):
            if obj is not None:
                return obj.context_id  # type: ignore[no-any-return]
        return None


@pytest.mark.parametrize("dialect", DIALECTS)
def test_sample_stream_reads_as_decoded(dialect: str) -> None:
    payloads = sample_events(dialect, "req-1")
    stream = _ingest(dialect, payloads)
    d = get_dialect(dialect)
    for ev, payload in zip(stream.events, payloads, strict=True):
        full = d.decode_event(payload)
        assert [getattr(ev, m) for m in MEMBERS] == [getattr(full, m) for m in MEMBERS]
        assert ev.payload == payload and ev.schema_errors == ()
        assert ev.raw.data == ev.data == json.dumps(payload) and ev.raw is ev.raw
    assert [ev.describe() for ev in stream.events] == [
        "task(submitted)", "status(working)", "artifact(a1 last)",
        "status(completed)" if dialect != "v0.3-jsonrpc" else "status(completed final)"]


def test_a_kept_burst_event_is_one_object_for_the_collector() -> None:
    """The event is the only container the GC walks: wire bytes, atoms and ids are not."""
    payload = {"jsonrpc": "2.0", "id": "r", "result": {"artifactUpdate": {
        "taskId": "t", "contextId": "c", "artifact": {"artifactId": "a", "parts": [{"text": "x"}]},
        "append": True, "lastChunk": False}}}
    stream = _ingest("v1.0-jsonrpc", [payload] * 3)
    gc.collect()  # tuples of atoms are untracked by the collector's first pass over them
    for ev in stream.events:
        walked = [r for r in gc.get_referents(ev) if gc.is_tracked(r) and r is not StreamEvent]
        assert walked == []
        assert ev.artifact_update is not None and ev.artifact_update.artifact.text == "x"


def test_feed_wire_hands_out_simple_events_as_bytes() -> None:
    body = b"data: {}\n\n: c\n\ndata: a\ndata: b\n\ndata: {}\r\n\r\n"
    wire, plain = SSEParser().feed_wire(body, 2.5), SSEParser().feed(body, 2.5)
    assert [type(x) for x in wire] == [bytes, type(plain[1]), SSEEvent, bytes]
    assert [simple_event(x, 2.5) if isinstance(x, bytes) else x for x in wire] == plain
    assert plain[3].data == "{}" and plain[3].raw == b"data: {}\r\n\r\n"


def test_transcript_of_wire_events_head_gap_and_tail() -> None:
    n = HEAD_ENTRIES + TAIL_ENTRIES + 50
    stream = EventStream(get_dialect("v1.0-rest"), Budget(5.0))
    stream._ingest(b"".join(b'data: {"n": %d}\n\n' % i for i in range(n)))
    stream._ingest(b'data: {"n":\n data: 1}\n\n')  # not simple: an Entry of its own
    kept = stream.transcript.kept()
    events = [e for e in kept if e.kind == "event"]
    assert stream.transcript.omitted == n + 1 - HEAD_ENTRIES - TAIL_ENTRIES
    assert [e.index for e in events[:2]] == [0, 1] and events[-1].index == n
    assert events[-2].shown_lines() == [f'data: {{"n": {n - 1}}}']
    assert events[-2].t == stream.events[n - 1].t and events[-2].nbytes == len(
        b'data: {"n": %d}\n\n' % (n - 1))
    assert f"#{n - 1} data: {{\"n\": {n - 1}}}" in stream.transcript.excerpt(around=n - 1)
    assert isinstance(stream.events[0], StreamEvent)
