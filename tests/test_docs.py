"""Generated documentation is up to date with the code it describes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pytest_a2a.judge import catalog, requirements

ROOT = Path(__file__).resolve().parent.parent


def test_scenario_catalogue_is_current() -> None:
    committed = (ROOT / "docs" / "scenarios.md").read_text(encoding="utf-8")
    assert committed == catalog.render(), (
        "docs/scenarios.md is stale: regenerate it with "
        "`python -m pytest_a2a.judge.catalog > docs/scenarios.md`"
    )


def test_every_requirement_has_a_scenario() -> None:
    index = catalog.scenario_index()
    orphans = sorted(rid for rid in requirements.load() if rid not in index)
    assert not orphans, f"requirements no packaged scenario declares: {orphans}"
    unknown = sorted(set(index) - set(requirements.load()))
    assert not unknown, f"scenarios declare unregistered requirements: {unknown}"


def _located(rid: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for line in catalog.locate(rid)[2:]:
        label, _, value = line.strip().partition(":")
        found.setdefault(label, []).append(value.strip())
    return found


def _line(where: str) -> str:
    path, _, number = where.split()[0].rpartition(":")
    return (ROOT / path).read_text(encoding="utf-8").splitlines()[int(number) - 1]


def test_locate_points_at_real_lines_for_every_requirement() -> None:
    """Every file:line ``catalog --id`` prints exists and names what it claims to."""
    from tests.selftest.ownership import merged_owners

    owners = merged_owners()
    for rid in requirements.load():
        found = _located(rid)
        assert f'"{rid}"' in _line(found["data"][0]), (rid, found["data"])
        assert found["docs"] and all(f"`{rid}`" in _line(d) for d in found["docs"]), rid
        for scenario in found["scenario"]:
            assert f"def {scenario.split()[1]}(" in _line(scenario), (rid, scenario)
        assert len(found["scenario"]) == len(catalog.scenario_index()[rid])
        faults = {f.split()[0] for f in found["fault"]} - {"—"}
        assert faults == {f for f, ids in owners.items() if rid in ids}, rid
        for fault in found["fault"]:
            if fault != "—":
                owners_at, table_at = fault.split("(")[1].rstrip(")").split("; ")
                assert f'"{fault.split()[0]}"' in _line(owners_at)
                assert f"`{fault.split()[0]}`" in _line(table_at)
        for where in found.get("expectation", []):
            assert f'"{rid}"' in _line(where)
        for name in found.get("transcript", []):
            assert (ROOT / name).is_file(), (rid, name)


def test_locate_finds_a_regression_and_refuses_unknown_ids(
    capsys: pytest.CaptureFixture[str],
) -> None:
    found = _located("cancel.prompt")
    assert any(s.startswith("conformance_tests/test_cancel.py:") for s in found["scenario"])
    assert {f.split()[0] for f in found["fault"]} == {"cancel-slow"}
    assert "fixtures/transcripts/fasta2a-cancel-blocked.txt" in found["transcript"]
    assert catalog.main(["--id", "cancel.nope"]) == 2
    assert "unknown requirement id 'cancel.nope' (same family: cancel." in capsys.readouterr().err


def _table(markdown: str, heading: str) -> dict[str, str]:
    """``name → text`` rows of the table in the section that starts with ``heading``."""
    section = markdown.split(f"\n{heading}", 1)[1].split("\n## ", 1)[0]
    return dict(re.findall(r"^\| `([^`]+)` \| (.*) \|$", section, re.MULTILINE))


def test_fault_and_variant_tables_match_the_server() -> None:
    """docs/reference-server.md documents exactly the switches the server has, word for word."""
    import reference_server

    doc = (ROOT / "docs" / "reference-server.md").read_text(encoding="utf-8")
    assert _table(doc, "## Fault switches") == reference_server.FAULTS
    assert _table(doc, "## Legal variations") == reference_server.VARIANTS
