"""Expectation files: an implementation's known deviations, so its CI is green yet honest.

Like WPT expectation files, but only deviations are listed, by requirement id::

    implementation = "acme-agent 2.1"           # optional, shown in reports

    [[deviation]]
    requirement = "ordering.task-first"
    dialects = ["v1.0-rest"]                    # optional; default: every dialect
    reason = "REST stream starts with a status update"
    link = "https://github.com/acme/agent/issues/12"   # optional
    cases = ["malformed-json"]                  # optional; default: every case
    intermittent = true                         # optional; fails in some runs only

A listed failure is reported ``expected-failure``. A listed requirement that passes is an
``unexpected-pass`` and fails the run, so files never silently go stale; an ``intermittent``
entry (WPT's ``expected: [PASS, FAIL]``) passes as ``passed``, with the entry noted.

A *case* is one parametrization of a requirement's test, named by its test id without the
dialect: ``test_json_errors[v1.0-jsonrpc-malformed-json]`` is case ``malformed-json``.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pytest_a2a.judge.requirements import DIALECTS, Requirement

_KEYS = {"requirement", "dialects", "reason", "link", "cases", "intermittent"}


class ExpectationError(ValueError):
    """Invalid expectation file (message names the file and entry)."""


def case_id(callspec: object, dialect_id: str | None) -> str:
    """The case of a parametrized test: its callspec id without the dialect's part.

    Dialect ids contain dashes, so the dialect is removed as a whole parametrize id (pytest
    keeps one id per parametrize call), not by splitting ``callspec.id`` on ``-``.
    """
    if callspec is None:
        return ""
    ids = getattr(callspec, "_idlist", None)
    if isinstance(ids, Sequence) and all(isinstance(i, str) for i in ids):
        parts = list(ids)
        if dialect_id is not None and dialect_id in parts:
            parts.remove(dialect_id)
        return "-".join(parts)
    # pytest without the private id list: remove the dialect from the joined id
    full = str(getattr(callspec, "id", ""))
    if not dialect_id:
        return full
    if full == dialect_id:
        return ""
    if full.startswith(dialect_id + "-"):
        return full[len(dialect_id) + 1:]
    if full.endswith("-" + dialect_id):
        return full[: -len(dialect_id) - 1]
    return full.replace(f"-{dialect_id}-", "-", 1)


@dataclass(frozen=True)
class Deviation:
    requirement: str
    dialects: tuple[str, ...]  # empty = every dialect
    reason: str
    link: str = ""
    cases: tuple[str, ...] = ()  # empty = every case
    intermittent: bool = False  # a pass is ``passed`` (noted), not ``unexpected-pass``

    def matches(self, requirement: str, dialect: str | None, case: str = "") -> bool:
        if requirement != self.requirement:
            return False
        if self.cases and case not in self.cases:
            return False
        return not self.dialects or (dialect is not None and dialect in self.dialects)

    def overlaps(self, other: Deviation) -> bool:
        """Would some test match both entries (same requirement, dialect and case)?"""
        if self.requirement != other.requirement:
            return False
        if self.dialects and other.dialects and not set(self.dialects) & set(other.dialects):
            return False
        return not (self.cases and other.cases and not set(self.cases) & set(other.cases))

    def where(self) -> str:
        """Which tests the entry covers, for messages: ``v1.0-rest, case malformed-json``."""
        parts = [", ".join(self.dialects) if self.dialects else "every dialect"]
        if self.cases:
            parts.append(("cases " if len(self.cases) > 1 else "case ") + ", ".join(self.cases))
        return "; ".join(parts)

    def describe(self) -> str:
        return self.reason + (f" ({self.link})" if self.link else "")


@dataclass(frozen=True)
class Expectations:
    source: str
    implementation: str
    deviations: tuple[Deviation, ...]

    def match(self, requirement: str | None, dialect: str | None,
              case: str = "") -> Deviation | None:
        if requirement is None:
            return None
        for dev in self.deviations:
            if dev.matches(requirement, dialect, case):
                return dev
        return None


def _deviation(raw: Any, where: str, registry: Mapping[str, Requirement]) -> Deviation:
    if not isinstance(raw, dict):
        raise ExpectationError(f"{where}: each [[deviation]] must be a table")
    unknown = sorted(set(raw) - _KEYS)
    if unknown:
        raise ExpectationError(
            f"{where}: unknown key(s) {', '.join(unknown)}; valid keys: {', '.join(sorted(_KEYS))}"
        )
    rid = raw.get("requirement")
    if not isinstance(rid, str) or not rid:
        raise ExpectationError(f"{where}: 'requirement' (a requirement id) is required")
    req = registry.get(rid)
    if req is None:
        raise ExpectationError(f"{where}: unknown requirement id {rid!r}")
    reason = raw.get("reason")
    if not isinstance(reason, str) or not reason.strip():
        raise ExpectationError(f"{where} ({rid}): 'reason' is required (why it deviates)")
    dialects = raw.get("dialects", [])
    if not isinstance(dialects, list) or not all(isinstance(d, str) for d in dialects):
        raise ExpectationError(f"{where} ({rid}): dialects must be a list of dialect ids")
    bad = [d for d in dialects if d not in DIALECTS]
    if bad:
        raise ExpectationError(
            f"{where} ({rid}): unknown dialect(s) {bad}; valid dialects: {', '.join(DIALECTS)}"
        )
    never = [d for d in dialects if d not in req.dialects]
    if never:
        raise ExpectationError(
            f"{where} ({rid}): the requirement does not apply to {never} "
            f"(it applies to {', '.join(req.dialects)})"
        )
    link = raw.get("link", "")
    if not isinstance(link, str):
        raise ExpectationError(f"{where} ({rid}): link must be a string (URL)")
    cases = raw.get("cases", [])
    if "cases" in raw and (not isinstance(cases, list) or not cases
                           or not all(isinstance(c, str) and c.strip() for c in cases)):
        raise ExpectationError(
            f"{where} ({rid}): cases must be a non-empty list of test case ids, the test id "
            "without the dialect (test_x[v1.0-jsonrpc-malformed-json] -> \"malformed-json\"); "
            "leave it out to cover every case"
        )
    if len(set(cases)) != len(cases):
        raise ExpectationError(f"{where} ({rid}): cases lists a case twice: {cases}")
    intermittent = raw.get("intermittent", False)
    if not isinstance(intermittent, bool):
        raise ExpectationError(
            f"{where} ({rid}): intermittent must be true or false, not {intermittent!r}")
    return Deviation(rid, tuple(dialects), reason.strip(), link, tuple(c.strip() for c in cases),
                     intermittent)


def parse(text: str, source: str, registry: Mapping[str, Requirement]) -> Expectations:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ExpectationError(f"{source}: not valid TOML: {exc}") from None
    unknown = sorted(set(data) - {"implementation", "deviation"})
    if unknown:
        raise ExpectationError(
            f"{source}: unknown top-level key(s) {', '.join(unknown)}; "
            "expected 'implementation' and [[deviation]] tables"
        )
    entries = data.get("deviation", [])
    if not isinstance(entries, list):
        raise ExpectationError(f"{source}: 'deviation' must be an array of tables")
    deviations = [
        _deviation(raw, f"{source}: deviation #{i + 1}", registry) for i, raw in enumerate(entries)
    ]
    for i, dev in enumerate(deviations):
        for j, earlier in enumerate(deviations[:i]):
            if earlier.overlaps(dev):
                raise ExpectationError(
                    f"{source}: deviations #{j + 1} and #{i + 1} both cover {dev.requirement} "
                    f"(#{j + 1}: {earlier.where()}; #{i + 1}: {dev.where()}); "
                    "give each entry its own dialects or cases"
                )
    return Expectations(source, str(data.get("implementation", "")), tuple(deviations))


def load(path: Path, registry: Mapping[str, Requirement]) -> Expectations:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ExpectationError(f"--a2a-expectations: cannot read {path}: {exc}") from None
    return parse(text, str(path), registry)
