"""One stall is one finding: against a server that freezes for 5 s after a slow reader's burst
(fault ``freeze-after-burst``, like a real server's event loop blocked for ~20 s), only the
stress requirement fails, in a serial run and under xdist, and the report records how long the
target was unresponsive and after which test.

Without the health probe the scenarios after the freeze would meet a dead server (budget 3 s:
every call times out in 1.5 s) and fail requirements the server meets.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.selftest.harness import run_suite

STALL = "backpressure.no-global-stall"
FREEZE_S = 5.0  # reference_server.freeze.FREEZE_SECONDS


@pytest.mark.parametrize("mode", ["serial", "xdist"])
def test_freeze_is_one_finding_and_the_silence_is_recorded(tmp_path: Path, mode: str) -> None:
    extra = ["-n", "2"] if mode == "xdist" else []
    run = run_suite(tmp_path, faults=["freeze-after-burst"], extra=extra)
    assert not run.broken, "scenarios errored:\n" + run.output[-6000:]
    assert run.violated == {STALL}, (
        f"failing requirements {sorted(run.violated)}; only {STALL} owns the freeze\n"
        + run.explain(run.violated))
    silences = [(row, obs["target_unresponsive_after_s"]) for row in run.rows
                if isinstance(obs := row.get("observations"), dict)
                and "target_unresponsive_after_s" in obs]
    assert len(silences) == 1, run.output[-6000:]
    row, seconds = silences[0]
    assert isinstance(seconds, float)
    # the freeze began during that test; the probe before the next one waited for its end
    assert 0 < seconds < FREEZE_S, seconds
    assert row["requirement"] == STALL, row
    assert f"target unresponsive for {seconds}s after {row['nodeid']}" in run.output
    print(f"\n{mode}: target unresponsive for {seconds}s after {row['nodeid']}")
