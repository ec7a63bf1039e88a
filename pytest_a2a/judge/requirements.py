"""The requirement registry: every ``requirements/*.toml`` shipped with the package, plus any
extra files a project lists in ini ``a2a_requirements``.

A requirement is the unit everything is graded and reported by (test ids, reports,
expectation files), so the data is validated strictly: a typo in a level, a dialect or a key
is an error naming the file and the entry, never a silently different grade.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Literal, get_args

LEVELS = ("MUST", "SHOULD", "MAY", "INFO")
#: the three dialect ids (docs/architecture.md §2), as a type so a misspelt id fails mypy
DialectId = Literal["v0.3-jsonrpc", "v1.0-jsonrpc", "v1.0-rest"]
DIALECTS: tuple[DialectId, ...] = get_args(DialectId)
_ID = re.compile(r"^[a-z0-9][a-z0-9_-]*(\.[a-z0-9][a-z0-9_-]*)+$")
_KEYS = {"id", "level", "dialects", "spec", "text", "bugs"}
_REQUIRED = ("id", "level", "dialects", "text")


class RequirementError(ValueError):
    """Invalid requirement data (message names the file and the entry)."""


@dataclass(frozen=True)
class Requirement:
    id: str
    level: str
    dialects: tuple[str, ...]
    text: str
    spec: str = ""
    bugs: tuple[str, ...] = ()
    source: str = ""

    def applies_to(self, dialect: str) -> bool:
        return dialect in self.dialects


def _entry(raw: Any, where: str) -> Requirement:
    if not isinstance(raw, dict):
        raise RequirementError(f"{where}: each [[requirement]] must be a table")
    unknown = sorted(set(raw) - _KEYS)
    if unknown:
        raise RequirementError(
            f"{where}: unknown key(s) {', '.join(unknown)}; valid keys: {', '.join(sorted(_KEYS))}"
        )
    missing = [k for k in _REQUIRED if k not in raw]
    if missing:
        raise RequirementError(f"{where}: missing required key(s) {', '.join(missing)}")
    rid = raw["id"]
    if not isinstance(rid, str) or not _ID.match(rid):
        raise RequirementError(
            f"{where}: id {rid!r} must look like '<family>.<slug>' (lowercase, digits, - or _)"
        )
    where = f"{where} ({rid})"
    level = raw["level"]
    if level not in LEVELS:
        raise RequirementError(f"{where}: level {level!r}; valid levels: {', '.join(LEVELS)}")
    dialects = raw["dialects"]
    if not isinstance(dialects, list) or not dialects:
        raise RequirementError(f"{where}: dialects must be a non-empty list of {DIALECTS}")
    bad = [d for d in dialects if d not in DIALECTS]
    if bad:
        raise RequirementError(
            f"{where}: unknown dialect(s) {bad}; valid dialects: {', '.join(DIALECTS)}"
        )
    if len(set(dialects)) != len(dialects):
        raise RequirementError(f"{where}: dialects listed twice: {dialects}")
    text = raw["text"]
    if not isinstance(text, str) or not text.strip():
        raise RequirementError(f"{where}: text must be a non-empty string")
    spec = raw.get("spec", "")
    if not isinstance(spec, str):
        raise RequirementError(f"{where}: spec must be a string")
    bugs = raw.get("bugs", [])
    if not isinstance(bugs, list) or not all(isinstance(b, str) for b in bugs):
        raise RequirementError(f"{where}: bugs must be a list of URLs (strings)")
    ordered = tuple(d for d in DIALECTS if d in dialects)
    return Requirement(rid, level, ordered, text.strip(), spec, tuple(bugs), where)


def parse(text: str, source: str) -> list[Requirement]:
    """Requirements of one TOML document; ``source`` names it in error messages."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RequirementError(f"{source}: not valid TOML: {exc}") from None
    unknown = sorted(set(data) - {"requirement"})
    if unknown:
        raise RequirementError(
            f"{source}: unknown top-level key(s) {', '.join(unknown)}; "
            "expected only [[requirement]] tables"
        )
    entries = data.get("requirement", [])
    if not isinstance(entries, list):
        raise RequirementError(f"{source}: 'requirement' must be an array of tables")
    return [_entry(raw, f"{source}: requirement #{i + 1}") for i, raw in enumerate(entries)]


class Registry(Mapping[str, Requirement]):
    """Requirement id → Requirement, in load order; duplicate ids are an error."""

    def __init__(self, requirements: Iterable[Requirement] = ()) -> None:
        self._by_id: dict[str, Requirement] = {}
        for req in requirements:
            self.add(req)

    def add(self, req: Requirement) -> None:
        old = self._by_id.get(req.id)
        if old is not None:
            raise RequirementError(
                f"duplicate requirement id {req.id!r}: {old.source} and {req.source}"
            )
        self._by_id[req.id] = req

    def __getitem__(self, rid: str) -> Requirement:
        return self._by_id[rid]

    def __iter__(self) -> Iterator[str]:
        return iter(self._by_id)

    def __len__(self) -> int:
        return len(self._by_id)

    def unknown(self, rid: str) -> str:
        """An actionable message for an id that is not registered."""
        close = [k for k in self._by_id if k.split(".")[0] == rid.split(".")[0]][:8]
        hint = f" (same family: {', '.join(close)})" if close else ""
        return (
            f"unknown requirement id {rid!r}{hint}; requirements come from "
            "pytest_a2a/requirements/*.toml and the files listed in ini a2a_requirements"
        )


def packaged_sources() -> list[tuple[str, str]]:
    """(name, text) of every TOML file shipped in ``pytest_a2a/requirements``."""
    folder = resources.files("pytest_a2a") / "requirements"
    if not folder.is_dir():
        return []
    files = sorted((f for f in folder.iterdir() if f.name.endswith(".toml")), key=lambda f: f.name)
    return [(f"pytest_a2a/requirements/{f.name}", f.read_text(encoding="utf-8")) for f in files]


def load(extra: Iterable[Path] = (), *, packaged: bool = True) -> Registry:
    """The registry: packaged requirement files, then ``extra`` files (ini a2a_requirements)."""
    registry = Registry()
    sources = packaged_sources() if packaged else []
    for path in extra:
        try:
            sources.append((str(path), Path(path).read_text(encoding="utf-8")))
        except OSError as exc:
            raise RequirementError(f"ini a2a_requirements: cannot read {path}: {exc}") from None
    for name, text in sources:
        for req in parse(text, name):
            registry.add(req)
    return registry
