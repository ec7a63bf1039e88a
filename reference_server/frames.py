"""SSE frame text for one stream's events: the framing variants, and artifact updates spliced.

Encoding an event (model → dict → JSON → SSE line) costs several µs, and a burst is thousands
of artifact updates that differ only in their text. So with the plain framing (one ``data:``
line of compact JSON), :class:`EventFrames` encodes an update's head once, with a marker in
place of the text, splits that frame at the marker, and frames each chunk as prefix + the
chunk's JSON string + suffix. The JSON string comes from the escaping function the encoder
itself uses for every string, so the bytes are exactly those of the full encoding; any other
event, any framing variant, and any head whose frame does not split cleanly go the full way.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

from reference_server.model import ArtifactEvent, ArtifactHead, Event
from reference_server.options import Options

Encode = Callable[[Event], dict[str, Any]]

UNKNOWN_MEMBER = "xReferenceServerExtra"  # variant unknown-members
#: compact JSON, one encoder for every event (``json.dumps`` with options builds one per call)
_compact = json.JSONEncoder(separators=(",", ":")).encode
#: how that encoder writes a str (ensure_ascii): the C ``encode_basestring_ascii``, quotes included
_json_string: Callable[[str], str] = json.encoder.encode_basestring_ascii
#: stands in for the text while a head is encoded; letters and digits only, so it is written as
#: itself, and random, so no id or name of a task carries it (a frame with two is not spliced)
MARKER = f"chunk-text-{uuid.uuid4().hex}"
_MARKER_JSON = _json_string(MARKER)


def with_unknown_members(value: Any) -> Any:
    """A copy of ``value`` with an extra unknown member in every object (variant)."""
    if isinstance(value, dict):
        out = {k: with_unknown_members(v) for k, v in value.items()}
        out[UNKNOWN_MEMBER] = {"note": "ignore me"}
        return out
    if isinstance(value, list):
        return [with_unknown_members(v) for v in value]
    return value


class Framer:
    """Turns JSON payloads into SSE text, applying this server's SSE variants."""

    def __init__(self, options: Options) -> None:
        self.eol = "\r\n" if options.variant("crlf") else "\r" if options.variant("cr") else "\n"
        self.ping = options.variant("comments")
        self.fields = options.variant("sse-fields")
        self.multiline = options.variant("multiline-data")
        self.unknown = options.variant("unknown-members")
        #: one ``data:`` line of compact JSON per event, nothing else: a frame is then a pure
        #: function of its payload (no sequence number), which splicing relies on
        self.plain = not (self.ping or self.fields or self.multiline or self.unknown)
        self.seq = 0

    def event(self, payload: dict[str, Any]) -> str:
        if self.plain:  # the common case, on every event: one line of compact JSON
            return "data: " + _compact(payload) + self.eol + self.eol
        if self.unknown:
            payload = with_unknown_members(payload)
        if self.multiline:
            lines = json.dumps(payload, indent=2).split("\n")
        else:
            lines = [_compact(payload)]
        out: list[str] = [": ping"] if self.ping else []
        if self.fields:
            self.seq += 1
            out += ["event: message", f"id: {self.seq}", "retry: 1000"]
        out += ["data: " + line for line in lines]
        return self.eol.join(out) + self.eol + self.eol

    def comment(self, text: str) -> str:
        return f": {text}{self.eol}{self.eol}"


class EventFrames:
    """One stream's events as SSE frames (``encode``: the stream's dialect and envelope)."""

    def __init__(self, framer: Framer, encode: Encode) -> None:
        self.framer = framer
        self.encode = encode
        self._splice = framer.plain
        #: the last head framed and its frame split at the text (None: not spliceable); one
        #: entry is enough, a burst's chunks share one head
        self._head: ArtifactHead | None = None
        self._parts: tuple[str, str] | None = None

    def __call__(self, event: Event) -> str:
        if self._splice and isinstance(event, ArtifactEvent):
            return self._artifact(event)
        return self.framer.event(self.encode(event))

    def _artifact(self, event: ArtifactEvent) -> str:
        head = event.head
        if head is not self._head:
            self._head, self._parts = head, self._split(head)
        parts = self._parts
        if parts is None:
            return self.framer.event(self.encode(event))
        return parts[0] + _json_string(event.text) + parts[1]

    def _split(self, head: ArtifactHead) -> tuple[str, str] | None:
        """The frame of an update with this head, before and after its text's JSON string."""
        pieces = self.framer.event(self.encode(ArtifactEvent(head, MARKER))).split(_MARKER_JSON)
        return (pieces[0], pieces[1]) if len(pieces) == 2 else None
