"""The "a2a conformance" terminal summary section: outcomes per level, failing requirements."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pytest_a2a.judge.rows import Outcome, ResultRow, counts, ordered
from pytest_a2a.reports.header import ReportHeader
from pytest_a2a.reports.summary import unresponsive

#: (outcome, column title) in display order; empty columns are left out
COLUMNS: tuple[tuple[Outcome, str], ...] = (
    ("passed", "pass"), ("failed", "fail"), ("non-strict", "non-strict"),
    ("unsupported", "unsupported"), ("expected-failure", "expected"),
    ("unexpected-pass", "unexpected-pass"), ("info", "info"), ("skipped", "skipped"),
    ("error", "error"),
)
_LIST_MAX = 30


def write_summary(rows: Sequence[ResultRow], header: ReportHeader, tr: Any) -> None:
    """Write the section with pytest's terminal reporter ``tr``."""
    rows = ordered(rows)
    tr.write_sep("=", "a2a conformance")
    for diagnosis in header.diagnoses:  # one finding that explains many rows comes first
        tr.write_line(f"ROOT CAUSE: {diagnosis.text}", red=True, bold=True)
    for silence in unresponsive(rows):
        if silence["recovered"]:
            tr.write_line(f"target unresponsive for {silence['seconds']}s after "
                          f"{silence['after']} (it answered again before "
                          f"{silence['noticed_by']})", yellow=True)
    target = header.target
    if target is not None:
        tr.write_line(f"target: {target.described} — {target.implementation}")
    table = counts(rows)
    shown = [(key, title) for key, title in COLUMNS
             if any(cell.get(key) for cell in table.values())]
    width = max([len(t) for _, t in shown] + [5])
    tr.write_line("level   " + " ".join(t.rjust(width) for _, t in shown))
    for level, cell in table.items():
        cells = " ".join(str(cell.get(key, 0)).rjust(width) for key, _ in shown)
        tr.write_line(f"{(level or '-'):<7} {cells}")
    _listing(tr, "failing requirements", [r for r in rows if r.failing], red=True)
    _listing(tr, "non-strict (SHOULD; fail with --a2a-strict)",
             [r for r in rows if r.outcome == "non-strict"])
    _listing(tr, "expected failures (expectation file)",
             [r for r in rows if r.outcome == "expected-failure"])
    _listing(tr, "intermittent expectations that passed this run (entry stays; see its reason)",
             [r for r in rows if r.intermittent and r.outcome in ("passed", "info")])
    for label, path in (("json report", header.report_json), ("html report", header.report_html)):
        if path is not None:
            tr.write_line(f"{label}: {path}")
    if header.coverage is not None:
        tr.write_line(header.coverage.line)
    log = header.server_log
    if log is not None and any(r.failing for r in rows):
        tr.write_sep("-", f"a2a server log (last lines of {log.path})")
        tr.write_line(log.tail())
    if header.cost is not None:
        tr.write_line(header.cost.line())


def _listing(tr: Any, title: str, rows: list[ResultRow], red: bool = False) -> None:
    if not rows:
        return
    by_req: dict[str, list[str]] = {}
    for row in rows:
        key = f"[{row.level}] {row.requirement}" if row.requirement else row.nodeid
        case = f"[{row.case}]" if row.case else ""
        flaky = " (intermittent)" if row.intermittent and row.outcome == "expected-failure" else ""
        by_req.setdefault(key, []).append(f"{row.dialect or '-'}{case}:{row.outcome}{flaky}")
    tr.write_line(f"{title}:", red=red, bold=red)
    for i, (key, where) in enumerate(sorted(by_req.items())):
        if i == _LIST_MAX:
            tr.write_line(f"  ... and {len(by_req) - _LIST_MAX} more")
            break
        tr.write_line(f"  {key}  ({', '.join(where)})", red=red)
