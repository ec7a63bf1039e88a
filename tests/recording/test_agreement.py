"""Done-when of recordings: replay verdicts equal live verdicts. Live runs of the stream-level
families against the reference server (clean and with a few stream-level faults) are recorded,
replayed offline, and every requirement judged in both must have the same outcome
(tests/recording/agreement.py; run it as a module for every stream-level fault)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.recording.agreement import run


@pytest.mark.parametrize("fault", [None, "no-task-first", "no-close-after-terminal"])
def test_replay_agrees_with_live(tmp_path: Path, fault: str | None) -> None:
    fig = run(fault, tmp_path)
    assert fig.compared >= 100, f"only {fig.compared} verdicts compared ({fig.live_judged} live)"
    assert not fig.disagreements, "\n".join(fig.disagreements)
