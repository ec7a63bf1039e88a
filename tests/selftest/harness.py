"""Run the packaged conformance suite as a user would, and read back its JSON report.

The self-test must observe the suite exactly as a user's CI does: a separate ``pytest``
process, the plugin loaded from its entry point, the target booted with ``--a2a-server-cmd``
(so the plugin knows the server's pid and memory scenarios run), outcomes read from the
documented JSON report rather than from pytest internals.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

#: Outcomes that mean "the requirement was violated" (a SHOULD failure is ``non-strict``).
VIOLATED = frozenset({"failed", "non-strict"})
#: Outcomes that mean the suite itself is broken, whatever the server does.
BROKEN = frozenset({"error"})
#: Budget for fault runs: small, so hanging faults fail fast, yet far above what the clean
#: reference server needs (it answers in milliseconds).
FAULT_TIMEOUT = 3.0
#: Wall-clock cap for one whole suite run (a hang here is a suite bug, reported as such).
RUN_CAP = 300.0


@dataclass
class SuiteRun:
    rows: list[dict[str, object]]
    returncode: int
    output: str
    by_requirement: dict[str, set[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for row in self.rows:
            self.by_requirement.setdefault(str(row["requirement"]), set()).add(str(row["outcome"]))

    @property
    def violated(self) -> set[str]:
        return {req for req, outs in self.by_requirement.items() if outs & VIOLATED}

    @property
    def broken(self) -> list[dict[str, object]]:
        return [row for row in self.rows if row["outcome"] in BROKEN]

    def explain(self, requirements: Iterable[str]) -> str:
        """The report rows of ``requirements``: outcome and message, for a failing self-test."""
        wanted = set(requirements)
        lines = []
        for row in self.rows:
            if row["requirement"] in wanted:
                message = str(row.get("message") or "").strip().splitlines()
                lines.append(
                    f"  {row.get('nodeid', row['requirement'])}: {row['outcome']}"
                    + (f" — {message[0][:300]}" if message else "")
                )
        return "\n".join(lines) or "  (no rows)"


def server_cmd(faults: Iterable[str] = (), variants: Iterable[str] = ()) -> str:
    parts = [sys.executable, "-m", "reference_server", "--port", "{port}"]
    for name in faults:
        parts += ["--fault", name]
    for name in variants:
        parts += ["--variant", name]
    return " ".join(shlex.quote(p) if p != "{port}" else p for p in parts)


def run_suite(
    tmp_path: Path,
    *,
    faults: Iterable[str] = (),
    variants: Iterable[str] = (),
    timeout: float = FAULT_TIMEOUT,
    extra: Iterable[str] = (),
) -> SuiteRun:
    report = tmp_path / "report.json"
    args = [
        sys.executable,
        "-m",
        "pytest",
        "--pyargs",
        "conformance_tests",
        "-p",
        "no:cacheprovider",
        "-q",
        "-rN",
        "--no-header",
        f"--a2a-server-cmd={server_cmd(faults, variants)}",
        f"--a2a-timeout={timeout}",
        f"--a2a-report-json={report}",
        *extra,
    ]
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("PYTEST_XDIST_WORKER", None)
    env.pop("PYTEST_ADDOPTS", None)
    proc = subprocess.run(
        args, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=RUN_CAP, check=False
    )
    output = proc.stdout + proc.stderr
    if not report.exists():
        raise AssertionError(
            f"the suite wrote no JSON report (exit {proc.returncode}):\n{output[-4000:]}"
        )
    doc = json.loads(report.read_text())
    return SuiteRun(rows=list(doc["rows"]), returncode=proc.returncode, output=output)
