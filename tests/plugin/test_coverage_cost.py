"""The summary's coverage and cost lines, in the terminal and in the JSON report."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path


def _suite(tmp_path: Path, *args: str) -> tuple[str, dict[str, object]]:
    report = tmp_path / "r.json"
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "--pyargs", "conformance_tests", "-q",
         "-p", "no:cacheprovider", "-k", "card or test_task_first", f"--a2a-report-json={report}",
         *args],
        capture_output=True, text=True, timeout=300, cwd=tmp_path, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    return proc.stdout, json.loads(report.read_text())


def test_black_box_run_names_what_needs_the_conformance_agent(tmp_path: Path) -> None:
    out, doc = _suite(tmp_path, "--a2a-scripted=no")
    line = next(ln for ln in out.splitlines() if ln.startswith("judged "))
    assert "requirements black-box" in line and "need the conformance agent" in line
    cov = doc["coverage"]
    assert isinstance(cov, dict) and cov["line"] == line
    assert 0 < cov["judged"] < cov["applicable"]
    assert cov["needs_agent"] and all(cov["needs_agent"].values())  # each with its reason
    assert set(cov["by_dialect"]) == {"v0.3-jsonrpc", "v1.0-jsonrpc", "v1.0-rest"}


def test_cost_line_counts_the_events_judged(tmp_path: Path) -> None:
    out, doc = _suite(tmp_path)
    last = [ln for ln in out.splitlines() if ln.startswith("cost: ")]
    assert last, out[-2000:]
    cost = doc["cost"]
    assert isinstance(cost, dict) and cost["events_judged"] > 0 and cost["wall_s"] > 0
    assert f"{cost['events_judged']:,} events judged" in last[0]
