"""The black-box self-test: every scenario a user without the script agent gets
(conformance_tests/test_agent_*.py) passes on the reference server's plain-text answer and
fails under exactly the fault switches that own it (owners_blackbox.py).

Runs the packaged suite as a user would with ``--a2a-scripted=no`` and both prompts, limited
with ``-k`` to the black-box modules: one run for the clean server (every dialect), one per
owning fault (the two JSON-RPC dialects: every owned requirement applies to one of them).
Each run boots its own server on a free port, so the tests are xdist-safe.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import conformance_tests
import reference_server
from pytest_a2a.judge import requirements as registry
from pytest_a2a.judge.coverage import coverage
from pytest_a2a.judge.rows import ResultRow
from tests.selftest import owners_blackbox
from tests.selftest.harness import SuiteRun, run_suite

#: what a user would pass: ~2 s of streamed answer from the reference server's agent
LONG = "Write a 400-word story about rivers"
#: the fault runs' long prompt: ~1 s is long enough to re-attach and cancel mid-answer
FAULT_LONG = "Write a 200-word story about rivers"
#: load-drops-events skips events past a stream's 32nd: it needs answers longer than that
LONG_FOR = {"load-drops-events": LONG}
#: idle (T/2 = 3 s) outlasts the answer, so a server that holds every event until the task
#: ends (batched-events) is judged as such, not reported as stalled
TIMEOUT = 6.0
SELECT = ["-k", "test_agent_", "--a2a-scripted=no"]


def _blackbox_requirements() -> dict[str, set[str]]:
    """requirement id → black-box test names, read from the modules' markers (AST)."""
    found: dict[str, set[str]] = {}
    folder = Path(conformance_tests.__file__).parent
    for path in sorted(folder.glob("test_agent_*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.AsyncFunctionDef | ast.FunctionDef):
                continue
            for deco in node.decorator_list:
                if (isinstance(deco, ast.Call) and isinstance(deco.func, ast.Attribute)
                        and deco.func.attr == "a2a_requirement"
                        and isinstance(deco.args[0], ast.Constant)):
                    found.setdefault(str(deco.args[0].value), set()).add(node.name)
    return found


BLACKBOX = _blackbox_requirements()
OWNERS = owners_blackbox.OWNERS


def _run(tmp_path: Path, faults: list[str], extra: list[str]) -> SuiteRun:
    run = run_suite(tmp_path, faults=faults, timeout=TIMEOUT, extra=SELECT + extra)
    assert not run.broken, "black-box scenarios errored (a suite bug):\n" + run.output[-6000:]
    return run


def test_table_is_sound() -> None:
    """Faults exist; owned ids are black-box requirements; every pair is owned by a scripted
    scenario too (merging this table into test_faults adds nothing it lacks); every judging
    black-box requirement is owned by a fault or named as unproven, with the reason."""
    known = registry.load()
    assert set(OWNERS) <= set(reference_server.FAULTS)
    owned = set().union(*OWNERS.values())
    assert owned <= set(BLACKBOX), sorted(owned - set(BLACKBOX))
    others = _scripted_tables()
    stray = {f: sorted(r - others.get(f, set())) for f, r in OWNERS.items()
             if r - others.get(f, set())}
    assert not stray, f"black-box owners no scripted table has: {stray}"
    judging = {rid for rid in BLACKBOX if known[rid].level != "INFO"}
    unowned = judging - owned - set(owners_blackbox.UNPROVEN)
    assert not unowned, f"black-box requirements no fault proves: {sorted(unowned)}"


def _scripted_tables() -> dict[str, set[str]]:
    import importlib
    import pkgutil

    from tests import selftest

    merged: dict[str, set[str]] = {}
    for info in pkgutil.iter_modules(selftest.__path__):
        if info.name.startswith("owners_") and info.name != "owners_blackbox":
            module = importlib.import_module(f"tests.selftest.{info.name}")
            for fault, reqs in module.OWNERS.items():
                merged.setdefault(fault, set()).update(reqs)
    return merged


def test_clean_server_passes_blackbox(tmp_path: Path) -> None:
    """Every black-box scenario judges the clean server, and passes: nothing unobservable."""
    run = _run(tmp_path, [], [f"--a2a-long-prompt={LONG}"])
    assert not run.violated, "clean reference server fails:\n" + run.explain(run.violated)
    assert run.returncode == 0, run.output[-6000:]
    unjudged = sorted({f"{r['nodeid']}: {r['outcome']} {str(r.get('message'))[:120]}"
                       for r in run.rows if r["outcome"] not in ("passed", "info")})
    assert not unjudged, "black-box scenarios not judged on the clean server:\n" + "\n".join(
        unjudged)
    assert set(BLACKBOX) <= set(run.by_requirement), sorted(set(BLACKBOX)
                                                            - set(run.by_requirement))
    rows = [ResultRow(nodeid=str(r["nodeid"]), outcome=r["outcome"],  # type: ignore[arg-type]
                      requirement=str(r["requirement"]), dialect=str(r["dialect"]),
                      message=str(r.get("message") or "")) for r in run.rows]
    assert len(coverage(rows, registry.load()).judged) == len(BLACKBOX)
    # the sessions acting on a running task ran side by side (agent_sessions: a batch)
    sessions = _sessions(run)
    assert sessions and all(s.startswith("run together") for s in sessions.values()), sessions


def _sessions(run: SuiteRun) -> dict[str, str]:
    """test → how the session it judged ran (agent_sessions records it)."""
    return {str(r["nodeid"]): str(r["observations"]["session"]) for r in run.rows
            if "session" in (r.get("observations") or {})}


def test_agent_that_answers_in_turn_gets_the_same_verdicts(tmp_path: Path) -> None:
    """An agent that runs one task at a time (variant answers-in-turn, as fasta2a) is seen
    at the batch's first stage: every session then runs alone, and the verdicts are the
    clean server's (load is left out: six answers in turn outlast the idle limit)."""
    run = run_suite(tmp_path, variants=["answers-in-turn"], timeout=TIMEOUT, extra=[
        "-k", "test_agent_ and not test_agent_load", "--a2a-scripted=no",
        "--a2a-dialect=1.0", "--a2a-binding=jsonrpc", f"--a2a-long-prompt={FAULT_LONG}"])
    assert not run.broken, run.output[-6000:]
    assert not run.violated, "answers-in-turn fails:\n" + run.explain(run.violated)
    unjudged = sorted(f"{r['nodeid']}: {r['outcome']} {str(r.get('message'))[:120]}"
                      for r in run.rows if r["outcome"] not in ("passed", "info")
                      and "[no-dialect" not in str(r["nodeid"]))
    assert not unjudged, "\n".join(unjudged)
    sessions = _sessions(run)
    assert len(sessions) >= 8 and all(
        s.startswith("alone; the sessions did not run side by side") for s in sessions.values()
    ), sessions


def test_without_long_prompt_says_so(tmp_path: Path) -> None:
    """A --a2a-url/--a2a-server-cmd target has no default long prompt: the scenarios that
    need one are skipped naming the option; the others are judged on the short prompt."""
    run = _run(tmp_path, [], ["--a2a-dialect=1.0", "--a2a-binding=jsonrpc"])
    wrong = []
    for row in run.rows:
        nodeid = str(row["nodeid"])
        if "[no-dialect" in nodeid:  # a 0.3 requirement in this 1.0 run
            continue
        name = nodeid.split("::")[-1].split("[")[0]
        uses_long = "-long]" in nodeid or name in LONG_ONLY or (
            "test_agent_stream" not in nodeid and name not in PROMPT_ONLY)
        skipped = row["outcome"] == "skipped" and str(row.get("message", "")).startswith(
            "needs --a2a-long-prompt")
        if uses_long != skipped or (not uses_long and row["outcome"] not in ("passed", "info")):
            wrong.append(f"{nodeid}: {row['outcome']} {str(row.get('message'))[:100]}")
    assert not wrong, "\n".join(wrong)


#: scenarios judged on the long prompt's answer alone, and the ones on the short one alone
LONG_ONLY = {"test_agent_incremental_delivery", "test_agent_incremental_delivery_v03"}
PROMPT_ONLY = {"test_agent_terminal_task", "test_agent_terminal_task_v03",
               "test_agent_not_cancelable"}


@pytest.mark.parametrize("fault", sorted(OWNERS))
def test_fault_fails_exactly_its_blackbox_owners(tmp_path: Path, fault: str) -> None:
    long = LONG_FOR.get(fault, FAULT_LONG)
    run = _run(tmp_path, [fault], [f"--a2a-long-prompt={long}", "--a2a-binding=jsonrpc"])
    expected = OWNERS[fault]
    missed, collateral = expected - run.violated, run.violated - expected
    assert not missed and not collateral, (
        f"fault {fault!r}: {reference_server.FAULTS[fault]}\n"
        f"owned but not failing: {sorted(missed)}\n" + run.explain(missed)
        + f"\nfailing but not owned: {sorted(collateral)}\n" + run.explain(collateral))
