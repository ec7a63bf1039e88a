"""Reports: the terminal, JSON and HTML views of the result rows.

Data flows one way: the run grades tests into rows (``rows.ResultRow``) and hands them, with a
``header.ReportHeader`` of plain data, to the two entry points below. Nothing here imports
``run`` or ``judge``. Kept light: ``rows`` is imported by grading in every pytest run, the
views only when a report is written.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pytest_a2a.judge.rows import ResultRow
    from pytest_a2a.reports.header import ReportHeader


def write(rows: Sequence[ResultRow], header: ReportHeader) -> None:
    """Write the report files the header names (JSON, HTML); each replaced atomically."""
    if header.report_json is not None:
        import json

        from pytest_a2a.reports.json_report import build

        _write(header.report_json, json.dumps(build(rows, header), indent=2,
                                              ensure_ascii=False) + "\n")
    if header.report_html is not None:
        from pytest_a2a.reports.html import render

        _write(header.report_html, render(rows, header))


def write_terminal(rows: Sequence[ResultRow], header: ReportHeader, tr: Any) -> None:
    """The "a2a conformance" section, written with pytest's terminal reporter ``tr``."""
    from pytest_a2a.reports.terminal import write_summary

    write_summary(rows, header, tr)


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
