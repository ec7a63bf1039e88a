"""What a scenario calls to judge a server: ``check``/``fail``/``record``/``unsupported``.

A failure is a ``ConformanceFailure`` (an ``AssertionError``) carrying everything a server
author needs to act without re-running: the requirement (id, level, text, spec), the dialect,
expected vs actual, and the wire transcript excerpt with arrival times. How a failure is graded
(fail / non-strict / expected-failure / info) is decided later from the requirement level.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, NoReturn

import pytest

if TYPE_CHECKING:
    from pytest_a2a.judge.requirements import Requirement
    from pytest_a2a.judge.verifiers import Verdict
    from pytest_a2a.wire.results import CallResult, StreamResult

#: Prefix of the skip reason of ``unsupported`` (graded as outcome "unsupported").
UNSUPPORTED_PREFIX = "unsupported: "


def transcript_of(stream: StreamResult | CallResult | None) -> str | None:
    """The transcript excerpt of a ``StreamResult``/``CallResult``."""
    if stream is None:
        return None
    try:
        return stream.transcript.excerpt()
    except Exception as exc:  # a broken excerpt must not hide the failure itself
        return f"(transcript unavailable: {type(exc).__name__}: {exc})"


def _text(value: object) -> str:
    """Scenarios pass text; a value from an untyped caller is shown as JSON, not lost."""
    if isinstance(value, str):
        return value
    try:
        return json.dumps(value, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        return repr(value)


def _indent(text: str, prefix: str = "    ") -> str:
    return "\n".join(prefix + line for line in text.splitlines())


class ConformanceFailure(AssertionError):
    """A requirement was violated; ``str()`` is the full, actionable report."""

    def __init__(
        self,
        requirement: Requirement | None,
        expected: str,
        actual: str,
        transcript: str | None = None,
        dialect: str | None = None,
    ) -> None:
        self.requirement = requirement
        self.expected = expected
        self.actual = actual
        self.transcript = transcript
        self.dialect = dialect
        super().__init__(self.render())

    def headline(self) -> str:
        req = self.requirement
        where = f" ({self.dialect})" if self.dialect else ""
        if req is None:
            return f"conformance failure{where}: expected {self.expected}"
        return f"[{req.level}] {req.id}{where}: {req.text}"

    def render(self) -> str:
        lines = [self.headline()]
        req = self.requirement
        if req is not None and req.spec:
            lines.append(f"  spec:     {req.spec}")
        lines.append(f"  expected: {self.expected}")
        lines.append(f"  actual:   {self.actual}")
        if req is not None and req.bugs:
            lines.append(f"  see:      {' '.join(req.bugs)}")
        if self.transcript:
            lines.append("  transcript (time since request sent):")
            lines.append(_indent(self.transcript.rstrip()))
        return "\n".join(lines)


class Checker:
    """Check/fail/record bound to one requirement and dialect; the base of ``A2AContext``."""

    def __init__(self, requirement: Requirement | None, dialect: str | None) -> None:
        self.requirement = requirement
        self.dialect = dialect
        self.start_over()

    def start_over(self) -> None:
        """Forget every check, observation and transcript: the scenario judges again from
        scratch (a shared run's failure judged again alone, ``conformance_tests.shared_runs``)."""
        #: observations for reports (``record``; JSON-able values), in insertion order
        self.observations: dict[str, object] = {}
        #: transcript excerpt of the most relevant stream (the failing one, else the last seen)
        self.transcript: str | None = None
        #: INFO deviations noted by ``check`` (an INFO scenario never fails on a check)
        self.deviations: list[str] = []
        self.unsupported_reason: str | None = None
        self.checks = 0

    @property
    def level(self) -> str:
        return self.requirement.level if self.requirement is not None else "MUST"

    def _failure(
        self, expected: str, actual: str, stream: StreamResult | CallResult | None
    ) -> ConformanceFailure:
        excerpt = transcript_of(stream)
        if excerpt:
            self.transcript = excerpt
        return ConformanceFailure(
            self.requirement, _text(expected), _text(actual), excerpt, self.dialect
        )

    def check(
        self,
        cond: object,
        expected: str,
        actual: str,
        stream: StreamResult | CallResult | None = None,
    ) -> bool:
        """Pass if ``cond`` is truthy, else fail with expected/actual (INFO: only note it)."""
        __tracebackhide__ = True
        self.checks += 1
        if stream is not None and self.transcript is None:
            self.transcript = transcript_of(stream)
        if cond:
            return True
        failure = self._failure(expected, actual, stream)
        if self.level == "INFO":
            self.deviations.append(f"expected {failure.expected}; actual {failure.actual}")
            self.observations.setdefault("deviations", self.deviations)
            return False
        raise failure

    def verify(self, verdict: Verdict, stream: StreamResult | CallResult | None = None) -> bool:
        """``check`` a shared verifier's verdict (:mod:`pytest_a2a.judge.verifiers`); the
        transcript is ``stream``'s if given, else that of the answer the verifier judged."""
        __tracebackhide__ = True
        return self.check(verdict.passed, expected=verdict.expected_text, actual=verdict.actual,
                          stream=stream if stream is not None else verdict.answer)

    def require(
        self,
        cond: object,
        expected: str,
        actual: str,
        stream: StreamResult | CallResult | None = None,
    ) -> None:
        """A precondition that is itself required behaviour (a scripted task that ends, an
        interface that answers): unmet, the scenario fails with "precondition not met" and
        stops, at every level (an INFO scenario is graded info, but judges nothing further)."""
        __tracebackhide__ = True
        self.checks += 1
        if stream is not None and self.transcript is None:
            self.transcript = transcript_of(stream)
        if not cond:
            raise self._failure(expected, f"precondition not met: {_text(actual)}", stream)

    def fail(
        self, expected: str, actual: str, stream: StreamResult | CallResult | None = None
    ) -> NoReturn:
        """Fail unconditionally (graded by level like ``check``)."""
        __tracebackhide__ = True
        self.checks += 1
        raise self._failure(expected, actual, stream)

    def record(self, key: str, value: object) -> None:
        """Note what the server does (reports show it; INFO scenarios only record)."""
        self.observations[key] = value

    @property
    def judged(self) -> bool:
        """The scenario judged something: a check, or (INFO) a recorded observation. A test
        that ends without either proved nothing, and is graded ``error``, never a pass."""
        return self.checks > 0 or (self.level == "INFO" and bool(self.observations))

    def unsupported(self, reason: str) -> NoReturn:
        """The target lacks an optional capability: skip, reported as ``unsupported``."""
        __tracebackhide__ = True
        self.unsupported_reason = reason
        pytest.skip(UNSUPPORTED_PREFIX + reason)
