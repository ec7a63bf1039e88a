"""The run's verdict, computed from the rows alone (JSON ``summary``; the HTML header)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pytest_a2a.judge.rows import OUTCOMES, ResultRow, counts


def _ids(rows: Sequence[ResultRow]) -> list[str]:
    return sorted({r.requirement or r.nodeid for r in rows})


def summary(rows: Sequence[ResultRow]) -> dict[str, Any]:
    """Totals, per-level counts and the requirement lists a reader acts on."""
    total = {o: sum(1 for r in rows if r.outcome == o) for o in OUTCOMES}
    return {
        "total": len(rows),
        "outcomes": {o: n for o, n in total.items() if n},
        "by_level": {level or "none": {o: cell[o] for o in OUTCOMES if o in cell}
                     for level, cell in counts(rows).items()},
        "failing_requirements": _ids([r for r in rows if r.failing]),
        "non_strict_requirements": _ids([r for r in rows if r.outcome == "non-strict"]),
        "unexpected_passes": _ids([r for r in rows if r.outcome == "unexpected-pass"]),
        "intermittent_passes": _ids([r for r in rows if r.intermittent
                                     and r.outcome in ("passed", "info")]),
        "passed": not any(r.failing for r in rows),
    }
