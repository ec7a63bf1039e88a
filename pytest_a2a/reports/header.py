"""What the reports say besides the rows: target, options, requirement texts, output paths.

Plain data handed over by the run (``run.session``), so the reports package needs nothing
from ``run`` or ``judge``: data flows run → rows → reports.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol


@dataclass(frozen=True)
class TargetInfo:
    """The resolved server under test (JSON ``target``)."""

    kind: str  # url | command | embedded
    url: str
    card_url: str
    implementation: str  # "name version" from the card
    declared_dialects: Sequence[str]
    tested_dialects: Sequence[str]
    script_agent: bool
    described: str  # one line for the terminal: URL and how it runs


@dataclass(frozen=True)
class RunOptions:
    """The options a report states (JSON ``options``)."""

    strict: bool
    timeout: float
    dialect: str
    binding: str
    scripted: str
    expectations: str | None  # the expectation file, as given
    implementation: str | None  # what the expectation file says it describes


class RequirementInfo(Protocol):
    """A registry entry as the reports read it (``judge.requirements.Requirement`` fits)."""

    @property
    def level(self) -> str: ...
    @property
    def text(self) -> str: ...
    @property
    def spec(self) -> str: ...
    @property
    def dialects(self) -> Sequence[str]: ...
    @property
    def bugs(self) -> Sequence[str]: ...


@dataclass(frozen=True)
class ServerLog:
    """The log of a server the plugin booted; the terminal shows its tail when tests fail."""

    path: Path
    tail: Callable[[], str]


@dataclass(frozen=True)
class Diagnosis:
    """One finding that explains many rows; the reports open with these (JSON ``diagnoses``).

    ``kind``: ``interface`` (every call to an interface failed the same way) or
    ``unresponsive`` (the target stopped answering and never came back)."""

    kind: str
    text: str
    tests: Sequence[str]  # node ids of the rows it explains


@dataclass(frozen=True)
class Cost:
    """What the run cost: the summary's last line (wall time, events judged, events/s)."""

    wall_s: float
    events: int

    def line(self) -> str:
        rate = self.events / self.wall_s if self.wall_s > 0 else 0.0
        return (f"cost: {self.wall_s:.1f} s wall, {self.events:,} events judged, "
                f"{rate:,.0f} events/s")


@dataclass(frozen=True)
class CoverageInfo:
    """How far the verdicts reach (computed by the judge from the rows; rendered here)."""

    line: str
    judged: int
    applicable: int
    by_dialect: Mapping[str, str]
    needs_agent: Mapping[str, str]
    not_judged: Mapping[str, str]


@dataclass(frozen=True)
class ReportHeader:
    target: TargetInfo | None  # None: no target was resolved (e.g. nothing collected)
    options: RunOptions
    requirements: Mapping[str, RequirementInfo]
    report_json: Path | None = None
    report_html: Path | None = None
    server_log: ServerLog | None = field(default=None)
    diagnoses: Sequence[Diagnosis] = ()
    coverage: CoverageInfo | None = None
    cost: Cost | None = None
