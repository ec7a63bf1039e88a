"""Servers for the benchmarks: booted the way pytest-a2a boots them (own process group, port 0,
URL read from their ``listening on URL`` line, killed with the benchmark even on SIGKILL).

``A2A_BENCH_REFERENCE=CMD`` replaces the reference server's command in every benchmark (to
compare another checkout's server, before/after a change): CMD must announce its URL for
``--port 0`` as ``python -m reference_server --port 0`` does."""

from __future__ import annotations

import os
import shlex
import sys
from pathlib import Path

from pytest_a2a.run import process as _process

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = shlex.split(os.environ.get("A2A_BENCH_REFERENCE", "")) or [
    sys.executable, "-m", "reference_server", "--port", "0"]
A2A_SDK = [sys.executable, "-m", "pytest_a2a.adapters.a2a_sdk", "--port", "0"]


def boot(argv: list[str], name: str, deadline_s: float = 60.0) -> _process.ServerProcess:
    """Start ``argv`` (which must print ``listening on URL``) and wait for its agent card."""
    env = {**os.environ,
           "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    return _process.start(" ".join(argv[1:]), deadline_s, argv=argv, env=env, label=name)


def rss_mib(pid: int) -> float:
    return (_process.rss_bytes(pid) or 0) / 2**20
