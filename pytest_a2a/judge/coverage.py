"""How much of the registry a run judged, and what the rest needs: the coverage line.

A user pointing the suite at an agent they cannot change (no ``a2a-conformance/1`` script
agent) must see at a glance how far the verdicts reach: "judged 50/65 requirements
black-box; 15 need the conformance agent (docs/adapters.md)". A requirement counts as judged
when one of its rows carries a verdict (:data:`JUDGED`); it *needs the conformance agent*
when every row it has is a scripted scenario skipped because no script agent was available
(nothing black-box can show it: an agent exception, an interrupted state, a known order...,
see :data:`WHY_SCRIPTED`). Everything else applicable (unsupported, skipped for want of
``--a2a-long-prompt``, "not observable this run") is counted as not judged, so the three
numbers always add up to the requirements that apply to the dialects tested.

``python -m pytest_a2a.judge.coverage REPORT.json`` prints the lines of a JSON report.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pytest_a2a.judge.requirements import DIALECTS, Requirement, load
from pytest_a2a.judge.rows import Outcome, ResultRow, is_outcome

__all__ = ["JUDGED", "SCRIPT_AGENT_REASON", "WHY_SCRIPTED", "Coverage", "coverage",
           "coverage_by_dialect"]

#: Outcomes that carry a verdict about the server. ``unexpected-pass`` is one too: the
#: server did what the requirement asks although its expectation file said otherwise.
JUDGED: frozenset[Outcome] = frozenset(
    {"passed", "failed", "non-strict", "info", "expected-failure", "unexpected-pass"})
#: The start of the skip reason of a scripted scenario run without the script agent
#: (``pytest_a2a.run.session.A2ARun.scripted``: both its reasons start with it).
SCRIPT_AGENT_REASON = "needs the a2a-conformance/1 script agent"
#: Where the conformance agent is explained (the line names it).
AGENT_DOC = "docs/adapters.md"
_KNOWN_SCRIPT = "needs the exact events of a known script"
#: Why a requirement cannot be observed black-box (default: :data:`_KNOWN_SCRIPT`).
WHY_SCRIPTED: dict[str, str] = {
    "errors.exception-ends-stream": "needs an agent exception on demand",
    "errors.exception-task-terminal": "needs an agent exception on demand",
    "closure.interrupted": "needs a task that reaches input-required/auth-required",
    "closure.final-on-interrupted": "needs a task that reaches input-required/auth-required",
    "reattach.interrupted-snapshot": "needs a task that reaches input-required",
    "ordering.followup-task-first": "needs a task that reaches input-required, then a "
    "follow-up",
    "ordering.followup-task-first-0.3": "needs a task that reaches input-required, then a "
    "follow-up",
    "ordering.message-only": "needs an answer that is one Message on demand",
    "ordering.message-only-0.3": "needs an answer that is one Message on demand",
    "ordering.script-order": "needs the exact order of a known script",
    "reattach.race": "needs tasks that end at chosen moments, re-attached as they end",
    "backpressure.slow-reader-complete": "needs a 20,000-chunk burst (a prompt's answer fits "
    "in the transport buffers: no reader ever falls behind)",
    "backpressure.no-global-stall": "needs a burst larger than the transport buffers",
    "backpressure.memory-bounded": "needs a burst large enough to measure memory growth",
}


@dataclass(frozen=True)
class Coverage:
    """Requirements that apply to a run (or one dialect of it), sorted into three sets."""

    dialect: str | None  # None: across every dialect tested
    applicable: tuple[str, ...]
    judged: tuple[str, ...]
    #: requirement id → why only the conformance agent can show it
    needs_agent: Mapping[str, str] = field(default_factory=dict)
    #: requirement id → why it was not judged (first skip/unsupported message, or "no test ran")
    not_judged: Mapping[str, str] = field(default_factory=dict)
    #: whether scripted scenarios were skipped for want of the script agent (a black-box run)
    black_box: bool = False

    @property
    def percent(self) -> float:
        return 100.0 * len(self.judged) / len(self.applicable) if self.applicable else 0.0

    def line(self) -> str:
        """``judged 50/65 requirements black-box; 15 need the conformance agent (...)``."""
        where = f" ({self.dialect})" if self.dialect else ""
        mode = " black-box" if self.black_box else ""
        text = (f"judged {len(self.judged)}/{len(self.applicable)} requirements{mode}{where} "
                f"({self.percent:.0f} %)")
        if self.needs_agent:
            text += f"; {len(self.needs_agent)} need the conformance agent ({AGENT_DOC})"
        if self.not_judged:
            text += f"; {len(self.not_judged)} not judged (unsupported or skipped)"
        return text


def _needs_agent(rows: Sequence[ResultRow]) -> bool:
    """Only scripted scenarios, all skipped for want of the script agent."""
    return bool(rows) and all(r.outcome == "skipped" and r.message.startswith(
        SCRIPT_AGENT_REASON) for r in rows)


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0][:200] if text.strip() else ""


def coverage(rows: Iterable[ResultRow], registry: Mapping[str, Requirement],
             dialects: Sequence[str] | None = None, *, dialect: str | None = None) -> Coverage:
    """The coverage of ``rows`` against ``registry``.

    ``dialects``: the dialects the run tested (default: those appearing in the rows); a
    requirement applies when it lists one of them. ``dialect``: judge one dialect only (its
    rows, the requirements that apply to it).
    """
    all_rows = [r for r in rows if r.requirement is not None]
    tested = list(dialects) if dialects is not None else [
        d for d in DIALECTS if any(r.dialect == d for r in all_rows)]
    scope = [dialect] if dialect is not None else tested
    mine = [r for r in all_rows if dialect is None or r.dialect == dialect]
    by_req: dict[str, list[ResultRow]] = {}
    for row in mine:
        by_req.setdefault(str(row.requirement), []).append(row)
    applicable = tuple(rid for rid, req in registry.items()
                       if any(req.applies_to(d) for d in scope))
    judged: list[str] = []
    needs: dict[str, str] = {}
    other: dict[str, str] = {}
    for rid in applicable:
        its = by_req.get(rid, [])
        if any(r.outcome in JUDGED for r in its):
            judged.append(rid)
        elif _needs_agent(its):
            needs[rid] = WHY_SCRIPTED.get(rid, _KNOWN_SCRIPT)
        else:
            reasons = [_first_line(r.message) for r in its
                       if not r.message.startswith(SCRIPT_AGENT_REASON)]
            other[rid] = next((r for r in reasons if r), "no test ran" if not its else
                              f"outcomes: {', '.join(sorted({r.outcome for r in its}))}")
    black_box = any(r.outcome == "skipped" and r.message.startswith(SCRIPT_AGENT_REASON)
                    for r in mine)
    return Coverage(dialect, applicable, tuple(judged), needs, other, black_box)


def coverage_by_dialect(rows: Iterable[ResultRow], registry: Mapping[str, Requirement],
                        dialects: Sequence[str] | None = None) -> dict[str, Coverage]:
    """One :class:`Coverage` per dialect tested (the closing note's "per target and dialect")."""
    listed = list(rows)
    tested = list(dialects) if dialects is not None else [
        d for d in DIALECTS if any(r.dialect == d for r in listed)]
    return {d: coverage(listed, registry, tested, dialect=d) for d in tested}


def rows_of_report(doc: Mapping[str, Any]) -> list[ResultRow]:
    """The rows of a ``pytest-a2a-report/1`` JSON document (docs/reports.md)."""
    out: list[ResultRow] = []
    for raw in doc.get("rows", []):
        outcome = raw.get("outcome")
        if not isinstance(raw, dict) or not is_outcome(outcome):
            continue
        out.append(ResultRow(nodeid=str(raw.get("nodeid", "")), outcome=outcome,
                             requirement=raw.get("requirement"), level=raw.get("level"),
                             dialect=raw.get("dialect"), message=str(raw.get("message") or "")))
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pytest_a2a.judge.coverage",
                                     description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("report", type=Path, help="a --a2a-report-json file")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="list every requirement not judged, and why")
    args = parser.parse_args(argv)
    rows = rows_of_report(json.loads(args.report.read_text(encoding="utf-8")))
    registry = load()
    total = coverage(rows, registry)
    print(total.line())
    for cov in coverage_by_dialect(rows, registry).values():
        print("  " + cov.line())
    if args.verbose:
        for rid, why in total.needs_agent.items():
            print(f"  needs the conformance agent: {rid}: {why}")
        for rid, why in total.not_judged.items():
            print(f"  not judged: {rid}: {why}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
