"""Spliced artifact frames are byte for byte the full encoding, in every dialect and framing.

``EventFrames`` frames a burst's chunks from a template per head (frames.py); these tests hold
it to the slow path it replaces: the dialect's encoder, the stream's envelope, ``Framer``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reference_server.frames import MARKER, EventFrames, Framer
from reference_server.model import ArtifactEvent, ArtifactHead, Event, StatusEvent, now
from reference_server.options import Options, make_options
from reference_server.wire_v03 import V03Encoder
from reference_server.wire_v10 import V10Encoder

Encode = Callable[[Event], dict[str, Any]]


def _encoders(options: Options) -> dict[str, Encode]:
    """What each dialect's stream encodes an event with (envelope included, as jsonrpc.py)."""
    v03, v10 = V03Encoder(options), V10Encoder(options)
    return {
        "v0.3-jsonrpc": lambda e: {"jsonrpc": "2.0", "id": 7, "result": v03.stream_result(e)},
        "v1.0-jsonrpc": lambda e: {"jsonrpc": "2.0", "id": "r", "result": v10.stream_response(e)},
        "v1.0-rest": v10.stream_response,
    }


SETTINGS = [
    {},
    {"faults": ["mismatched-ids"]},
    {"faults": ["legacy-enums-1.0"]},
    {"variants": ["crlf"]},
    {"variants": ["cr"]},
    {"variants": ["unknown-members"]},  # not plain: every frame the full way
    {"variants": ["sse-fields", "comments"]},
    {"variants": ["multiline-data"]},
]
HEADS = [
    ArtifactHead("task-1", "ctx-1", "a", None, False, False),
    ArtifactHead("task-1", "ctx-1", "a", "report \"q\" é", True, False),
    ArtifactHead("task-1", "ctx-1", "b", None, True, True),
]
TEXTS = ["0 ...........", "", 'quote " backslash \\ slash /', "tab\tnl\ncr\r\x00\x1f", "é€😀",
         "\ud800 lone surrogate", MARKER, f'"{MARKER}"']


def _full(framer: Framer, encode: Encode, event: Event) -> str:
    return framer.event(encode(event))


def _name(setting: dict[str, list[str]]) -> str:
    return ",".join(name for names in setting.values() for name in names) or "clean"


@pytest.mark.parametrize("setting", SETTINGS, ids=_name)
def test_spliced_frames_equal_the_full_encoding(setting: dict[str, list[str]]) -> None:
    options = make_options(**setting)  # type: ignore[arg-type]
    for encode in _encoders(options).values():
        frames, reference = EventFrames(Framer(options), encode), Framer(options)
        for head in [*HEADS, HEADS[0]]:  # the head changes, and comes back
            for text in TEXTS:
                event = ArtifactEvent(head, text)
                assert frames(event) == _full(reference, encode, event)
        status = StatusEvent("task-1", "ctx-1", "working", None, now(), False)
        assert frames(status) == _full(reference, encode, status)


@settings(max_examples=200, deadline=None)
@given(texts=st.lists(st.text(), min_size=1, max_size=8), name=st.none() | st.text(max_size=8))
def test_any_text_splices_to_the_same_bytes(texts: list[str], name: str | None) -> None:
    options = make_options()
    head = ArtifactHead("t", "c", "art", name, True, False)
    for encode in _encoders(options).values():
        frames, framer = EventFrames(Framer(options), encode), Framer(options)
        for text in texts:
            event = ArtifactEvent(head, text)
            assert frames(event) == _full(framer, encode, event)


def test_a_head_carrying_the_marker_is_encoded_in_full() -> None:
    """An id holding the marker would split the template in three: that head is not spliced,
    and its frames are still right."""
    options = make_options()
    encode = _encoders(options)["v1.0-rest"]
    frames = EventFrames(Framer(options), encode)
    head = ArtifactHead(MARKER, "c", "a", None, True, False)
    event = ArtifactEvent(head, "x")
    assert frames(event) == _full(Framer(options), encode, event)
    assert frames._parts is None  # the fallback was taken


def test_equal_heads_that_are_distinct_objects_frame_alike() -> None:
    options = make_options()
    encode = _encoders(options)["v0.3-jsonrpc"]
    frames = EventFrames(Framer(options), encode)
    one = frames(ArtifactEvent(ArtifactHead("t", "c", "a", None, True, False), "x"))
    two = frames(ArtifactEvent(ArtifactHead("t", "c", "a", None, True, False), "x"))
    assert one == two == _full(Framer(options), encode, ArtifactEvent(
        ArtifactHead("t", "c", "a", None, True, False), "x"))
