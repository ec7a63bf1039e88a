"""Run the packaged suite against one hostile mode, as a user's CI would, and measure it.

The suite runs in its own ``pytest`` process (``--pyargs conformance_tests --a2a-url=...``,
JSON report); the hostile server in another. The suite's peak RSS is that one child's
``ru_maxrss`` from ``os.wait4`` (not RUSAGE_CHILDREN, which mixes in every other child). A hung
suite is killed at :data:`RUN_CAP` and reported as such.

``python -m tests.hostile.runner [MODE ...]`` prints the per-mode measurements.
"""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from tests.hostile.server import MODES

ROOT = Path(__file__).resolve().parents[2]
#: the suite's one budget (--a2a-timeout): short, so a hang shows fast
BUDGET = 2.0
#: Modes whose peak memory is measured run the suite in one process; the others spread it over
#: xdist workers: their tests mostly wait out budgets, so workers cost little CPU and a mode
#: takes a fraction of its serial minutes (the per-test 3 x budget check is unchanged).
SERIAL_MODES = frozenset({"huge-event", "endless-line"})
WORKERS = "3"
#: wall-clock cap of one whole suite run; reaching it is a finding (the suite hung)
RUN_CAP = 900.0
_PORT_WAIT = 20.0


@dataclass
class SuiteRun:
    mode: str
    returncode: int | None
    wall: float
    maxrss_kib: int
    timed_out: bool
    output: str
    rows: list[dict[str, Any]] = field(default_factory=list)
    report: bool = False

    @property
    def outcomes(self) -> Counter[str]:
        return Counter(str(r["outcome"]) for r in self.rows)

    @property
    def worst(self) -> tuple[float, str]:
        if not self.rows:
            return 0.0, "-"
        row = max(self.rows, key=lambda r: float(r.get("duration") or 0.0))
        return float(row.get("duration") or 0.0), str(row.get("nodeid"))

    def summary(self) -> str:
        dur, node = self.worst
        counts = ", ".join(f"{k} {v}" for k, v in sorted(self.outcomes.items()))
        return (f"{self.mode}: exit {self.returncode}, wall {self.wall:.1f}s, worst test "
                f"{dur:.2f}s ({node}), peak RSS {self.maxrss_kib / 1024:.0f} MiB; "
                f"{counts or 'no rows'}")


class HostileProcess:
    """``python -m tests.hostile.server --mode MODE`` on a free port; killed on exit."""

    def __init__(self, mode: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.hostile.server", "--mode", mode, "--port", "0",
             "--exit-with-stdin"],
            cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        assert self.proc.stdout is not None
        ready, _, _ = select.select([self.proc.stdout], [], [], _PORT_WAIT)
        line = self.proc.stdout.readline().decode() if ready else ""
        if not line.startswith("PORT "):
            self.close()
            raise RuntimeError(f"hostile server ({mode}) did not start: {line!r}")
        self.url = f"http://127.0.0.1:{int(line.split()[1])}"

    def close(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)
        for pipe in (self.proc.stdin, self.proc.stdout):
            if pipe is not None:
                pipe.close()

    def __enter__(self) -> HostileProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _wait_capped(proc: subprocess.Popen[bytes], cap: float) -> tuple[int, int, bool]:
    """(exit code, the child's own peak RSS in KiB, killed at the cap)."""
    killed = threading.Event()

    def kill() -> None:
        killed.set()
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    timer = threading.Timer(cap, kill)
    timer.start()
    try:
        _, status, usage = os.wait4(proc.pid, 0)
    finally:
        timer.cancel()
    proc.returncode = os.waitstatus_to_exitcode(status)
    return proc.returncode, usage.ru_maxrss, killed.is_set()


def run_suite(mode: str, workdir: Path, budget: float = BUDGET) -> SuiteRun:
    report = workdir / "report.json"
    log = workdir / "output.txt"
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    for name in ("PYTEST_XDIST_WORKER", "PYTEST_XDIST_TESTRUNUID", "PYTEST_ADDOPTS",
                 "PYTEST_CURRENT_TEST"):
        env.pop(name, None)
    with HostileProcess(mode) as server, log.open("wb") as out:
        args = [sys.executable, "-m", "pytest", "--pyargs", "conformance_tests",
                f"--a2a-url={server.url}", f"--a2a-timeout={budget}",
                f"--a2a-report-json={report}", "-p", "no:cacheprovider", "-q", "-rN",
                "--no-header"]
        if mode not in SERIAL_MODES:
            args += ["-n", WORKERS]
        started = time.monotonic()
        proc = subprocess.Popen(args, cwd=workdir, env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
        code, rss, killed = _wait_capped(proc, RUN_CAP)
        wall = time.monotonic() - started
    output = log.read_text(errors="replace")
    run = SuiteRun(mode, code, wall, rss, killed, output[-20_000:])
    if report.exists():
        run.report = True
        run.rows = list(json.loads(report.read_text())["rows"])
    return run


def main(argv: list[str]) -> None:
    for mode in argv or MODES:
        with tempfile.TemporaryDirectory() as tmp:
            run = run_suite(mode, Path(tmp))
        print(run.summary(), flush=True)
        print("  passed: " + ", ".join(sorted({str(r["requirement"]) for r in run.rows
                                                if r["outcome"] == "passed"})), flush=True)
        dump = Path(tempfile.gettempdir()) / f"hostile-{mode}.json"
        dump.write_text(json.dumps(asdict(run)))


if __name__ == "__main__":
    main(sys.argv[1:])
