"""Result rows: one per a2a test (requirement × dialect), merged from its phase reports.

Built on the controller from the reports pytest (or xdist) delivers, so it sees exactly what
the terminal and junitxml see. Every report format reads these rows.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pytest

from pytest_a2a.judge.outcomes import FAILING, OUTCOMES

if TYPE_CHECKING:
    from pytest_a2a.run.session import A2ARun

LEVEL_ORDER = ("MUST", "SHOULD", "MAY", "INFO", "")


@dataclass
class Row:
    nodeid: str
    requirement: str | None = None
    level: str | None = None
    dialect: str | None = None
    spec: str | None = None
    outcome: str | None = None
    duration: float = 0.0
    message: str = ""
    transcript: str = ""
    observations: dict[str, Any] = field(default_factory=dict)
    expectation: str = ""
    case: str = ""  # test id without the dialect, what an expectation's ``cases`` names
    intermittent: bool = False  # the matching expectation entry is ``intermittent``

    @property
    def failing(self) -> bool:
        return self.outcome in FAILING

    def as_dict(self) -> dict[str, Any]:
        return {
            "nodeid": self.nodeid,
            "requirement": self.requirement,
            "level": self.level,
            "dialect": self.dialect,
            "outcome": self.outcome or "error",
            "duration": round(self.duration, 6),
            "message": self.message,
            "transcript": self.transcript,
            "observations": self.observations,
            "expectation": self.expectation,
            "case": self.case,
            "intermittent": self.intermittent,
        }


class Collector:
    def __init__(self) -> None:
        self.rows: dict[str, Row] = {}

    def add(self, report: pytest.TestReport) -> None:
        row = self.rows.get(report.nodeid)
        if row is None:
            row = self.rows[report.nodeid] = Row(report.nodeid)
        row.duration += float(getattr(report, "duration", 0.0) or 0.0)
        for key, value in report.user_properties:
            if key in ("requirement", "level", "dialect", "spec"):
                setattr(row, key, str(value))
            elif key == "expectation":
                row.expectation = str(value)
            elif key == "case":
                row.case = str(value)
            elif key == "intermittent":
                row.intermittent = str(value) == "true"
            elif key == "transcript":
                row.transcript = str(value)
            elif key == "observations":
                try:
                    row.observations = json.loads(str(value))
                except ValueError:
                    row.observations = {"raw": str(value)}
        outcome = getattr(report, "a2a_outcome", None)
        if outcome is None and report.failed:
            outcome = "error"  # a failure the plugin did not grade (e.g. in a hook)
        if outcome is None:
            return
        message = _message_of(report)
        if row.outcome is None or (outcome in FAILING and row.outcome not in FAILING):
            row.outcome = outcome
            row.message = message or row.message
        elif outcome == "error" and message:  # e.g. teardown error after a failure
            row.message = f"{row.message}\n(teardown) {message}".strip()

    def ordered(self) -> list[Row]:
        return sorted(self.rows.values(), key=lambda r: (
            LEVEL_ORDER.index(r.level or "") if (r.level or "") in LEVEL_ORDER else 9,
            r.requirement or "", r.dialect or "", r.nodeid))

    def counts(self) -> dict[str, Counter[str]]:
        """level -> outcome -> count (level "" = tests without a requirement)."""
        table: dict[str, Counter[str]] = {}
        for row in self.rows.values():
            table.setdefault(row.level or "", Counter())[row.outcome or "error"] += 1
        return table


def _message_of(report: pytest.TestReport) -> str:
    for key, value in reversed(report.user_properties):
        if key == "message":
            return str(value)
    if report.failed and report.longrepr is not None:
        return str(report.longrepr)[-4000:]
    return ""


def summary(run: A2ARun) -> dict[str, Any]:
    rows = run.collector.ordered()
    outcomes = Counter(r.outcome or "error" for r in rows)
    by_level = {lvl or "none": {o: c for o, c in cnt.items()}
                for lvl, cnt in sorted(run.collector.counts().items(),
                                       key=lambda kv: LEVEL_ORDER.index(kv[0])
                                       if kv[0] in LEVEL_ORDER else 9)}
    return {
        "total": len(rows),
        "outcomes": {o: outcomes[o] for o in OUTCOMES if outcomes[o]},
        "by_level": by_level,
        "failing_requirements": sorted({r.requirement or r.nodeid for r in rows if r.failing}),
        "non_strict_requirements": sorted({r.requirement or r.nodeid for r in rows
                                           if r.outcome == "non-strict"}),
        "unexpected_passes": sorted({r.requirement or r.nodeid for r in rows
                                     if r.outcome == "unexpected-pass"}),
        "intermittent_passes": sorted({r.requirement or r.nodeid for r in rows
                                       if r.intermittent and r.outcome in ("passed", "info")}),
        "passed": not any(r.failing for r in rows),
    }


def write_reports(run: A2ARun) -> None:
    opts = run.options
    if opts.report_json is not None:
        from pytest_a2a.reports.json_report import build

        _write(opts.report_json, json.dumps(build(run), indent=2, ensure_ascii=False) + "\n")
    if opts.report_html is not None:
        from pytest_a2a.reports.html import render

        _write(opts.report_html, render(run))


def _write(path: Any, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
