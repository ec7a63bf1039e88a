"""Replay verdicts vs live verdicts: record live runs against the reference server (clean and
with stream-level faults), replay the recordings offline, and compare, per live test, the
outcome of the test's own requirement with the replay verdict of that requirement on the
exchanges the test recorded (fail if any recorded exchange fails it, pass if all judged pass).
Only requirements judged in both count (pass/fail; INFO, skipped and not-judged do not).

    python -m tests.recording.agreement [FAULT ...]     # prints the agreement figure
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FAMILIES = ("test_ordering.py", "test_framing.py", "test_closure.py", "test_artifacts.py",
            "test_errors.py")
#: stream-level fault switches (docs/architecture.md §3), each breaking what one stream shows
STREAM_FAULTS = (
    "final-before-artifact", "no-close-after-terminal", "rejected-not-final", "duplicate-final",
    "state-regression", "no-task-first", "final-flag-missing", "interrupted-final-false",
    "followup-no-task-first", "reply-stream-open", "message-event-in-task", "batched-events",
    "mismatched-ids", "rpc-id-mismatch", "wrong-content-type", "legacy-enums-1.0",
    "timestamp-not-utc", "append-unannounced", "chunk-after-last", "store-lags-stream",
    "artifact-mismatch", "exception-empty-200", "errors-as-500",
)
JUDGED = {"passed": "pass", "failed": "fail", "non-strict": "fail"}


def _pytest(args: list[str], probe: Path, timeout: float) -> None:
    env = {**os.environ, "A2A_PROBE_OUT": str(probe), "PYTHONPATH": str(ROOT)}
    subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q",
                    "-p", "tests.recording.outcome_probe", *args],
                   cwd=ROOT, env=env, timeout=timeout, capture_output=True, check=False)


def _rows(probe: Path) -> dict[str, dict[str, object]]:
    """nodeid -> row of its deciding phase (call, else setup)."""
    out: dict[str, dict[str, object]] = {}
    if not probe.exists():
        return out
    for line in probe.read_text().splitlines():
        row = json.loads(line)
        if row["nodeid"] not in out or row["when"] == "call":
            out[row["nodeid"]] = row
    return out


@dataclass
class Figure:
    compared: int = 0
    agreed: int = 0
    compared_fail: int = 0  # compared verdicts where live failed (the faults were seen)
    disagreements: list[str] = field(default_factory=list)
    live_judged: int = 0  # live verdicts whose requirement replay judged nowhere

    def add(self, other: Figure) -> None:
        self.compared += other.compared
        self.agreed += other.agreed
        self.compared_fail += other.compared_fail
        self.live_judged += other.live_judged
        self.disagreements += other.disagreements


def compare(live: dict[str, dict[str, object]], replay: dict[str, dict[str, object]],
            label: str) -> Figure:
    by_test: dict[tuple[object, object], list[str]] = defaultdict(list)
    for row in replay.values():
        verdict = JUDGED.get(str(row["outcome"]))
        if verdict is not None:
            by_test[(row.get("recorded_test"), row["requirement"])].append(verdict)
    fig = Figure()
    for nodeid, row in live.items():
        live_verdict = JUDGED.get(str(row["outcome"]))
        if live_verdict is None:
            continue
        fig.live_judged += 1
        verdicts = by_test.get((nodeid, row["requirement"]))
        if not verdicts:
            continue
        replay_verdict = "fail" if "fail" in verdicts else "pass"
        fig.compared += 1
        fig.compared_fail += live_verdict == "fail"
        if replay_verdict == live_verdict:
            fig.agreed += 1
        else:
            fig.disagreements.append(f"[{label}] {nodeid} ({row['requirement']}): live "
                                     f"{live_verdict}, replay {replay_verdict}")
    return fig


def run(fault: str | None, work: Path, timeout: float = 900.0) -> Figure:
    label = fault or "clean"
    rec, live_probe, replay_probe = work / label, work / f"{label}.live", work / f"{label}.rep"
    cmd = f"{sys.executable} -m reference_server --port {{port}}" + (
        f" --fault {fault}" if fault else "")
    _pytest([*(f"conformance_tests/{f}" for f in FAMILIES), "--a2a-server-cmd", cmd,
             "--a2a-record", str(rec)], live_probe, timeout)
    _pytest(["--a2a-replay", str(rec)], replay_probe, timeout)
    return compare(_rows(live_probe), _rows(replay_probe), label)


def main(faults: list[str]) -> Figure:
    total = Figure()
    with tempfile.TemporaryDirectory() as tmp:
        for fault in faults:
            fig = run(None if fault == "clean" else fault, Path(tmp))
            total.add(fig)
            print(f"{fault}: {fig.agreed}/{fig.compared} agree, {fig.compared_fail} of them "
                  f"live failures ({fig.live_judged} live verdicts)", flush=True)
            for d in fig.disagreements:
                print("   ", d, flush=True)
    print(f"TOTAL: {total.agreed}/{total.compared} verdicts agree "
          f"({total.compared_fail} live failures compared)")
    return total


if __name__ == "__main__":  # pragma: no cover - maintenance tool
    main(sys.argv[1:] or ["clean", *STREAM_FAULTS])
