"""Own schemas vs the shared oracle schemas, and lenient normalization into one event model."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft7Validator, Draft202012Validator

from pytest_a2a.budget import Budget
from pytest_a2a.wire.dialects import get_dialect
from pytest_a2a.wire.schema import (
    MAX_ERRORS,
    STREAM_EVENT_DEFS,
    load_schema,
    validate,
    validate_result,
    validate_stream_event,
)
from pytest_a2a.wire.stream import EventStream, events_judged
from tests.wire.helpers import DIALECTS, sample_events

SPEC = Path("/work/shared/spec")
_S03 = json.loads((SPEC / "a2a-v0.3.0.schema.json").read_text())
_LAX = json.loads((SPEC / "a2a-v1.0-derived.lax.schema.json").read_text())
_STRICT = json.loads((SPEC / "a2a-v1.0-derived.strict.schema.json").read_text())


def _oracle(dialect: str, strict: bool = False) -> Any:
    if dialect == "v0.3-jsonrpc":
        return Draft7Validator({"$ref": "#/definitions/SendStreamingMessageResponse",
                                "definitions": _S03["definitions"]})
    doc = _STRICT if strict else _LAX
    if dialect == "v1.0-jsonrpc":
        return Draft202012Validator({"$ref": "#/$defs/JsonRpcStreamEvent", "$defs": doc["$defs"]})
    return Draft202012Validator({"oneOf": [{"$ref": "#/$defs/StreamResponse"},
                                           {"$ref": "#/$defs/RestErrorResponse"}],
                                 "$defs": doc["$defs"]})


def _result(dialect: str, ev: dict[str, Any]) -> dict[str, Any]:
    """The object inside the envelope / wrapper that mutations target."""
    inner = ev if dialect == "v1.0-rest" else ev["result"]
    if dialect != "v0.3-jsonrpc":
        (inner,) = inner.values()
    return inner


def _more_valid(dialect: str) -> list[Any]:
    """Events beyond the clean stream: messages, rich tasks, file/data parts, errors."""
    out: list[Any] = []
    if dialect == "v0.3-jsonrpc":
        msg = {"kind": "message", "messageId": "m1", "role": "agent", "contextId": "c1",
               "parts": [{"kind": "text", "text": "hi"}, {"kind": "data", "data": {"a": 1}},
                         {"kind": "file", "file": {"uri": "http://x/y", "mimeType": "text/plain"}},
                         {"kind": "file", "file": {"bytes": "aGk="}}]}
        task = {"kind": "task", "id": "t1", "contextId": "c1",
                "status": {"state": "input-required", "message": msg},
                "artifacts": [{"artifactId": "a", "parts": [{"kind": "text", "text": "x"}]}],
                "history": [msg], "metadata": {"k": 1}}
        out += [{"jsonrpc": "2.0", "id": 5, "result": msg},
                {"jsonrpc": "2.0", "id": None, "result": task},
                {"jsonrpc": "2.0", "id": "r", "error": {"code": -32001, "message": "nope"}}]
        return out
    msg = {"messageId": "m1", "role": "ROLE_AGENT", "contextId": "c1",
           "parts": [{"text": "hi"}, {"data": {"a": [1]}},
                     {"url": "http://x/y", "mediaType": "a/b"}, {"raw": "aGk=", "filename": "f"}]}
    task = {"id": "t1", "contextId": "c1",
            "status": {"state": "TASK_STATE_AUTH_REQUIRED", "message": msg,
                       "timestamp": "2025-06-01T10:00:00Z"},
            "artifacts": [{"artifactId": "a", "name": "n", "parts": [{"text": "x"}]}],
            "history": [msg]}
    bodies = [{"message": msg}, {"task": task}]
    if dialect == "v1.0-rest":
        out += bodies
        out.append({"error": {"code": 404, "status": "NOT_FOUND", "message": "no",
                              "details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo",
                                           "reason": "TASK_NOT_FOUND"}]}})
    else:
        out += [{"jsonrpc": "2.0", "id": 7, "result": b} for b in bodies]
        out.append({"jsonrpc": "2.0", "id": "r", "error": {"code": -32009, "message": "v"}})
    return out


def _unknown_members(obj: Any) -> Any:
    if isinstance(obj, dict):
        out = {k: _unknown_members(v) for k, v in obj.items()}
        out["xUnknownMember"] = {"nested": [1, "two"]}
        return out
    if isinstance(obj, list):
        return [_unknown_members(v) for v in obj]
    return obj


def valid_samples(dialect: str) -> list[Any]:
    return [*sample_events(dialect, "req-1"), *_more_valid(dialect)]


@pytest.mark.parametrize("dialect", DIALECTS)
def test_valid_samples_pass_own_and_oracle(dialect: str) -> None:
    oracle = _oracle(dialect)
    for ev in valid_samples(dialect):
        assert not list(oracle.iter_errors(ev)), ev  # the samples themselves are right
        assert validate_stream_event(dialect, ev) == [], ev


@pytest.mark.parametrize("dialect", DIALECTS)
def test_unknown_members_are_accepted(dialect: str) -> None:
    oracle = _oracle(dialect)
    for ev in valid_samples(dialect):
        if dialect == "v0.3-jsonrpc" and "error" in ev:
            continue
        noisy = _unknown_members(ev)
        assert not list(oracle.iter_errors(noisy))
        assert validate_stream_event(dialect, noisy) == [], noisy


def _mutations(dialect: str) -> list[tuple[str, Any, bool]]:
    """(name, invalid event, needs the strict oracle) -- each must be rejected by both."""
    base = sample_events(dialect, "req-1")
    task, working, art, done = (copy.deepcopy(e) for e in base)
    out: list[tuple[str, Any, bool]] = []

    def mut(name: str, ev: Any, fn: Any, strict: bool = False) -> None:
        ev = copy.deepcopy(ev)
        fn(ev)
        out.append((name, ev, strict))

    mut("status-missing-taskId", working, lambda e: _result(dialect, e).pop("taskId"))
    mut("status-missing-contextId", working, lambda e: _result(dialect, e).pop("contextId"))
    mut("status-missing-status", working, lambda e: _result(dialect, e).pop("status"))
    mut("status-missing-state", working, lambda e: _result(dialect, e)["status"].pop("state"))
    mut("artifact-missing-artifact", art, lambda e: _result(dialect, e).pop("artifact"))
    mut("artifact-missing-id", art, lambda e: _result(dialect, e)["artifact"].pop("artifactId"))
    mut("artifact-missing-parts", art, lambda e: _result(dialect, e)["artifact"].pop("parts"))
    mut("task-missing-id", task, lambda e: _result(dialect, e).pop("id"))
    mut("task-missing-status", task, lambda e: _result(dialect, e).pop("status"))
    mut("append-not-bool", art, lambda e: _result(dialect, e).__setitem__("append", "yes"))
    if dialect != "v1.0-rest":
        mut("no-jsonrpc", done, lambda e: e.pop("jsonrpc"))
        mut("jsonrpc-1.0", done, lambda e: e.__setitem__("jsonrpc", "1.0"))
        mut("no-id", done, lambda e: e.pop("id"))
        mut("id-object", done, lambda e: e.__setitem__("id", {"x": 1}))
        mut("no-result", done, lambda e: e.pop("result"))
        mut("error-without-code", done,
            lambda e: (e.pop("result"), e.__setitem__("error", {"message": "m"})))
    if dialect == "v0.3-jsonrpc":
        mut("state-1.0-spelling", working,
            lambda e: _result(dialect, e)["status"].__setitem__("state", "TASK_STATE_WORKING"))
        mut("state-cancelled", done,
            lambda e: _result(dialect, e)["status"].__setitem__("state", "cancelled"))
        mut("missing-final", done, lambda e: _result(dialect, e).pop("final"))
        mut("missing-kind", working, lambda e: _result(dialect, e).pop("kind"))
        mut("wrong-kind", working, lambda e: _result(dialect, e).__setitem__("kind", "status"))
        mut("task-missing-contextId", task, lambda e: _result(dialect, e).pop("contextId"))
        mut("part-missing-kind", art,
            lambda e: _result(dialect, e)["artifact"]["parts"][0].pop("kind"))
        mut("role-1.0-spelling", task, lambda e: _result(dialect, e)["status"].__setitem__(
            "message", {"kind": "message", "messageId": "m", "role": "ROLE_AGENT", "parts": []}))
    else:
        mut("state-lowercase", working,
            lambda e: _result(dialect, e)["status"].__setitem__("state", "working"))
        mut("state-CANCELLED", done, lambda e: _result(dialect, e)["status"].__setitem__(
            "state", "TASK_STATE_CANCELLED"))
        mut("timestamp-offset", working, lambda e: _result(dialect, e)["status"].__setitem__(
            "timestamp", "2025-01-01T02:00:00+02:00"))
        mut("empty-parts", art, lambda e: _result(dialect, e)["artifact"].__setitem__("parts", []))
        mut("part-two-contents", art, lambda e: _result(dialect, e)["artifact"]["parts"][0]
            .__setitem__("data", {"x": 1}))
        mut("part-no-content", art, lambda e: _result(dialect, e)["artifact"]["parts"][0]
            .pop("text"))
        mut("role-lowercase", task, lambda e: _result(dialect, e)["status"].__setitem__(
            "message", {"messageId": "m", "role": "agent", "parts": [{"text": "x"}]}))
        mut("two-payloads", working, lambda e: (e if dialect == "v1.0-rest" else e["result"])
            .__setitem__("task", {"id": "t", "status": {"state": "TASK_STATE_WORKING"}}))
        mut("no-payload", working, lambda e: (e if dialect == "v1.0-rest" else e["result"])
            .pop("statusUpdate"))
        mut("kind-on-status-update", working,
            lambda e: _result(dialect, e).__setitem__("kind", "status-update"), True)
        mut("kind-on-task", task, lambda e: _result(dialect, e).__setitem__("kind", "task"), True)
        mut("kind-on-part", art, lambda e: _result(dialect, e)["artifact"]["parts"][0]
            .__setitem__("kind", "text"), True)
        mut("v0.3-shape", working, lambda e: (e if dialect == "v1.0-rest" else e["result"])
            .update(kind="status-update", taskId="t1", contextId="c1",
                    status={"state": "working"}, final=False)
            or (e if dialect == "v1.0-rest" else e["result"]).pop("statusUpdate"))
    return out


@pytest.mark.parametrize("dialect", DIALECTS)
def test_invalid_samples_rejected_by_own_and_oracle(dialect: str) -> None:
    for name, ev, strict in _mutations(dialect):
        oracle = _oracle(dialect, strict)
        assert list(oracle.iter_errors(ev)), f"oracle accepts {name}: the mutation is wrong"
        errors = validate_stream_event(dialect, ev)
        assert errors, f"own schema accepts {name}: {json.dumps(ev)}"
        assert all(isinstance(e, str) and ": " in e for e in errors)


def test_error_messages_point_at_the_problem() -> None:
    ev = sample_events("v1.0-jsonrpc", "r")[1]
    ev["result"]["statusUpdate"]["status"]["state"] = "working"
    (msg,) = validate_stream_event("v1.0-jsonrpc", ev)
    assert msg.startswith("result.statusUpdate.status.state: 'working' is not one of")
    ev = sample_events("v0.3-jsonrpc", "r")[3]
    del ev["result"]["final"]
    assert validate_stream_event("v0.3-jsonrpc", ev) == ["result: 'final' is a required property"]


def test_schemas_are_own_files_and_well_formed() -> None:
    for version in ("0.3", "1.0"):
        doc = load_schema(version)
        Draft202012Validator.check_schema(doc)
        assert "pytest-a2a" in doc["title"]
    assert validate("1.0", "Task", {"id": "t", "status": {"state": "TASK_STATE_WORKING"}}) == []


def test_unary_result_validation() -> None:
    assert validate_result("v1.0-rest", "send", {"message": {
        "messageId": "m", "role": "ROLE_AGENT", "parts": [{"text": "x"}]}}) == []
    assert validate_result("v1.0-jsonrpc", "get", {"id": "t"})  # no status
    assert validate_result("v0.3-jsonrpc", "send", {"kind": "message", "messageId": "m",
                                                    "role": "agent", "parts": []}) == []
    assert validate_result("v1.0-jsonrpc", "list", {"tasks": []}) == []


# -- normalization ---------------------------------------------------------------------------


@pytest.mark.parametrize("dialect", DIALECTS)
def test_normalized_model_is_the_same_for_all_dialects(dialect: str) -> None:
    d = get_dialect(dialect)
    decoded = [d.decode_event(e) for e in sample_events(dialect, "req-1")]
    assert [x.kind for x in decoded] == ["task", "status", "artifact", "status"]
    assert all(not x.problems for x in decoded)
    task, working, art, done = decoded
    assert task.task is not None and (task.task.id, task.task.context_id) == ("t1", "c1")
    assert task.task.status.state == "submitted"
    assert working.status_update is not None and working.status_update.status.state == "working"
    assert art.artifact_update is not None
    au = art.artifact_update
    assert (au.task_id, au.artifact.artifact_id, au.artifact.text, au.append, au.last_chunk) == (
        "t1", "a1", "hello", False, True)
    assert done.status_update is not None and done.status_update.status.state == "completed"
    assert done.status_update.final is (True if dialect == "v0.3-jsonrpc" else None)
    if dialect != "v1.0-rest":
        assert all(x.rpc_id == "req-1" and x.has_rpc_id for x in decoded)


@pytest.mark.parametrize("dialect", DIALECTS)
def test_rich_objects_normalize(dialect: str) -> None:
    d = get_dialect(dialect)
    msg_ev, task_ev, err_ev = (d.decode_event(e) for e in _more_valid(dialect))
    assert msg_ev.kind == "message" and msg_ev.message is not None
    m = msg_ev.message
    assert (m.role, m.text, [p.kind for p in m.parts]) == (
        "agent", "hi", ["text", "data", "file", "file"])
    assert m.parts[2].url == "http://x/y" and m.parts[3].raw == "aGk="
    assert task_ev.task is not None and task_ev.task.status.state in (
        "input-required", "auth-required")
    assert task_ev.task.status.message is not None and task_ev.task.history[0].text == "hi"
    assert err_ev.kind == "error" and err_ev.error is not None
    assert err_ev.error.code in (-32001, -32009)
    if dialect == "v1.0-rest":
        assert err_ev.error.reason == "TASK_NOT_FOUND"


def test_lenient_decoding_of_legacy_spellings_in_1_0() -> None:
    """A 1.0 server using 0.3 spellings still yields usable events (its schema check fails)."""
    d = get_dialect("v1.0-jsonrpc")
    ev = {"jsonrpc": "2.0", "id": 1, "result": {"statusUpdate": {
        "kind": "status-update", "taskId": "t", "contextId": "c",
        "status": {"state": "completed"}}}}
    x = d.decode_event(ev)
    assert x.kind == "status" and x.status_update is not None
    assert x.status_update.status.state == "completed"
    assert validate_stream_event("v1.0-jsonrpc", ev)
    bare = {"jsonrpc": "2.0", "id": 1, "result": {
        "kind": "artifact-update", "taskId": "t", "contextId": "c",
        "artifact": {"artifactId": "a"}}}
    assert d.decode_event(bare).kind == "artifact"


def test_invalid_payloads_become_invalid_with_reason() -> None:
    d = get_dialect("v1.0-jsonrpc")
    for payload, why in [([1, 2], "list"), ({"jsonrpc": "2.0", "id": 1}, "neither"),
                         ({"jsonrpc": "2.0", "id": 1, "result": {"foo": 1}}, "unrecognized"),
                         ({"jsonrpc": "2.0", "id": 1, "result": {"task": 5}}, "int"),
                         ({"jsonrpc": "2.0", "id": 1, "result": "x"}, "str")]:
        x = d.decode_event(payload)
        assert x.kind == "invalid" and why in "; ".join(x.problems), (payload, x.problems)


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5)
    | st.sampled_from(["TASK_STATE_WORKING", "working", "task", "status-update", "ROLE_AGENT"]),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(
        st.sampled_from(["jsonrpc", "id", "result", "error", "task", "message", "statusUpdate",
                         "artifactUpdate", "kind", "status", "state", "taskId", "contextId",
                         "artifact", "parts", "text", "append", "code", "final", "role"]),
        children, max_size=5),
    max_leaves=20,
)


@settings(max_examples=400, deadline=None)
@given(_json, st.sampled_from(DIALECTS))
def test_decoding_and_validation_never_crash(payload: Any, dialect: str) -> None:
    x = get_dialect(dialect).decode_event(payload)
    assert x.kind in ("task", "message", "status", "artifact", "error", "invalid")
    assert isinstance(validate_stream_event(dialect, payload), list)


# -- the compiled validator agrees with the reference implementation -------------------------


def _reference(dialect: str) -> Draft202012Validator:
    """The same own schema under Python ``jsonschema`` (the judge used it before issue 11)."""
    version, definition = STREAM_EVENT_DEFS[dialect]
    return Draft202012Validator({"$ref": f"#/$defs/{definition}",
                                 "$defs": load_schema(version)["$defs"]})


@settings(max_examples=400, deadline=None)
@given(_json, st.sampled_from(DIALECTS))
def test_verdict_agrees_with_python_jsonschema(payload: Any, dialect: str) -> None:
    expected = not list(_reference(dialect).iter_errors(payload))
    errors = validate_stream_event(dialect, payload)
    assert (errors == []) is expected, errors
    # every error names its path; past MAX_ERRORS one last "… (N more)" marker says so
    named = errors[:-1] if errors and errors[-1].startswith("… (") else errors
    assert len(named) <= MAX_ERRORS
    assert all(isinstance(e, str) and ": " in e for e in named)


@pytest.mark.parametrize("dialect", DIALECTS)
def test_mutations_agree_with_python_jsonschema(dialect: str) -> None:
    """Near-valid events (one rule broken) are the hard cases for a second implementation."""
    reference = _reference(dialect)
    for name, ev, _ in _mutations(dialect):
        rejected = bool(list(reference.iter_errors(ev)))
        assert bool(validate_stream_event(dialect, ev)) == rejected, name
    for ev in valid_samples(dialect):
        assert validate_stream_event(dialect, ev) == [] and not list(reference.iter_errors(ev))


def test_messages_for_values_json_cannot_hold() -> None:
    assert validate_stream_event("v1.0-jsonrpc", {1: "x"})[0].startswith("(root): not a JSON value")
    huge = {"jsonrpc": "2.0", "id": 10**30, "result": {}}
    assert validate_stream_event("v1.0-jsonrpc", huge)  # no crash on an integer past 64 bits


def test_stream_events_are_parsed_validated_and_counted_once() -> None:
    """The stream validates each event as it decodes it; ``events_judged`` counts them all."""
    stream = EventStream(get_dialect("v1.0-jsonrpc"), Budget(5.0))
    good, _, bad, _ = sample_events("v1.0-jsonrpc", "r")
    bad["result"]["artifactUpdate"]["artifact"]["parts"] = []
    frames = [f"data: {json.dumps(good)}", f"data: {json.dumps(bad)}", "data: {nope", "data: null"]
    before = events_judged()
    stream._ingest(("\n\n".join(frames) + "\n\n").encode())
    assert events_judged() == before + 4
    ok, empty, garbage, null = stream.events
    assert ok.kind == "task" and ok.schema_errors == ()
    assert empty.kind == "artifact"
    assert empty.schema_errors == ("result.artifactUpdate.artifact.parts: [] should be non-empty",)
    assert garbage.kind == "invalid" and garbage.schema_errors == (garbage.reason,)
    assert "not JSON" in garbage.reason
    assert null.kind == "invalid" and null.schema_errors == (null.reason,) and null.reason


@pytest.mark.parametrize("data", [
    '{"a": 1}', ' {"a": 1}', '{"a": 1} ', '\ufeff{"a": 1}', '{"a": 1} {"b": 2}', '{"a": ',
    "NaN", "[1, 2]", '"text"', "", "  ", '{"a": 1}\n',
])
def test_stream_json_is_what_json_loads_says(data: str) -> None:
    """The stream parses ``data`` without json.loads' wrappers; the outcome, and the message of
    a failure, are json.loads' own (whitespace, a BOM, trailing data, truncation)."""
    stream = EventStream(get_dialect("v1.0-jsonrpc"), Budget(5.0))
    stream._ingest(b"data: " + data.encode() + b"\n\n")
    (ev,) = stream.events
    try:
        expected = json.loads(data)
    except ValueError as exc:
        assert ev.kind == "invalid" and ev.problems == (f"data is not JSON ({exc}): {data!r}",)
    else:
        assert ev.payload == expected or expected != expected  # NaN
        assert ev.schema_errors  # none of these is a valid stream event


def test_deeply_nested_data_is_an_invalid_event_not_a_crash() -> None:
    """json gives up past the recursion limit: that event is invalid, the stream goes on."""
    stream = EventStream(get_dialect("v1.0-jsonrpc"), Budget(5.0))
    stream._ingest(b"data: " + b"[" * 100_000 + b"\n\ndata: {}\n\n")
    deep, empty = stream.events
    assert deep.kind == "invalid" and "recursion" in deep.reason and deep.schema_errors
    assert empty.schema_errors
