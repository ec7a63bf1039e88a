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
The outcome travels on the report (``report.a2a_outcome``) and in ``user_properties`` so it
crosses xdist and lands in ``--junitxml``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pytest

from pytest_a2a.judge.checks import UNSUPPORTED_PREFIX, ConformanceFailure

if TYPE_CHECKING:
    from pytest_a2a.judge.checks import Checker
    from pytest_a2a.judge.expectations import Deviation
    from pytest_a2a.judge.requirements import Requirement

OUTCOMES = (
    "passed", "failed", "non-strict", "unsupported", "expected-failure", "unexpected-pass",
    "info", "skipped", "error",
)
#: outcomes that make the run fail
FAILING = frozenset({"failed", "unexpected-pass", "error"})
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
#: user_properties keys written by the plugin (also the junitxml property names)
PROP_KEYS = ("requirement", "level", "dialect", "case", "spec", "outcome", "expectation",
             "intermittent", "message", "observations", "transcript")


@dataclass
class ItemInfo:
    """What grading needs to know about one collected a2a test."""

    requirement: Requirement | None
    dialect: str | None
    strict: bool
    case: str = ""  # callspec id without the dialect ("" = not parametrized otherwise)
    deviation: Deviation | None = None
    checker: Checker | None = None  # set by the ``a2a`` fixture
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def level(self) -> str:
        return self.requirement.level if self.requirement is not None else "MUST"


ITEM_KEY = pytest.StashKey[ItemInfo]()


def static_properties(info: ItemInfo) -> list[tuple[str, str]]:
    props: list[tuple[str, str]] = []
    if info.requirement is not None:
        props += [("requirement", info.requirement.id), ("level", info.requirement.level)]
        if info.requirement.spec:
            props.append(("spec", info.requirement.spec))
    if info.dialect:
        props.append(("dialect", info.dialect))
    if info.case:
        props.append(("case", info.case))
    return props


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


def grade(info: ItemInfo, rep: pytest.TestReport, exc: BaseException | None) -> str | None:
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
    """Grade ``rep`` and rewrite it so pytest (exit code, terminal, junitxml) agrees."""
    outcome = grade(info, rep, exc)
    if outcome is None:
        return
    props: list[tuple[str, str]] = [("outcome", outcome)]
    message = ""
    if outcome in ("failed", "non-strict", "expected-failure", "info", "error") and exc is not None:
        message = _message(exc)
    elif outcome in ("unsupported", "skipped"):
        message = _skip_reason(rep)
    if outcome == "non-strict":
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
        props.append(("expectation", deviation.describe()))
        if deviation.intermittent:
            props.append(("intermittent", "true"))
            rep.a2a_intermittent = True  # type: ignore[attr-defined]
    if message:
        props.append(("message", message))
    checker = info.checker
    if checker is not None:
        if checker.observations:
            props.append(("observations", json.dumps(checker.observations, default=str)))
        if checker.transcript and outcome != "passed":
            props.append(("transcript", checker.transcript))
    rep.a2a_outcome = outcome  # type: ignore[attr-defined]
    item.user_properties.extend(props)
    rep.user_properties.extend(props)


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
