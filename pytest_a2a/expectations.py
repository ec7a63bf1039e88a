"""Expectation files: an implementation's known deviations, so its CI is green yet honest.

Like WPT expectation files, but only deviations are listed, by requirement id::

    implementation = "acme-agent 2.1"           # optional, shown in reports

    [[deviation]]
    requirement = "ordering.task-first"
    dialects = ["v1.0-rest"]                    # optional; default: every dialect
    reason = "REST stream starts with a status update"
    link = "https://github.com/acme/agent/issues/12"   # optional

A listed failure is reported ``expected-failure``. A listed requirement that passes is an
``unexpected-pass`` and fails the run, so files never silently go stale.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pytest_a2a.requirements import DIALECTS, Requirement

_KEYS = {"requirement", "dialects", "reason", "link"}


class ExpectationError(ValueError):
    """Invalid expectation file (message names the file and entry)."""


@dataclass(frozen=True)
class Deviation:
    requirement: str
    dialects: tuple[str, ...]  # empty = every dialect
    reason: str
    link: str = ""

    def matches(self, requirement: str, dialect: str | None) -> bool:
        if requirement != self.requirement:
            return False
        return not self.dialects or (dialect is not None and dialect in self.dialects)

    def describe(self) -> str:
        return self.reason + (f" ({self.link})" if self.link else "")


@dataclass(frozen=True)
class Expectations:
    source: str
    implementation: str
    deviations: tuple[Deviation, ...]

    def match(self, requirement: str | None, dialect: str | None) -> Deviation | None:
        if requirement is None:
            return None
        for dev in self.deviations:
            if dev.matches(requirement, dialect):
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
    return Deviation(rid, tuple(dialects), reason.strip(), link)


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
    seen: dict[tuple[str, str], int] = {}
    for i, dev in enumerate(deviations):
        for dialect in dev.dialects or DIALECTS:
            key = (dev.requirement, dialect)
            if key in seen:
                raise ExpectationError(
                    f"{source}: deviations #{seen[key] + 1} and #{i + 1} both cover "
                    f"{dev.requirement} on {dialect}"
                )
            seen[key] = i
    return Expectations(source, str(data.get("implementation", "")), tuple(deviations))


def load(path: Path, registry: Mapping[str, Requirement]) -> Expectations:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ExpectationError(f"--a2a-expectations: cannot read {path}: {exc}") from None
    return parse(text, str(path), registry)
