"""The JSON report (``--a2a-report-json``): stable format ``pytest-a2a-report/1``.

Documented in docs/reports.md; fields are only ever added, never renamed, within format 1.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from pytest_a2a import __version__
from pytest_a2a.judge.rows import ResultRow, ordered
from pytest_a2a.reports.header import ReportHeader, TargetInfo
from pytest_a2a.reports.summary import summary

FORMAT = "pytest-a2a-report/1"


def _target(target: TargetInfo | None) -> dict[str, Any] | None:
    if target is None:
        return None
    return {
        "kind": target.kind,
        "url": target.url,
        "card_url": target.card_url,
        "implementation": target.implementation,
        "declared_dialects": list(target.declared_dialects),
        "tested_dialects": list(target.tested_dialects),
        "script_agent": target.script_agent,
    }


def _coverage(header: ReportHeader) -> dict[str, Any] | None:
    cov = header.coverage
    if cov is None:
        return None
    return {"line": cov.line, "judged": cov.judged, "applicable": cov.applicable,
            "by_dialect": dict(cov.by_dialect), "needs_agent": dict(cov.needs_agent),
            "not_judged": dict(cov.not_judged)}


def build(rows: Sequence[ResultRow], header: ReportHeader) -> dict[str, Any]:
    """The report document; also what the HTML report renders."""
    rows = ordered(rows)
    opts = header.options
    reqs = header.requirements
    used = sorted({r.requirement for r in rows if r.requirement})
    return {
        "format": FORMAT,
        "tool": {"name": "pytest-a2a", "version": __version__},
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "target": _target(header.target),
        "options": {
            "strict": opts.strict,
            "timeout": opts.timeout,
            "dialect": opts.dialect,
            "binding": opts.binding,
            "scripted": opts.scripted,
            "expectations": opts.expectations,
            "implementation": opts.implementation,
        },
        "diagnoses": [{"kind": d.kind, "text": d.text, "explains": len(d.tests),
                       "tests": list(d.tests)} for d in header.diagnoses],
        "summary": summary(rows),
        "coverage": _coverage(header),
        "cost": ({"wall_s": round(header.cost.wall_s, 3), "events_judged": header.cost.events}
                 if header.cost is not None else None),
        "requirements": {
            rid: {
                "level": reqs[rid].level,
                "text": reqs[rid].text,
                "spec": reqs[rid].spec,
                "dialects": list(reqs[rid].dialects),
                "bugs": list(reqs[rid].bugs),
            }
            for rid in used if rid in reqs
        },
        "rows": [row.as_dict() for row in rows],
    }
