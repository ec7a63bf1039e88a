"""Grading: turn pytest's pass/fail/skip of an a2a test into a conformance outcome.

| level  | check failed                     | passed            |
|--------|----------------------------------|-------------------|
| MUST   | failed                           | passed            |
| SHOULD | non-strict (failed if --a2a-strict) | passed         |
| MAY    | failed (``unsupported`` = skip)  | passed            |
| INFO   | info (never fails)               | info              |

An expectation-file entry turns a check failure into ``expected-failure`` and a pass into
``unexpected-pass`` (a failure); an ``intermittent`` entry leaves a pass ``passed``, noted as
such (word ``PASSED (intermittent)``, row ``intermittent``), since a flaky bug that did not
show up this time says nothing about a fix. Exceptions that are not check failures (scenario
or client bugs) are ``error`` whatever the level: the suite must never hide its own breakage.
Each phase's outcome goes on its report (``report.a2a_outcome``: pytest's status word); the
phases merge into the test's one ``ResultRow`` (a failing phase wins; a teardown error after a
failure adds its message), which the teardown report carries to the reports (and junitxml).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytest

from pytest_a2a.judge.checks import UNSUPPORTED_PREFIX, ConformanceFailure
from pytest_a2a.judge.rows import FAILING, Outcome, ResultRow

if TYPE_CHECKING:
    from pytest_a2a.judge.checks import Checker
    from pytest_a2a.judge.expectations import Deviation
    from pytest_a2a.judge.requirements import Requirement

#: pytest terminal status per outcome: (category, letter, word, markup)
_STATUS: dict[str, tuple[str, str, str, dict[str, bool]]] = {
    "non-strict": ("non-strict", "n", "NON-STRICT", {"yellow": True}),
    "expected-failure": ("expected-failure", "x", "EXPECTED-FAILURE", {"yellow": True}),
    "unexpected-pass": ("failed", "F", "UNEXPECTED-PASS", {"red": True}),
    "unsupported": ("skipped", "s", "UNSUPPORTED", {"yellow": True}),
    "info": ("passed", ".", "INFO", {"green": True}),
}
#: terminal status of a pass covered by an intermittent expectation entry
_INTERMITTENT_PASS = ("passed", ".", "PASSED (intermittent)", {"green": True})
#: the row of a test whose phases graded nothing (it did not run to the end, --setup-only)
_UNGRADED = "no outcome: the test did not run to its end (interrupted, or --setup-only)"
#: the message of a scenario that ended without a check (a scenario bug, graded ``error``)
_NO_CHECK = ("the scenario made no check: it ended without judging anything, so it cannot "
             "pass (a scenario bug)")
#: longest pytest failure text kept as a row message when grading wrote none
_LONGREPR_MAX = 4000


@dataclass
class ItemInfo:
    """What grading needs to know about one collected a2a test, and its phases so far."""

    requirement: Requirement | None
    dialect: str | None
    strict: bool
    case: str = ""  # callspec id without the dialect ("" = not parametrized otherwise)
    deviation: Deviation | None = None
    checker: Checker | None = None  # set by the ``a2a`` fixture
    # merged over setup, call and teardown (``merge``), then turned into the row (``row``)
    outcome: Outcome | None = None
    message: str = ""
    duration: float = 0.0
    expectation: str = ""
    intermittent: bool = False

    @property
    def level(self) -> str:
        return self.requirement.level if self.requirement is not None else "MUST"

    def merge(self, outcome: Outcome, message: str) -> None:
        """Fold one phase's grade in: the first grade stands unless a later one fails."""
        if self.outcome is None or (outcome in FAILING and self.outcome not in FAILING):
            self.outcome = outcome
            self.message = message or self.message
        elif outcome == "error" and message:  # e.g. teardown error after a failure
            self.message = f"{self.message}\n(teardown) {message}".strip()

    def row(self, nodeid: str) -> ResultRow:
        """The test's result, once its last phase is merged."""
        req = self.requirement
        checker = self.checker
        outcome: Outcome = self.outcome or "error"
        observations = dict(checker.observations) if checker is not None else {}
        transcript = checker.transcript if checker is not None else None
        return ResultRow(
            nodeid=nodeid, outcome=outcome,
            requirement=req.id if req is not None else None,
            level=req.level if req is not None else None,
            spec=req.spec if req is not None else None,
            dialect=self.dialect, case=self.case, duration=self.duration,
            message=self.message if self.outcome is not None else _UNGRADED,
            transcript=(transcript or "") if outcome != "passed" else "",
            observations=observations, expectation=self.expectation,
            intermittent=self.intermittent,
        )


ITEM_KEY = pytest.StashKey[ItemInfo]()


def _skip_reason(rep: pytest.TestReport) -> str:
    if isinstance(rep.longrepr, tuple) and len(rep.longrepr) == 3:
        return str(rep.longrepr[2]).removeprefix("Skipped: ")
    return str(getattr(rep, "wasxfail", "") or "")


def _message(exc: BaseException | None) -> str:
    if exc is None:
        return ""
    if isinstance(exc, ConformanceFailure):
        return exc.render()
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def grade(info: ItemInfo, rep: pytest.TestReport, exc: BaseException | None) -> Outcome | None:
    """Decide the outcome of this phase report (None = this phase decides nothing)."""
    if rep.when == "setup":
        if rep.failed:
            return "error"
        if rep.skipped:
            return "unsupported" if _skip_reason(rep).startswith(UNSUPPORTED_PREFIX) else "skipped"
        return None
    if rep.when == "teardown":
        return "error" if rep.failed else None
    if rep.skipped and not hasattr(rep, "wasxfail"):
        return "unsupported" if _skip_reason(rep).startswith(UNSUPPORTED_PREFIX) else "skipped"
    if rep.passed:
        if info.checker is not None and not info.checker.judged:
            return "error"  # ended without a check: a pass would be a verdict without evidence
        if info.deviation is not None and not info.deviation.intermittent:
            return "unexpected-pass"
        return "info" if info.level == "INFO" else "passed"
    if hasattr(rep, "wasxfail"):  # a plain pytest xfail marker: leave pytest's verdict alone
        return "skipped" if rep.skipped else "failed"
    if not isinstance(exc, AssertionError):
        return "error"
    if info.deviation is not None:
        return "expected-failure"
    if info.level == "INFO":
        return "info"
    if info.level == "SHOULD" and not info.strict:
        return "non-strict"
    return "failed"


def apply(item: pytest.Item, info: ItemInfo, rep: pytest.TestReport,
          exc: BaseException | None) -> None:
    """Grade ``rep`` and rewrite it so pytest (exit code, terminal, junitxml) agrees; the
    teardown report then carries the test's row."""
    info.duration += float(rep.duration or 0.0)
    outcome = grade(info, rep, exc)
    if outcome is not None:
        _apply(info, rep, exc, outcome)
    if rep.when == "teardown":
        info.row(item.nodeid).attach(rep)
        info.checker = None  # the context (client, transcript) is not needed any more


def _apply(info: ItemInfo, rep: pytest.TestReport, exc: BaseException | None,
           outcome: Outcome) -> None:
    message = ""
    if outcome in ("failed", "non-strict", "expected-failure", "info", "error") and exc is not None:
        message = _message(exc)
    elif outcome in ("unsupported", "skipped"):
        message = _skip_reason(rep)
    if outcome == "error" and rep.passed:  # see grade(): the scenario made no check
        message = _NO_CHECK
        rep.outcome = "failed"
        rep.longrepr = message
    elif outcome == "non-strict":
        rep.outcome = "skipped"
        rep.wasxfail = _headline(exc) + " (SHOULD: fails only with --a2a-strict)"
    elif outcome == "expected-failure":
        assert info.deviation is not None
        rep.outcome = "skipped"
        rep.wasxfail = ("expected failure" + (" (intermittent)" if info.deviation.intermittent
                                              else "") + ": " + info.deviation.describe())
    elif outcome == "info":
        rep.outcome = "passed"
        rep.longrepr = None
    elif outcome == "unexpected-pass":
        assert info.deviation is not None and info.requirement is not None
        where = ", ".join(([info.dialect] if info.dialect else [])
                          + ([f"case {info.case}"] if info.case else []))
        message = (
            f"unexpected pass: [{info.requirement.level}] {info.requirement.id}"
            f"{f' ({where})' if where else ''} passed, but the expectation file "
            f"lists it as failing: {info.deviation.describe()}\n"
            "The implementation was fixed (or the entry is wrong): remove the entry from the "
            "expectation file."
        )
        rep.outcome = "failed"
        rep.longrepr = message
    deviation = info.deviation
    if deviation is not None and (
        outcome in ("expected-failure", "unexpected-pass")
        or (deviation.intermittent and outcome in ("passed", "info"))
    ):
        info.expectation = deviation.describe()
        if deviation.intermittent:
            info.intermittent = True
            rep.a2a_intermittent = True  # type: ignore[attr-defined]
    if not message and rep.failed and rep.longrepr is not None:
        message = str(rep.longrepr)[-_LONGREPR_MAX:]
    rep.a2a_outcome = outcome  # type: ignore[attr-defined]
    info.merge(outcome, message)


def _headline(exc: BaseException | None) -> str:
    if isinstance(exc, ConformanceFailure):
        return exc.headline()
    return _message(exc).splitlines()[0] if exc is not None else ""


def teststatus(rep: pytest.TestReport) -> tuple[str, str, str | tuple[str, dict[str, bool]]] | None:
    outcome = getattr(rep, "a2a_outcome", None)
    if outcome == "passed" and getattr(rep, "a2a_intermittent", False):
        category, letter, word, markup = _INTERMITTENT_PASS
        return category, letter, (word, markup)
    status = _STATUS.get(outcome) if isinstance(outcome, str) else None
    if status is None:
        return None
    category, letter, word, markup = status
    return category, letter, (word, markup)
