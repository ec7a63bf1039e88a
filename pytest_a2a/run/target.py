"""The server under test: where it is, what its card declares, and who booted it.

Three kinds: ``url`` (``--a2a-url``, someone else runs it), ``command`` (``--a2a-server-cmd``,
booted once per run on the controller and handed to xdist workers), ``embedded`` (the
reference server as a subprocess, ``python -m reference_server --port 0``: booted when a2a
tests are collected, or by the xdist controller and handed to its workers). Out of the test
process, the server does not compete with the judge for one GIL, and its memory is its own.
A ``Target`` is plain data so it crosses to xdist workers as JSON.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shlex
import sys
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from pytest_a2a.judge.requirements import DIALECTS
from pytest_a2a.run.options import Options

if TYPE_CHECKING:
    from pytest_a2a.run.process import ServerProcess

CONFORMANCE_SKILL = "a2a-conformance"


class TargetError(RuntimeError):
    """The target cannot be used (no card, no interface); the message says what to fix."""


@dataclass(frozen=True)
class Target:
    kind: str  # "url" | "command" | "embedded"
    url: str  # what the user gave or what was booted (base or card URL)
    card_url: str
    card: dict[str, Any]
    interfaces: dict[str, str]  # declared dialect id -> interface URL
    pid: int | None = None
    command: str | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def name(self) -> str:
        name = self.card.get("name")
        version = self.card.get("version")
        text = str(name) if name else "(unnamed)"
        return f"{text} {version}" if version else text

    @property
    def declares_script_agent(self) -> bool:
        skills = self.card.get("skills") or []
        return any(isinstance(s, dict) and s.get("id") == CONFORMANCE_SKILL for s in skills)

    @property
    def booted(self) -> bool:
        return self.kind != "url"

    def describe(self) -> str:
        if self.kind == "command":
            return f"{self.url} (booted: {self.command}, pid {self.pid})"
        if self.kind == "embedded":
            return f"{self.url} (embedded reference server: {self.command}, pid {self.pid})"
        return self.url

    def to_json(self) -> str:
        data = asdict(self)
        data["notes"] = list(self.notes)
        return json.dumps(data)

    @classmethod
    def from_json(cls, text: str) -> Target:
        data = json.loads(text)
        data["notes"] = tuple(data.get("notes") or ())
        return cls(**data)


def wanted(dialect: str, options: Options) -> bool:
    """Whether ``dialect`` passes the --a2a-dialect / --a2a-binding filters."""
    version, binding = dialect.split("-", 1)
    return (options.dialect in ("auto", version[1:])) and (options.binding in ("auto", binding))


def select(target: Target, options: Options) -> dict[str, str]:
    """Dialect id -> interface URL to run, in the canonical order.

    ``auto`` runs everything the card declares. An explicit --a2a-dialect/--a2a-binding
    restricts that set; if the card declares none of the requested dialects they are run
    anyway against the URL the user gave (a card may under-declare), which the header notes.
    """
    chosen = {d: u for d, u in target.interfaces.items() if wanted(d, options)}
    if chosen or (options.dialect == "auto" and options.binding == "auto"):
        return {d: chosen[d] for d in DIALECTS if d in chosen}
    base = target.url.split("/.well-known/")[0].rstrip("/")
    return {d: base for d in DIALECTS if wanted(d, options)}


def _discover(url: str, headers: dict[str, str], timeout: float) -> tuple[str, dict[str, Any],
                                                                          dict[str, str]]:
    """(card URL, card, declared dialect -> interface URL) through ``pytest_a2a.wire.card``."""
    from pytest_a2a.wire import card as card_mod

    try:
        found = card_mod.discover_sync(url, headers=headers, timeout=timeout)
    except card_mod.CardError as exc:
        raise TargetError(f"cannot read the agent card of {url}: {exc}") from None
    return found.card_url, dict(found.card), dict(found.interfaces)


def _card_timeout(options: Options) -> float:
    from pytest_a2a.budget import Budget

    return Budget(options.timeout).call


def resolve_url(options: Options) -> Target:
    assert options.url
    card_url, card, interfaces = _discover(options.url, dict(options.headers),
                                           _card_timeout(options))
    return Target("url", options.url, card_url, card, interfaces)


def from_process(options: Options, url: str, pid: int, command: str) -> Target:
    card_url, card, interfaces = _discover(url, dict(options.headers), _card_timeout(options))
    return Target("command", url, card_url, card, interfaces, pid=pid, command=command)


EMBEDDED_LABEL = "the embedded reference server"


def embedded_argv() -> list[str]:
    """The embedded server's command: this interpreter, its own port (announced on stdout)."""
    return [sys.executable, "-m", "reference_server", "--port", "0"]


def _embedded_env() -> dict[str, str]:
    """This environment, with the directories this process imports ``reference_server`` and
    ``pytest_a2a`` from first on PYTHONPATH: the child runs the very code the parent found,
    even where only the parent's ``sys.path`` (not an install) makes it importable."""
    dirs: list[str] = []
    for name in ("reference_server", "pytest_a2a"):
        spec = importlib.util.find_spec(name)  # finds, does not import (no uvicorn here)
        if spec is None or not spec.submodule_search_locations:
            raise TargetError(
                "no --a2a-url or --a2a-server-cmd given and the embedded reference server is "
                f"not importable (no package {name!r}); give a target with --a2a-url URL"
            )
        where = os.path.dirname(os.path.abspath(next(iter(spec.submodule_search_locations))))
        if where not in dirs:
            dirs.append(where)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([*dirs, *filter(None, [env.get("PYTHONPATH")])])
    return env


class Embedded:
    """The reference server as a subprocess of this pytest process, stopped at unconfigure.

    Booted like an ``--a2a-server-cmd`` server (own process group, killed with pytest even on
    SIGKILL, SIGTERM/SIGHUP unwind into teardown), on the port it picks itself."""

    def __init__(self) -> None:
        self.process: ServerProcess | None = None

    def start(self, options: Options) -> Target:
        # The plugin boots the reference server as a *target*; no wire code is shared with it.
        from pytest_a2a.run import process as _process

        argv = embedded_argv()
        command = shlex.join(argv)
        self.process = _process.start(command, _process.boot_deadline(options.timeout),
                                      dict(options.headers), argv=argv, env=_embedded_env(),
                                      label=EMBEDDED_LABEL)
        try:
            card_url, card, interfaces = _discover(self.process.url, dict(options.headers),
                                                   _card_timeout(options))
        except TargetError as exc:
            raise TargetError(
                f"{exc}\n  server log, last lines:\n{self.process.log_tail()}") from None
        return Target("embedded", self.process.url, card_url, card, interfaces,
                      pid=self.process.pid, command=command)

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is not None:
            process.stop()
            process.remove_log()
