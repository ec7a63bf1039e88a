"""The self-test: every scenario passes on the clean reference server and catches its fault.

For each fault switch the suite must fail exactly the requirements that own it (the merged
``owners_*.py`` tables) and nothing else: a scenario that does not fail under its fault cannot
fail at all, and one that fails under someone else's fault would give users false failures.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import reference_server
from pytest_a2a.judge import requirements as registry
from tests.selftest.harness import SuiteRun, run_suite
from tests.selftest.ownership import merged_owners

OWNERS = merged_owners()
#: Clean and legal-variant runs use the users' default budget: a false failure there would be
#: a false failure for users. Fault runs use the harness's short budget so hangs fail fast.
CLEAN_TIMEOUT = 10.0


def _assert_sound(run: SuiteRun) -> None:
    assert not run.broken, "scenarios errored (a suite bug):\n" + run.output[-6000:]


def _obs(row: dict[str, object], key: str) -> float:
    observations = row.get("observations")
    assert isinstance(observations, dict), row
    value = observations[key]
    assert isinstance(value, int | float), row
    return float(value)


def test_ownership_table_is_complete() -> None:
    """Every MUST/SHOULD requirement is owned by a fault; every fault owns something real."""
    known = dict(registry.load())
    owned = set().union(*OWNERS.values()) if OWNERS else set()
    unknown_faults = set(OWNERS) - set(reference_server.FAULTS)
    assert not unknown_faults, (
        f"owners tables name faults the server lacks: {sorted(unknown_faults)}"
    )
    unknown_reqs = owned - set(known)
    assert not unknown_reqs, f"owners tables name unknown requirements: {sorted(unknown_reqs)}"
    unowned = sorted(
        rid for rid, req in known.items() if req.level in ("MUST", "SHOULD") and rid not in owned
    )
    assert not unowned, f"MUST/SHOULD requirements no fault proves: {unowned}"
    idle = sorted(set(reference_server.FAULTS) - set(OWNERS))
    assert not idle, f"faults no scenario owns (their bug would go unnoticed): {idle}"
    # MAY requirements do fail when the server offers the capability and gets it wrong; INFO
    # requirements only record, so a fault "owning" one would be a table error.
    informational = sorted(rid for rid in owned if known[rid].level == "INFO")
    assert not informational, f"INFO requirements cannot fail, yet are owned: {informational}"


def test_clean_server_passes_everything(tmp_path: Path) -> None:
    run = run_suite(tmp_path, timeout=CLEAN_TIMEOUT)
    _assert_sound(run)
    assert not run.violated, "clean reference server fails:\n" + run.explain(run.violated)
    assert run.returncode == 0, run.output[-6000:]
    missing = set(registry.load()) - set(run.by_requirement)
    assert not missing, f"requirements absent from the report: {sorted(missing)}"
    # memory-bounded passes only when RSS showed the burst the server stores (else it saw
    # nothing: memory an earlier dialect freed absorbed the burst)
    blind = [row["nodeid"] for row in run.rows
             if row["requirement"] == "backpressure.memory-bounded" and row["outcome"] == "passed"
             and _obs(row, "rss_growth_mib") < _obs(row, "burst_mib") / 2]
    assert not blind, f"memory-bounded passed without seeing the burst: {blind}"


@pytest.mark.parametrize("variant", sorted(reference_server.VARIANTS))
def test_legal_variant_passes(tmp_path: Path, variant: str) -> None:
    run = run_suite(tmp_path, variants=[variant], timeout=CLEAN_TIMEOUT)
    _assert_sound(run)
    assert not run.violated, f"variant {variant!r} gives false failures:\n" + run.explain(
        run.violated
    )


@pytest.mark.parametrize("fault", sorted(reference_server.FAULTS))
def test_fault_fails_exactly_its_owners(tmp_path: Path, fault: str) -> None:
    expected = OWNERS.get(fault, set())
    run = run_suite(tmp_path, faults=[fault])
    _assert_sound(run)
    missed = expected - run.violated
    collateral = run.violated - expected
    assert not missed and not collateral, (
        f"fault {fault!r}: {reference_server.FAULTS[fault]}\n"
        f"owned but not failing (the scenario cannot catch its bug): {sorted(missed)}\n"
        + run.explain(missed)
        + f"\nfailing but not owned (false failures under an unrelated bug): {sorted(collateral)}\n"
        + run.explain(collateral)
    )
