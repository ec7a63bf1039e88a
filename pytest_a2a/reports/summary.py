"""The run's verdict, computed from the rows alone (JSON ``summary``; the HTML header)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pytest_a2a.judge.rows import OUTCOMES, ResultRow, counts

#: row observations the health probe leaves (``run.health``): on the row of the test that
#: waited for the target, how long and after which test; on rows not run, since which test
WAITED = "waited_for_target_s"
SILENCE_AFTER = "target_silent_after"
SILENCE_SINCE = "target_unresponsive_since"


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
        "unresponsive": unresponsive(rows),
    }


def unresponsive(rows: Sequence[ResultRow]) -> list[dict[str, Any]]:
    """Each time the target stopped answering: after which test, for how long, recovered?"""
    found: list[dict[str, Any]] = []
    dead: dict[str, dict[str, Any]] = {}
    for row in rows:
        obs = row.observations
        if SILENCE_SINCE in obs:
            since = str(obs[SILENCE_SINCE])
            entry = dead.setdefault(since, {"after": since, "seconds": obs.get(WAITED),
                                            "recovered": False, "tests_not_run": 0})
            entry["tests_not_run"] += 1
        elif SILENCE_AFTER in obs:
            found.append({"after": str(obs[SILENCE_AFTER]), "seconds": obs.get(WAITED),
                          "recovered": True, "noticed_by": row.nodeid})
    return found + list(dead.values())
