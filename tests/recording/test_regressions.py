"""The executable regression suite: every recording in fixtures/regressions is judged offline
and must fail exactly the requirements its entry in regressions.toml lists (a correct stream
lists none, or only its implementation's known deviations), and pass the ones it lists."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

from pytest_a2a.budget import Budget
from pytest_a2a.judge.requirements import load as load_registry
from pytest_a2a.recording.judges import cases
from pytest_a2a.recording.load import load_file
from pytest_a2a.recording.replay import replay_stream

ROOT = Path(__file__).resolve().parents[2]
FOLDER = ROOT / "fixtures" / "regressions"
MANIFEST = tomllib.loads((FOLDER / "regressions.toml").read_text(encoding="utf-8"))
ENTRIES: list[dict[str, Any]] = MANIFEST["regression"]
SOURCES = {"captured", "recorded", "reconstructed"}


def verdicts(path: Path) -> dict[str, set[str]]:
    """requirement id -> outcomes its judges gave on the recording's streaming exchanges
    (INFO requirements never fail, as in a run)."""
    registry = load_registry()
    rec = load_file(path)
    out: dict[str, set[str]] = {}
    for ex in rec.exchanges:
        if not ex.streaming:
            continue
        for case in cases(replay_stream(rec, ex, Budget(10.0)), registry):
            assert case.judgement is not None, f"{case.requirement.id} raised {case.error!r}"
            outcome: str = case.judgement.outcome
            if case.requirement.level == "INFO" and outcome == "fail":
                outcome = "info"
            out.setdefault(case.requirement.id, set()).add(outcome)
    return out


def failing(path: Path) -> set[str]:
    return {rid for rid, outcomes in verdicts(path).items() if "fail" in outcomes}


@pytest.mark.parametrize("entry", ENTRIES, ids=[e["recording"] for e in ENTRIES])
def test_regression(entry: dict[str, Any]) -> None:
    assert entry["source"] in SOURCES and entry["bug"].strip()
    got = verdicts(FOLDER / entry["recording"])
    fails = {rid for rid, outcomes in got.items() if "fail" in outcomes}
    assert fails == set(entry["fails"]), (
        f"{entry['recording']}: fails {sorted(fails)}, expected {sorted(entry['fails'])}")
    for rid in entry.get("passes", []):
        assert got.get(rid) == {"pass"}, f"{rid} must be judged and pass: {got.get(rid)}"


def test_every_recording_has_an_entry() -> None:
    files = {p.name for p in FOLDER.glob("*.a2a.jsonl")}
    listed = [e["recording"] for e in ENTRIES]
    assert len(listed) == len(set(listed))
    assert files == set(listed)


def test_a_regression_replays_as_a_run(pytester: pytest.Pytester) -> None:
    """Through pytest: the bug fails the run; listed in an expectation file it is an
    expected failure and the run passes."""
    rec = FOLDER / "bug09-final-before-artifact.a2a.jsonl"
    failed = pytester.runpytest("-p", "no:cacheprovider", "-v", f"--a2a-replay={rec}")
    assert failed.ret == pytest.ExitCode.TESTS_FAILED
    failed.stdout.fnmatch_lines(["*-ordering.artifacts-before-terminal] FAILED*"])
    known = pytester.path / "known.toml"
    known.write_text("".join(
        f'[[deviation]]\nrequirement = "{rid}"\nreason = "bug #9"\n'
        'cases = ["bug09-final-before-artifact#1"]\n'
        for rid in ("ordering.artifacts-before-terminal", "ordering.script-order")))
    expected = pytester.runpytest("-p", "no:cacheprovider", "-v", f"--a2a-replay={rec}",
                                  f"--a2a-expectations={known}")
    assert expected.ret == pytest.ExitCode.OK
    expected.stdout.fnmatch_lines(["*-ordering.artifacts-before-terminal] EXPECTED-FAILURE*"])
