"""The whole packaged suite against hostile targets: it ends, stays bounded, and never lies.

For each mode of :mod:`tests.hostile.server` the suite runs once, in its own process, with a
short budget (:data:`tests.hostile.runner.BUDGET`); the checks below read that run. The run is
shared by the checks of one mode through a file lock in the session's shared temp directory, so
under ``pytest -n 4`` each mode runs once, on whichever worker gets to it first.

None of these servers ever sends a terminal status (or, in the POST modes, any answer at all),
so a requirement whose verdict needs one must not pass: :data:`TERMINAL_NEEDED` lists them.
The set is derived from the requirement texts (pytest_a2a/requirements/*.toml): every
requirement whose text demands a terminal state, a completed or canceled task, a task that
"ends"/"completes", or the complete scripted output (which only a finished task has delivered);
``test_terminal_set_covers_the_requirement_texts`` re-derives the candidates by pattern and makes
every new requirement land in :data:`TERMINAL_NEEDED` or, with a reason, :data:`NOT_TERMINAL`.

Known lies (issue 8 part 1, not fixed yet) are listed in :data:`KNOWN_PASS_WITHOUT_EVIDENCE`
and :data:`KNOWN_SUITE_BUGS` and marked ``xfail(strict=True)``: fixing one makes its entry fail
as XPASS, so the table must shrink with every fix.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import time
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest

from pytest_a2a.judge import requirements as registry
from tests.hostile.runner import BUDGET, RUN_CAP, SERIAL_MODES, SuiteRun, run_suite
from tests.hostile.server import CARD_MODES, MODES, POST_MODES, STREAM_MODES

pytestmark = pytest.mark.hostile

RSS_LIMIT_KIB = 256 * 1024
MEMORY_MODES = tuple(sorted(SERIAL_MODES))  # measured in one process (runner.SERIAL_MODES)
#: the card is fine in every non-card mode: these may (and should) pass there
CARD_REQUIREMENTS = frozenset({"card.well-known", "card.valid", "card.streaming-declared"})
#: outcomes that are an `error` row but not our bug: the target, not the suite, is unusable
_TARGET_ERROR = re.compile(r"target unresponsive", re.IGNORECASE)

#: requirement -> the words of its text that need the task to end (terminal status)
TERMINAL_NEEDED: dict[str, str] = {
    "artifacts.nothing-after-last-chunk": "no update follows lastChunk: judged on the whole stream",
    "artifacts.reassembly-matches-get": "equals the artifact GetTask returns afterwards",
    "backpressure.no-global-stall": "another task's stream still completes on time",
    "backpressure.slow-reader-complete": "every burst chunk ... (the whole artifact)",
    "cancel.prompt": "answers ... with the Task in state canceled",
    "cancel.streams-notified": "receives the canceled status",
    "cancel.get-agrees": "GetTask reports the terminal state cancel reported",
    "closure.closes-after-terminal": "closes promptly after the terminal status",
    "closure.final-flag": "the terminal status update carries final: true",
    "closure.get-task-agrees": "After the stream ended with a terminal status",
    "errors.exception-ends-stream": "ends the stream with a failed status or a JSON-RPC error",
    "errors.exception-task-terminal": "GetTask reports a terminal state",
    "errors.not-cancelable": "Canceling a completed task",
    "load.concurrent-complete": "every stream receives ... its terminal status",
    "ordering.script-order": "the terminal status last",
    "ordering.artifacts-before-terminal": "arrives before its terminal status update",
    "ordering.order-under-load": "before its terminal status",
    "ordering.single-terminal": "exactly one terminal status update",
    "ordering.state-machine": "-> one terminal state, nothing but that state after it",
    "reattach.no-gaps": "through the terminal status",
    "reattach.terminal-task": "re-attaching to a completed task",
    "reattach.race": "ends ... with the terminal state or an error answer",
    "reattach.subscribers-identical": "same terminal state",
    "reattach.close-one-keeps-others": "still receive every chunk and the terminal status",
    "reattach.disconnect-keeps-task": "GetTask reaches a terminal, non-canceled state",
    "reattach.disconnect-keeps-task-v03": "GetTask reaches a terminal, non-canceled state",
}
#: requirements whose text matches the terminal pattern, yet are not in TERMINAL_NEEDED
NOT_TERMINAL: dict[str, str] = {
    "load.latency": "INFO: only records timings, never passes or fails",
    "reattach.terminal-task-v03": "INFO: records what 0.3 answers, never passes or fails",
    "closure.interrupted": "INFO: records whether the stream closes after input-required",
    "closure.final-on-interrupted": "about input-required, not a terminal state",
    "reattach.interrupted-snapshot": "about input-required, not a terminal state",
    "framing.schema-valid": "judges each event seen ('one complete JSON document')",
}
_TERMINAL_WORDS = re.compile(r"terminal|complete[sd]?\b|canceled|final", re.IGNORECASE)

#: (mode, requirement) -> why the suite passes it today without evidence (issue 8 part 1)
KNOWN_PASS_WITHOUT_EVIDENCE: dict[tuple[str, str], str] = {}
#: (check, mode) -> a suite bug a mode shows today (issue 8 part 1/2)
KNOWN_SUITE_BUGS: dict[tuple[str, str], str] = {}


def forbidden(mode: str) -> list[str]:
    """Requirements that must not pass against ``mode``."""
    if mode in POST_MODES:  # every interface request is broken: only the card can be judged
        return sorted(set(registry.load()) - CARD_REQUIREMENTS)
    if mode in STREAM_MODES:
        return sorted(TERMINAL_NEEDED)
    return []


def _known(check: str, mode: str) -> list[Any]:
    reason = KNOWN_SUITE_BUGS.get((check, mode))
    return [pytest.mark.xfail(strict=True, reason=reason)] if reason else []


def _modes(check: str, modes: tuple[str, ...] | list[str] = MODES) -> list[Any]:
    return [pytest.param(m, id=m, marks=_known(check, m)) for m in modes]


def _evidence_cases() -> list[Any]:
    out = []
    for mode in MODES:
        for rid in forbidden(mode):
            reason = KNOWN_PASS_WITHOUT_EVIDENCE.get((mode, rid))
            marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
            out.append(pytest.param(mode, rid, id=f"{mode}-{rid}", marks=marks))
    return out


# -- one suite run per mode, shared by the workers -------------------------------------------


@pytest.fixture(scope="session")
def hostile_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory all xdist workers of this session share (the basetemp itself without xdist)."""
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent
    path = base / "hostile-runs"
    path.mkdir(exist_ok=True)
    return path


@pytest.fixture(scope="session")
def suite_runs(hostile_dir: Path) -> Iterator[Any]:
    cache: dict[str, SuiteRun] = {}

    def get(mode: str) -> SuiteRun:
        if mode not in cache:
            cache[mode] = _shared_run(hostile_dir, mode)
        return cache[mode]

    yield get


def _shared_run(root: Path, mode: str) -> SuiteRun:
    """The run of ``mode``: made by the first worker to lock it, read by the others."""
    done = root / f"{mode}.json"
    deadline = time.monotonic() + 2 * RUN_CAP
    with (root / f"{mode}.lock").open("w") as lock:
        while True:  # a non-blocking lock in a loop: the wait has a deadline
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{mode}: another worker's run did not finish") from None
                time.sleep(0.2)
        try:
            if done.exists():
                return SuiteRun(**json.loads(done.read_text()))
            work = root / mode
            work.mkdir(exist_ok=True)
            run = run_suite(mode, work)
            done.write_text(json.dumps(asdict(run)))
            print(f"\n[hostile] {run.summary()}")
            return run
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _rows_text(rows: list[dict[str, Any]]) -> str:
    return "\n".join(f"  {r['nodeid']}: {r['outcome']} {float(r.get('duration') or 0):.2f}s — "
                     f"{str(r.get('message') or '').strip()[:200]}" for r in rows)


# -- the checks ------------------------------------------------------------------------------


def test_terminal_set_covers_the_requirement_texts() -> None:
    known = registry.load()
    named = set(TERMINAL_NEEDED) | set(NOT_TERMINAL)
    assert not named - set(known), f"unknown requirements: {sorted(named - set(known))}"
    assert not set(TERMINAL_NEEDED) & set(NOT_TERMINAL)
    unsorted = sorted(rid for rid in known if _TERMINAL_WORDS.search(known[rid].text)
                      and rid not in named)
    assert not unsorted, (f"requirements whose text mentions a terminal state: put each in "
                          f"TERMINAL_NEEDED or NOT_TERMINAL: {unsorted}")
    assert not {rid for rid, _ in KNOWN_PASS_WITHOUT_EVIDENCE} - set(known)


@pytest.mark.parametrize("mode", _modes("ends"))
def test_suite_ends(suite_runs: Any, mode: str) -> None:
    run = suite_runs(mode)
    assert not run.timed_out, f"{mode}: the suite still ran after {RUN_CAP}s:\n{run.output[-3000:]}"
    if mode not in CARD_MODES:
        assert run.report and run.rows, f"{mode}: no JSON report rows:\n{run.output[-3000:]}"


@pytest.mark.parametrize("mode", _modes("durations", [m for m in MODES if m not in CARD_MODES]))
def test_no_test_outlives_three_budgets(suite_runs: Any, mode: str) -> None:
    run = suite_runs(mode)
    slow = [r for r in run.rows if float(r.get("duration") or 0.0) > 3 * BUDGET]
    assert not slow, f"{mode}: tests longer than 3 x {BUDGET}s:\n{_rows_text(slow)}"


@pytest.mark.parametrize("mode", _modes("exit-code"))
def test_exit_code_and_card_error(suite_runs: Any, mode: str) -> None:
    run = suite_runs(mode)
    if mode not in CARD_MODES:
        assert run.returncode == 1, f"{mode}: exit {run.returncode}:\n{run.output[-3000:]}"
        return
    # An unusable target ends the run at once with exit 4 (docs/usage.md) and says why.
    assert run.returncode == int(pytest.ExitCode.USAGE_ERROR), run.output[-3000:]
    assert "target unusable" in run.output and "agent card" in run.output, run.output[-3000:]
    assert "/.well-known/agent-card.json" in run.output, run.output[-3000:]
    what = "HTTP 302" if mode == "card-redirect" else "not JSON"
    assert what in run.output, run.output[-3000:]


@pytest.mark.parametrize("mode", _modes("no-own-error", [m for m in MODES if m not in CARD_MODES]))
def test_no_error_from_our_code(suite_runs: Any, mode: str) -> None:
    run = suite_runs(mode)
    ours = [r for r in run.rows if r["outcome"] == "error"
            and not _TARGET_ERROR.search(str(r.get("message") or ""))]
    assert not ours, f"{mode}: `error` outcomes (suite bugs):\n{_rows_text(ours)}"


@pytest.mark.parametrize(("mode", "requirement"), _evidence_cases())
def test_no_pass_without_evidence(suite_runs: Any, mode: str, requirement: str) -> None:
    run = suite_runs(mode)
    passed = [r for r in run.rows if r["requirement"] == requirement and r["outcome"] == "passed"]
    assert not passed, (f"{mode}: {requirement} passed although the server never "
                        f"{'answered' if mode in POST_MODES else 'sent a terminal status'}:\n"
                        f"{_rows_text(passed)}")


@pytest.mark.parametrize("mode", _modes("memory", MEMORY_MODES))
def test_peak_memory_bounded(suite_runs: Any, mode: str) -> None:
    run = suite_runs(mode)
    assert run.maxrss_kib <= RSS_LIMIT_KIB, (
        f"{mode}: the pytest process peaked at {run.maxrss_kib / 1024:.0f} MiB "
        f"(limit {RSS_LIMIT_KIB // 1024} MiB)")
    oversize = [r for r in run.rows if "--a2a-max-event-bytes" in str(r.get("message") or "")]
    if mode == "huge-event":  # the user is told the limit and how to change it
        assert oversize, f"{mode}: no failure names the limit:\n{_rows_text(run.rows[:20])}"
