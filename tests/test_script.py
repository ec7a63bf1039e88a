"""The `a2a-conformance/1` script parser: the one module shared by judge and judged."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pytest_a2a import script
from pytest_a2a.script import (
    Artifact,
    Burst,
    Message,
    Raise,
    Reply,
    ScriptError,
    Sleep,
    Status,
    WaitCancel,
)


def _text(steps: object) -> str:
    return script.MARKER + "\n" + json.dumps({"steps": steps})


def test_plain_text_is_not_a_script() -> None:
    assert script.parse("Hello there") is None


def test_every_step_kind_parses() -> None:
    parsed = script.parse(
        _text(
            [
                {"status": "working", "text": "on it"},
                {"artifact": {"id": "a1", "text": "x", "append": False, "last": True, "name": "n"}},
                {"message": "m"},
                {"sleep": 0.5},
                {"burst": {"id": "b", "count": 3, "bytes": 8}},
                {"wait_cancel": 2},
                {"raise": "boom"},
                {"status": "completed"},
            ]
        )
    )
    assert parsed is not None
    assert parsed.steps == (
        Status("working", "on it"),
        Artifact("a1", "x", append=False, last=True, name="n"),
        Message("m"),
        Sleep(0.5),
        Burst("b", 3, 8),
        WaitCancel(2.0),
        Raise("boom"),
        Status("completed"),
    )


def test_reply_alone() -> None:
    parsed = script.parse(_text([{"reply": "hi"}]))
    assert parsed is not None and parsed.is_reply and parsed.steps == (Reply("hi"),)


@pytest.mark.parametrize(
    ("steps", "problem"),
    [
        ([{"dance": 1}], "unknown step 'dance'"),
        ([{"status": "submitted"}], "unknown state"),
        ([{"reply": "a"}, {"status": "completed"}], "only step"),
        ([{"sleep": 31}], "seconds"),
        ([{"sleep": True}], "seconds"),
        ([{"burst": {"id": "b", "count": 0, "bytes": 8}}], "burst.count"),
        ([{"burst": {"id": "b", "count": 1000, "bytes": 3}}], "cannot hold index"),
        ([{"artifact": {"id": "", "text": "x"}}], "artifact.id"),
        ([{"artifact": {"id": "a", "text": "x", "colour": 1}}], "unknown member"),
        ([{"status": "working", "sleep": 1}], "unknown member"),
        ([{"sleep": 1, "raise": "x"}], "exactly one step key"),
        ([], "no steps"),
    ],
)
def test_invalid_scripts_name_the_problem(steps: object, problem: str) -> None:
    with pytest.raises(ScriptError, match=problem):
        script.parse(_text(steps))


def test_unknown_contract_version_is_rejected() -> None:
    with pytest.raises(ScriptError, match="unknown contract version"):
        script.parse('a2a-conformance/2\n{"steps": [{"status": "completed"}]}')


def test_body_must_be_json_object() -> None:
    with pytest.raises(ScriptError, match="not valid JSON"):
        script.parse(script.MARKER + "\n{steps")
    with pytest.raises(ScriptError, match="exactly one member"):
        script.parse(script.MARKER + '\n{"steps": [], "x": 1}')


def test_build_refuses_invalid_scripts() -> None:
    with pytest.raises(ScriptError):
        script.build([{"status": "nope"}])


@given(index=st.integers(0, 99_999), size=st.integers(6, 65_536))
def test_burst_chunk_is_exact_size_and_numbered(index: int, size: int) -> None:
    chunk = script.burst_chunk(index, size)
    assert len(chunk.encode()) == size
    assert chunk.split(" ", 1)[0] == str(index)
    assert set(chunk.split(" ", 1)[1]) <= {"."}


@given(
    st.lists(
        st.one_of(
            st.builds(lambda s: {"status": s}, st.sampled_from(script.STATES)),
            st.builds(lambda t: {"message": t}, st.text(max_size=20)),
            st.builds(lambda s: {"sleep": s}, st.floats(0, 30)),
            st.builds(
                lambda i, t: {"artifact": {"id": i, "text": t}},
                st.text(min_size=1, max_size=5),
                st.text(max_size=5),
            ),
        ),
        min_size=1,
        max_size=8,
    )
)
def test_build_then_parse_round_trips(steps: list[dict[str, object]]) -> None:
    parsed = script.parse(script.build(steps))
    assert parsed is not None and len(parsed.steps) == len(steps)
