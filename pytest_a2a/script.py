"""The `a2a-conformance/1` script: build it (scenarios) and parse it (agents).

This is the only code the checker shares with the servers it judges (the reference server and
the adapters): it carries no wire encoding, just the contract of ``CONFORMANCE-AGENT.md``.
Parsing validates the whole script before any step runs; an invalid script raises
:class:`ScriptError`, whose message the agent puts in its ``rejected`` status.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

MARKER = "a2a-conformance/1"
MARKER_PREFIX = "a2a-conformance/"

STATES = (
    "working",
    "input-required",
    "completed",
    "failed",
    "canceled",
    "rejected",
    "auth-required",
)
TERMINAL_STATES = frozenset({"completed", "failed", "canceled", "rejected"})
INTERRUPTED_STATES = frozenset({"input-required", "auth-required"})

MAX_SLEEP = 30.0
MAX_BURST_COUNT = 100_000
MAX_BURST_BYTES = 65_536


class ScriptError(ValueError):
    """The script is not a valid `a2a-conformance/1` script (the agent rejects the task)."""


@dataclass(frozen=True)
class Status:
    state: str
    text: str | None = None

    @property
    def ends_script(self) -> bool:
        return self.state in TERMINAL_STATES or self.state in INTERRUPTED_STATES


@dataclass(frozen=True)
class Artifact:
    id: str
    text: str
    append: bool = False
    last: bool = False
    name: str | None = None


@dataclass(frozen=True)
class Message:
    text: str


@dataclass(frozen=True)
class Reply:
    text: str


@dataclass(frozen=True)
class Sleep:
    seconds: float


@dataclass(frozen=True)
class Burst:
    id: str
    count: int
    bytes: int

    def chunk(self, index: int) -> str:
        return burst_chunk(index, self.bytes)


@dataclass(frozen=True)
class Raise:
    text: str


@dataclass(frozen=True)
class WaitCancel:
    seconds: float


Step = Status | Artifact | Message | Reply | Sleep | Burst | Raise | WaitCancel


@dataclass(frozen=True)
class Script:
    steps: tuple[Step, ...]

    @property
    def is_reply(self) -> bool:
        return len(self.steps) == 1 and isinstance(self.steps[0], Reply)


def burst_chunk(index: int, size: int) -> str:
    """Chunk ``index`` of a burst: the decimal index, a space, padded with ``.`` to ``size``."""
    head = f"{index} "
    return head + "." * (size - len(head)) if size > len(head) else head


def build(steps: list[dict[str, Any]]) -> str:
    """The message text for a script (validated, so a scenario cannot send a broken one)."""
    text = MARKER + "\n" + json.dumps({"steps": steps}, separators=(",", ":"))
    parse(text)
    return text


def is_script(text: str) -> bool:
    return text.lstrip().startswith(MARKER_PREFIX)


def parse(text: str) -> Script | None:
    """Parse a message text: ``None`` if it is not a script at all, else the validated script."""
    if not is_script(text):
        return None
    head, _, body = text.lstrip().partition("\n")
    if head.strip() != MARKER:
        raise ScriptError(f"unknown contract version {head.strip()!r}; this agent runs {MARKER}")
    try:
        doc = json.loads(body)
    except json.JSONDecodeError as exc:
        raise ScriptError(f"script is not valid JSON: {exc}") from None
    if not isinstance(doc, dict) or set(doc) != {"steps"} or not isinstance(doc["steps"], list):
        raise ScriptError('script must be an object with exactly one member "steps" (a list)')
    if not doc["steps"]:
        raise ScriptError("script has no steps")
    steps = tuple(_step(i, raw) for i, raw in enumerate(doc["steps"]))
    if any(isinstance(s, Reply) for s in steps) and len(steps) != 1:
        raise ScriptError('"reply" must be the only step of its script')
    return Script(steps)


def _step(i: int, raw: Any) -> Step:
    where = f"step {i}"
    if not isinstance(raw, dict) or not raw:
        raise ScriptError(f"{where}: each step is a non-empty object")
    keys = set(raw)
    if "status" in keys:
        _only(where, keys, {"status", "text"})
        state = raw["status"]
        if state not in STATES:
            raise ScriptError(f"{where}: unknown state {state!r}; valid: {', '.join(STATES)}")
        text = raw.get("text")
        return Status(state, None if text is None else _str(where, "text", text))
    if len(keys) != 1:
        raise ScriptError(f"{where}: expected exactly one step key, got {sorted(keys)}")
    (key,) = keys
    value = raw[key]
    if key == "artifact":
        if not isinstance(value, dict):
            raise ScriptError(f"{where}: artifact must be an object")
        _only(where, set(value), {"id", "text", "append", "last", "name"})
        name = value.get("name")
        return Artifact(
            id=_str(where, "artifact.id", value.get("id"), nonempty=True),
            text=_str(where, "artifact.text", value.get("text")),
            append=_bool(where, "artifact.append", value.get("append", False)),
            last=_bool(where, "artifact.last", value.get("last", False)),
            name=None if name is None else _str(where, "artifact.name", name),
        )
    if key == "message":
        return Message(_str(where, "message", value))
    if key == "reply":
        return Reply(_str(where, "reply", value))
    if key == "sleep":
        return Sleep(_seconds(where, "sleep", value))
    if key == "wait_cancel":
        return WaitCancel(_seconds(where, "wait_cancel", value))
    if key == "raise":
        return Raise(_str(where, "raise", value))
    if key == "burst":
        if not isinstance(value, dict):
            raise ScriptError(f"{where}: burst must be an object")
        _only(where, set(value), {"id", "count", "bytes"})
        count = _int(where, "burst.count", value.get("count"), 1, MAX_BURST_COUNT)
        size = _int(where, "burst.bytes", value.get("bytes"), 1, MAX_BURST_BYTES)
        if size < len(str(count - 1)) + 1:
            raise ScriptError(
                f"{where}: burst.bytes {size} cannot hold index {count - 1} and a space"
            )
        return Burst(_str(where, "burst.id", value.get("id"), nonempty=True), count, size)
    valid = "status, artifact, message, reply, sleep, burst, raise, wait_cancel"
    raise ScriptError(f"{where}: unknown step {key!r}; valid: {valid}")


def _only(where: str, keys: set[str], allowed: set[str]) -> None:
    extra = keys - allowed
    if extra:
        raise ScriptError(f"{where}: unknown member(s) {sorted(extra)}; allowed: {sorted(allowed)}")


def _str(where: str, name: str, value: Any, *, nonempty: bool = False) -> str:
    if not isinstance(value, str) or (nonempty and not value):
        raise ScriptError(f"{where}: {name} must be a {'non-empty ' if nonempty else ''}string")
    return value


def _bool(where: str, name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise ScriptError(f"{where}: {name} must be true or false")
    return value


def _int(where: str, name: str, value: Any, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ScriptError(f"{where}: {name} must be an integer in [{low}, {high}]")
    return value


def _seconds(where: str, name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= MAX_SLEEP:
        raise ScriptError(f"{where}: {name} must be a number of seconds in [0, {MAX_SLEEP:g}]")
    return float(value)
