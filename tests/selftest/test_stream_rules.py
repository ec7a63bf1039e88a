"""The shared stream rules (pytest_a2a.judge.stream_rules) on streams decoded from real bytes.

Each stream is a ``curl -N`` style SSE body replayed through the wire's own stream machinery,
so what is judged is what a live scenario and a replay judge both see.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pytest_a2a.budget import Budget
from pytest_a2a.judge import stream_rules as rules
from pytest_a2a.recording.load import load_file
from pytest_a2a.recording.replay import replay_stream
from pytest_a2a.wire.results import StreamResult
from pytest_a2a.wire.schema import is_kind_rule, validate_stream_event

TS = "2025-01-31T12:00:00.123Z"


def _stream(tmp_path: Path, results: list[dict[str, Any]]) -> StreamResult:
    body = "".join(f"data: {json.dumps({'jsonrpc': '2.0', 'id': 1, 'result': r})}\n\n"
                   for r in results)
    path = tmp_path / "body.sse"
    path.write_text("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\n" + body)
    rec = load_file(path, "v1.0-jsonrpc")
    return replay_stream(rec, rec.exchanges[0], Budget(5.0)).result


def _task(state: str, **extra: Any) -> dict[str, Any]:
    return {"task": {"id": "t1", "contextId": "c1",
                     "status": {"state": state, "timestamp": TS}, **extra}}


def _status(state: str, **extra: Any) -> dict[str, Any]:
    return {"statusUpdate": {"taskId": "t1", "contextId": "c1",
                             "status": {"state": state, "timestamp": TS}, **extra}}


def _chunk(aid: str, *, append: bool = False, last: bool = False) -> dict[str, Any]:
    return {"artifactUpdate": {"taskId": "t1", "contextId": "c1", "append": append,
                               "lastChunk": last, "artifact": {
                                   "artifactId": aid, "parts": [{"text": aid}]}}}


def test_kind_is_one_finding_not_two(tmp_path: Path) -> None:
    """A 1.0 event whose only fault is ``kind`` fails no-kind (SHOULD), not schema (MUST)."""
    task = _task("TASK_STATE_WORKING", kind="task", history=[
        {"messageId": f"m{i}", "role": "ROLE_USER", "kind": "message",
         "parts": [{"text": "x", "kind": "text"}]} for i in range(8)])
    errors = validate_stream_event("v1.0-jsonrpc", {"jsonrpc": "2.0", "id": 1, "result": task})
    assert len(errors) > 10 and all(is_kind_rule(e) for e in errors)  # cut, still tagged
    res = _stream(tmp_path, [task, _status("TASK_STATE_COMPLETED")])
    assert rules.schema_valid(res).passed
    no_kind = rules.no_kind(res)
    assert not no_kind.passed and "task.kind = 'task'" in no_kind.actual
    lowercase = _stream(tmp_path, [_task("working", kind="task")])
    assert not rules.schema_valid(lowercase).passed  # a MUST fault beside `kind` still counts


def test_nothing_to_judge_is_never_a_pass(tmp_path: Path) -> None:
    res = _stream(tmp_path, [{"task": {"id": "t1", "contextId": "c1",
                                       "status": {"state": "TASK_STATE_WORKING"}}}])
    for verdict in (rules.timestamps_utc(res), rules.append_announced(res),
                    rules.nothing_after_last_chunk(res), rules.single_terminal(res),
                    rules.artifacts_before_terminal(res), rules.incremental(res, [("a", "b", 1)])):
        assert not verdict.observed and not verdict.passed, verdict


def test_order_and_state_rules(tmp_path: Path) -> None:
    good = _stream(tmp_path, [_task("TASK_STATE_SUBMITTED"), _chunk("a1", last=True),
                              _status("TASK_STATE_COMPLETED")])
    for rule in (rules.state_machine, rules.single_terminal, rules.ids_consistent,
                 rules.artifacts_before_terminal, rules.append_announced,
                 rules.nothing_after_last_chunk, rules.proto_json, rules.timestamps_utc):
        assert rule(good).passed, rule.__name__
    bad = _stream(tmp_path, [_task("TASK_STATE_SUBMITTED"), _chunk("a1", append=True, last=True),
                             _status("TASK_STATE_COMPLETED"), _chunk("a1", append=True),
                             _status("TASK_STATE_WORKING"), _status("TASK_STATE_COMPLETED")])
    assert "#1 append: true for unannounced 'a1'" in rules.append_announced(bad).actual
    assert "after the last chunk of 'a1' (#1)" in rules.nothing_after_last_chunk(bad).actual
    assert "#4 working after terminal completed" in rules.state_machine(bad).actual
    assert not rules.single_terminal(bad).passed
    assert not rules.artifacts_before_terminal(bad).passed
    assert rules.markers(bad.events, set()) == ["art:a1", "end:completed", "art:a1"]
