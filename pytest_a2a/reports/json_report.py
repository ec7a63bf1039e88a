"""The JSON report (``--a2a-report-json``): stable format ``pytest-a2a-report/1``.

Documented in docs/reports.md; fields are only ever added, never renamed, within format 1.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from pytest_a2a import __version__
from pytest_a2a.reports.collector import summary

if TYPE_CHECKING:
    from pytest_a2a.run.session import A2ARun

FORMAT = "pytest-a2a-report/1"


def target_info(run: A2ARun) -> dict[str, Any] | None:
    target = run.target_if_known
    if target is None:
        return None
    return {
        "kind": target.kind,
        "url": target.url,
        "card_url": target.card_url,
        "implementation": target.name,
        "declared_dialects": list(target.interfaces),
        "tested_dialects": list(run.selected()),
        "script_agent": target.declares_script_agent,
    }


def build(run: A2ARun) -> dict[str, Any]:
    rows = run.collector.ordered()
    opts = run.options
    registry = run.registry
    used = sorted({r.requirement for r in rows if r.requirement})
    expectations = run.expectations
    return {
        "format": FORMAT,
        "tool": {"name": "pytest-a2a", "version": __version__},
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "target": target_info(run),
        "options": {
            "strict": opts.strict,
            "timeout": opts.timeout,
            "dialect": opts.dialect,
            "binding": opts.binding,
            "scripted": opts.scripted,
            "expectations": str(opts.expectations) if opts.expectations else None,
            "implementation": expectations.implementation if expectations else None,
        },
        "summary": summary(run),
        "requirements": {
            rid: {
                "level": registry[rid].level,
                "text": registry[rid].text,
                "spec": registry[rid].spec,
                "dialects": list(registry[rid].dialects),
                "bugs": list(registry[rid].bugs),
            }
            for rid in used if rid in registry
        },
        "rows": [row.as_dict() for row in rows],
    }
