"""The result row: one per a2a test (requirement × dialect), and the only code that knows how
a row travels inside pytest.

A row is decided on the process that ran the test (``judge.outcomes`` merges the setup, call
and teardown grades) and crosses to the reporting process (the xdist controller, or the same
process) as pytest ``user_properties`` on the teardown report: pytest and xdist carry those,
and ``--junitxml`` prints them as the documented ``<property>`` list. ``to_properties`` and
``from_report`` are the two halves of that encoding; nothing else reads the keys.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, TypeGuard, get_args

if TYPE_CHECKING:
    import pytest

Outcome = Literal[
    "passed", "failed", "non-strict", "unsupported", "expected-failure", "unexpected-pass",
    "info", "skipped", "error",
]
#: every outcome, in report order (terminal columns, JSON ``summary.outcomes``)
OUTCOMES: tuple[Outcome, ...] = get_args(Outcome)
#: outcomes that make the run fail
FAILING: frozenset[Outcome] = frozenset({"failed", "unexpected-pass", "error"})
#: requirement levels in report order; "" = a test without a requirement
LEVEL_ORDER = ("MUST", "SHOULD", "MAY", "INFO", "")

#: report attribute that marks the report carrying the row (its value: the test's duration)
_ROW_ATTR = "a2a_duration"
#: the junitxml property names, in the order they are written
PROPERTY_KEYS = ("requirement", "level", "spec", "dialect", "case", "outcome", "expectation",
                 "intermittent", "message", "observations", "transcript")


def is_outcome(value: object) -> TypeGuard[Outcome]:
    return isinstance(value, str) and value in OUTCOMES


@dataclass(frozen=True)
class ResultRow:
    """What one a2a test established; every report format renders these and nothing else."""

    nodeid: str
    outcome: Outcome
    requirement: str | None = None
    level: str | None = None
    spec: str | None = None
    dialect: str | None = None
    case: str = ""  # test id without the dialect, what an expectation's ``cases`` names
    duration: float = 0.0  # seconds over setup + call + teardown
    message: str = ""
    transcript: str = ""
    observations: Mapping[str, Any] = field(default_factory=dict)
    expectation: str = ""  # the matched expectation entry, described
    intermittent: bool = False  # the matched expectation entry is ``intermittent``

    @property
    def failing(self) -> bool:
        return self.outcome in FAILING

    def to_properties(self) -> list[tuple[str, str]]:
        """The row as ``user_properties`` (also the junitxml properties); empty fields left out."""
        values: dict[str, str | None] = {
            "requirement": self.requirement,
            "level": self.level if self.requirement is not None else None,
            "spec": self.spec,
            "dialect": self.dialect,
            "case": self.case,
            "outcome": self.outcome,
            "expectation": self.expectation,
            "intermittent": "true" if self.intermittent else None,
            "message": self.message,
            "observations": (json.dumps(dict(self.observations), default=str)
                             if self.observations else None),
            "transcript": self.transcript,
        }
        return [(key, value) for key in PROPERTY_KEYS if (value := values[key])]

    @classmethod
    def from_properties(cls, nodeid: str, properties: Iterable[tuple[str, object]],
                        duration: float = 0.0) -> ResultRow:
        """The inverse of ``to_properties``; the last value of a key wins (our block is last).

        Raises ``ValueError`` when the properties name no valid outcome: not a row.
        """
        props = {key: str(value) for key, value in properties if key in PROPERTY_KEYS}
        outcome = props.get("outcome")
        if not is_outcome(outcome):
            raise ValueError(f"{nodeid}: no a2a outcome in the report properties ({outcome!r})")
        return cls(
            nodeid=nodeid,
            outcome=outcome,
            requirement=props.get("requirement"),
            level=props.get("level"),
            spec=props.get("spec"),
            dialect=props.get("dialect"),
            case=props.get("case", ""),
            duration=duration,
            message=props.get("message", ""),
            transcript=props.get("transcript", ""),
            observations=_observations(props.get("observations")),
            expectation=props.get("expectation", ""),
            intermittent=props.get("intermittent") == "true",
        )

    def attach(self, report: pytest.TestReport) -> None:
        """Put the row on the report that carries it (the test's last, teardown, report)."""
        report.user_properties.extend(self.to_properties())
        setattr(report, _ROW_ATTR, self.duration)

    @classmethod
    def from_report(cls, report: pytest.TestReport) -> ResultRow | None:
        """The row ``attach`` put on ``report`` (None: this report carries no row)."""
        duration = getattr(report, _ROW_ATTR, None)
        if not isinstance(duration, int | float):
            return None
        return cls.from_properties(report.nodeid, report.user_properties, float(duration))

    def as_dict(self) -> dict[str, Any]:
        """The row of the JSON report (docs/reports.md, ``pytest-a2a-report/1``)."""
        return {
            "nodeid": self.nodeid,
            "requirement": self.requirement,
            "level": self.level,
            "dialect": self.dialect,
            "outcome": self.outcome,
            "duration": round(self.duration, 6),
            "message": self.message,
            "transcript": self.transcript,
            "observations": dict(self.observations),
            "expectation": self.expectation,
            "case": self.case,
            "intermittent": self.intermittent,
        }


def _observations(text: str | None) -> dict[str, Any]:
    if not text:
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        return {"raw": text}
    return value if isinstance(value, dict) else {"raw": text}


def level_rank(level: str | None) -> int:
    return LEVEL_ORDER.index(level or "") if (level or "") in LEVEL_ORDER else len(LEVEL_ORDER)


def ordered(rows: Iterable[ResultRow]) -> list[ResultRow]:
    """Report order: by level (MUST first), requirement, dialect, node id."""
    return sorted(rows, key=lambda r: (level_rank(r.level), r.requirement or "",
                                       r.dialect or "", r.nodeid))


def counts(rows: Sequence[ResultRow]) -> dict[str, dict[Outcome, int]]:
    """level -> outcome -> count, levels in report order ("" = tests without a requirement)."""
    table: dict[str, dict[Outcome, int]] = {}
    for row in rows:
        cell = table.setdefault(row.level or "", {})
        cell[row.outcome] = cell.get(row.outcome, 0) + 1
    return dict(sorted(table.items(), key=lambda kv: level_rank(kv[0])))
