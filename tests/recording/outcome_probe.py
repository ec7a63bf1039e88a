"""A pytest plugin (``-p tests.recording.outcome_probe``) writing one JSON line per graded a2a
test to ``$A2A_PROBE_OUT``: node id, requirement, dialect, a2a outcome and, for replay items,
the live test the recording came from. The agreement test compares live and replay with it."""

from __future__ import annotations

import json
import os
from typing import Any

import pytest

_META: dict[str, dict[str, Any]] = {}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        marker = item.get_closest_marker("a2a_requirement")
        if marker is None:
            continue
        meta: dict[str, Any] = {"requirement": marker.args[0]}
        case = getattr(item, "case", None)
        if case is not None:  # a replay item
            meta["recorded_test"] = case.replayed.recording.test
            meta["exchange"] = case.replayed.name
            meta["dialect"] = case.replayed.exchange.dialect
        else:
            callspec = getattr(item, "callspec", None)
            meta["dialect"] = callspec.params.get("a2a_dialect") if callspec else None
        _META[item.nodeid] = meta


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    outcome = getattr(report, "a2a_outcome", None)
    out = os.environ.get("A2A_PROBE_OUT")
    if outcome is None or not out or report.nodeid not in _META:
        return
    row = {"nodeid": report.nodeid, "when": report.when, "outcome": outcome,
           **_META[report.nodeid]}
    with open(out, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(row) + "\n")
