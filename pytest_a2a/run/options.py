"""Command-line options and their ini twins, parsed once into a validated ``Options``.

Every option exists twice (``--a2a-x`` and ini ``a2a_x``); the command line wins. Bad values
raise ``pytest.UsageError`` naming the valid choices, before anything is booted. Only the
standard library is imported here: this module loads in every pytest run.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

DIALECT_CHOICES = ("auto", "0.3", "1.0")
BINDING_CHOICES = ("auto", "jsonrpc", "rest")
SCRIPTED_CHOICES = ("auto", "yes", "no")
DEFAULT_TIMEOUT = 10.0
DEFAULT_PROMPT = "Hello"
#: The embedded reference server's plain-text agent streams a 150-word answer for ~0.75 s: long
#: enough to re-attach, cancel and drop mid-answer (a call takes ~1 ms), short enough that the
#: zero-configuration run stays fast. Only that target gets a default: what keeps any other
#: agent busy is for its user to say.
DEFAULT_LONG_PROMPT = "Write a 150-word story about rivers"
#: same value as pytest_a2a.wire.sse.DEFAULT_MAX_EVENT_BYTES (this module imports no wire code)
DEFAULT_MAX_EVENT_BYTES = 4 * 1024 * 1024
MAX_EVENT_BYTES_RANGE = (1024, 1024 * 1024 * 1024)
_SIZE_UNITS = {"": 1, "k": 1024, "kib": 1024, "m": 1024**2, "mib": 1024**2, "g": 1024**3,
               "gib": 1024**3}
DEFAULT_RECORD_CAP = 64 * 1024


@dataclass(frozen=True)
class _Spec:
    name: str  # ini name; the flag is --a2a-<name with dashes>
    help: str
    ini_type: str = "string"  # "string" | "bool" | "linelist"
    choices: tuple[str, ...] = ()
    metavar: str | None = None

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")


SPECS: tuple[_Spec, ...] = (
    _Spec("a2a_url", "target A2A server: a base URL or an agent-card URL", metavar="URL"),
    _Spec(
        "a2a_server_cmd",
        "command that starts the target on '{port}' (booted once, killed at the end)",
        metavar="CMD",
    ),
    _Spec("a2a_dialect", "protocol version(s) to test; auto = all the card declares",
          choices=DIALECT_CHOICES),
    _Spec("a2a_binding", "binding(s) to test; auto = all the card declares",
          choices=BINDING_CHOICES),
    _Spec("a2a_timeout", f"the one time budget per test, seconds (default {DEFAULT_TIMEOUT:g})",
          metavar="SECONDS"),
    _Spec("a2a_header", "extra HTTP header 'Name: value' sent on every request (repeatable)",
          ini_type="linelist", metavar="HEADER"),
    _Spec("a2a_strict", "SHOULD-level failures fail the run", ini_type="bool"),
    _Spec("a2a_expectations", "TOML file of this implementation's known deviations",
          metavar="FILE"),
    _Spec("a2a_report_json", "write the JSON conformance report here", metavar="PATH"),
    _Spec("a2a_report_html", "write the self-contained HTML conformance report here",
          metavar="PATH"),
    _Spec("a2a_scripted", "run scenarios needing the a2a-conformance agent; auto = card skill",
          choices=SCRIPTED_CHOICES),
    _Spec("a2a_prompt", f"message text for black-box scenarios (default {DEFAULT_PROMPT!r})",
          metavar="TEXT"),
    _Spec("a2a_long_prompt", "message that keeps the agent busy streaming for a few seconds, "
          "for black-box re-attach/cancel/delivery/load scenarios (default: none; "
          f"{DEFAULT_LONG_PROMPT!r} for the embedded reference server)", metavar="TEXT"),
    _Spec("a2a_max_event_bytes", "largest SSE event or unary answer accepted, e.g. 4194304 or "
          "16MiB (default 4MiB); a larger one fails its test", metavar="BYTES"),
    _Spec("a2a_record", "write every exchange of this run under DIR, one a2a-recording/1 file "
          "per test (docs/recordings.md)", metavar="DIR"),
    _Spec("a2a_record_cap", "per-exchange cap on recorded body bytes (default "
          f"{DEFAULT_RECORD_CAP}); the truncation is recorded", metavar="BYTES"),
    _Spec("a2a_replay", "no server: judge the streams recorded in PATH (a2a-recording/1, HAR "
          "1.2 or a raw SSE body; a file or a directory)", metavar="PATH"),
)
SPEC_BY_NAME = {s.name: s for s in SPECS}
#: ini-only: extra requirement TOML files (for users' own tests and their requirements).
REQUIREMENTS_INI = "a2a_requirements"


@dataclass(frozen=True)
class Options:
    url: str | None = None
    server_cmd: str | None = None
    dialect: str = "auto"
    binding: str = "auto"
    timeout: float = DEFAULT_TIMEOUT
    headers: tuple[tuple[str, str], ...] = ()
    strict: bool = False
    expectations: Path | None = None
    report_json: Path | None = None
    report_html: Path | None = None
    scripted: str = "auto"
    prompt: str = DEFAULT_PROMPT
    long_prompt: str | None = None  # --a2a-long-prompt as given (see ``target_long_prompt``)
    max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES
    requirement_files: tuple[Path, ...] = ()
    record: Path | None = None  # --a2a-record DIR
    record_cap: int = DEFAULT_RECORD_CAP
    replay: Path | None = None  # --a2a-replay PATH (no server)
    #: names of the options given (command line or ini); empty = plugin stays silent
    given: frozenset[str] = field(default_factory=frozenset)
    #: a target option came from the command line (may redirect collection to the suite)
    target_on_cli: bool = False

    @property
    def target_kind(self) -> str:
        return "url" if self.url else "command" if self.server_cmd else "embedded"

    @property
    def active(self) -> bool:
        return bool(self.given)

    @property
    def target_long_prompt(self) -> str | None:
        """The long prompt scenarios use: the given one, else the embedded server's default."""
        if self.long_prompt:
            return self.long_prompt
        embedded = self.target_kind == "embedded" and self.replay is None
        return DEFAULT_LONG_PROMPT if embedded else None


def add_options(parser: pytest.Parser) -> None:
    group = parser.getgroup("a2a", "A2A streaming conformance (pytest-a2a)")
    for spec in SPECS:
        kwargs: dict[str, Any] = {"dest": spec.name, "default": None, "help": spec.help}
        if spec.ini_type == "bool":
            kwargs["action"] = "store_true"
        elif spec.ini_type == "linelist":
            kwargs["action"] = "append"
        if spec.metavar:
            kwargs["metavar"] = spec.metavar
        if spec.choices:
            kwargs["metavar"] = "|".join(spec.choices)
        group.addoption(spec.flag, **kwargs)
        ini_default: Any = False if spec.ini_type == "bool" else [] if spec.ini_type == "linelist" \
            else ""
        parser.addini(spec.name, f"{spec.help} (ini twin of {spec.flag})",
                      type=spec.ini_type, default=ini_default)  # type: ignore[arg-type]
    parser.addini(REQUIREMENTS_INI, "extra requirement TOML files (pytest-a2a)",
                  type="paths", default=[])


def _raw(config: pytest.Config, spec: _Spec) -> tuple[Any, str | None]:
    """(value, where) — the command line wins over the ini file; where=None if not given."""
    cli = config.getoption(spec.name, default=None)
    if cli not in (None, False, []):
        return cli, "cli"
    ini = config.getini(spec.name)
    if ini not in ("", False, [], None):
        return ini, "ini"
    return None, None


def _choice(spec: _Spec, value: Any) -> str:
    text = str(value).strip()
    if text not in spec.choices:
        raise pytest.UsageError(
            f"{spec.flag} / ini {spec.name}: invalid value {text!r}; "
            f"valid choices: {', '.join(spec.choices)}"
        )
    return text


def parse_header(text: str) -> tuple[str, str]:
    name, sep, value = text.partition(":")
    name = name.strip()
    if not sep or not name or any(c.isspace() for c in name):
        raise pytest.UsageError(
            f"--a2a-header / ini a2a_header: invalid header {text!r}; expected 'Name: value'"
        )
    return name, value.strip()


def _timeout(value: Any) -> float:
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        seconds = -1.0
    if not seconds > 0 or seconds != seconds or seconds == float("inf"):
        raise pytest.UsageError(
            f"--a2a-timeout / ini a2a_timeout: invalid value {value!r}; "
            "expected a positive number of seconds, e.g. 10"
        )
    return seconds


def _max_event_bytes(value: Any) -> int:
    """``4194304``, ``512KiB``, ``16MiB``, ``1GiB`` (binary units; k/m/g alike)."""
    text = str(value).strip().lower().replace(" ", "")
    digits = text.rstrip("kmgib")
    unit = _SIZE_UNITS.get(text[len(digits):])
    low, high = MAX_EVENT_BYTES_RANGE
    if not digits.isdigit() or unit is None or not low <= int(digits) * unit <= high:
        raise pytest.UsageError(
            f"--a2a-max-event-bytes / ini a2a_max_event_bytes: invalid value {value!r}; expected "
            f"a size from {low} bytes to 1GiB: a number of bytes or a number with KiB, MiB or "
            "GiB, e.g. 4194304 or 16MiB"
        )
    return int(digits) * unit


def _url(value: str) -> str:
    text = value.strip()
    if not text.startswith(("http://", "https://")) or len(text) <= len("https://"):
        raise pytest.UsageError(
            f"--a2a-url / ini a2a_url: invalid URL {value!r}; expected http(s)://host:port[/path]"
        )
    return text


def _server_cmd(value: str) -> str:
    text = value.strip()
    try:
        words = shlex.split(text)
    except ValueError as exc:
        raise pytest.UsageError(f"--a2a-server-cmd: cannot parse {value!r}: {exc}") from None
    if not words or "{port}" not in text:
        raise pytest.UsageError(
            f"--a2a-server-cmd / ini a2a_server_cmd: {value!r} must be a command containing "
            "'{port}', e.g. \"python -m my_agent --port {port}\""
        )
    return text


def _record_cap(value: Any) -> int:
    text = str(value).strip()
    if not text.isdigit() or int(text) < 1024:
        raise pytest.UsageError(
            f"--a2a-record-cap / ini a2a_record_cap: invalid value {value!r}; expected a "
            "number of bytes, at least 1024"
        )
    return int(text)


def _replay_exclusive(values: dict[str, Any]) -> None:
    clash = [f"--{n.replace('_', '-')}" for n in ("a2a_url", "a2a_server_cmd", "a2a_record")
             if n in values]
    if "a2a_replay" in values and clash:
        raise pytest.UsageError(
            f"--a2a-replay judges recordings without a server; it excludes {', '.join(clash)}"
        )


def _path(config: pytest.Config, value: str) -> Path:
    path = Path(value).expanduser()
    return path if path.is_absolute() else config.invocation_params.dir / path


def read_options(config: pytest.Config) -> Options:
    """Validate every a2a option; raise ``pytest.UsageError`` on the first bad one."""
    values: dict[str, Any] = {}
    given: set[str] = set()
    target_on_cli = False
    for spec in SPECS:
        raw, where = _raw(config, spec)
        if where is None:
            continue
        given.add(spec.name)
        if spec.name in ("a2a_url", "a2a_server_cmd") and where == "cli":
            target_on_cli = True
        values[spec.name] = raw
    url = _url(values["a2a_url"]) if "a2a_url" in values else None
    cmd = _server_cmd(values["a2a_server_cmd"]) if "a2a_server_cmd" in values else None
    if url and cmd:
        raise pytest.UsageError(
            "--a2a-url and --a2a-server-cmd are exclusive: give the URL of a running server, "
            "or a command that starts one, not both"
        )
    _replay_exclusive(values)
    headers = tuple(parse_header(h) for h in values.get("a2a_header") or ())
    strict_raw = values.get("a2a_strict", False)
    req_files = tuple(Path(p) for p in config.getini(REQUIREMENTS_INI) or ())
    if req_files:
        given.add(REQUIREMENTS_INI)

    def opt_path(name: str) -> Path | None:
        return _path(config, str(values[name])) if name in values else None

    return Options(
        url=url,
        server_cmd=cmd,
        dialect=_choice(SPEC_BY_NAME["a2a_dialect"], values.get("a2a_dialect", "auto")),
        binding=_choice(SPEC_BY_NAME["a2a_binding"], values.get("a2a_binding", "auto")),
        timeout=_timeout(values["a2a_timeout"]) if "a2a_timeout" in values else DEFAULT_TIMEOUT,
        headers=headers,
        strict=bool(strict_raw),
        expectations=opt_path("a2a_expectations"),
        report_json=opt_path("a2a_report_json"),
        report_html=opt_path("a2a_report_html"),
        scripted=_choice(SPEC_BY_NAME["a2a_scripted"], values.get("a2a_scripted", "auto")),
        prompt=str(values.get("a2a_prompt", DEFAULT_PROMPT)),
        long_prompt=str(values["a2a_long_prompt"]) if values.get("a2a_long_prompt") else None,
        max_event_bytes=(_max_event_bytes(values["a2a_max_event_bytes"])
                         if "a2a_max_event_bytes" in values else DEFAULT_MAX_EVENT_BYTES),
        requirement_files=req_files,
        record=opt_path("a2a_record"),
        record_cap=(_record_cap(values["a2a_record_cap"]) if "a2a_record_cap" in values
                    else DEFAULT_RECORD_CAP),
        replay=opt_path("a2a_replay"),
        given=frozenset(given),
        target_on_cli=target_on_cli,
    )
