"""Expectation files (expected failure, unexpected pass fails the run, bad entries) and the
JSON / HTML / junitxml reports."""

from __future__ import annotations

import json
import textwrap
import xml.etree.ElementTree as ET
from collections.abc import Callable

import pytest

SCENARIOS = textwrap.dedent("""
    import pytest
    pytestmark = pytest.mark.asyncio

    @pytest.mark.a2a_requirement("demo.must")
    async def test_must(a2a):
        a2a.record("first-event", "status")
        a2a.check(a2a.dialect != "v1.0-rest", expected="a Task first", actual="status(working)")

    @pytest.mark.a2a_requirement("demo.should")
    async def test_should(a2a):
        a2a.fail(expected="closed", actual="open")

    @pytest.mark.a2a_requirement("demo.info")
    async def test_info(a2a):
        a2a.record("stays-open", True)
""")


@pytest.fixture
def target(fake_agent: Callable[..., str]) -> str:
    return fake_agent("--dialects", "v1.0-jsonrpc,v1.0-rest")


def _expect(pytester: pytest.Pytester, body: str) -> str:
    path = pytester.makefile(".toml", expectations='implementation = "fake 9.9"\n' + body)
    return f"--a2a-expectations={path}"


def test_expected_failure_and_unexpected_pass(a2a_project: pytest.Pytester, target: str) -> None:
    a2a_project.makepyfile(test_demo=SCENARIOS)
    flag = _expect(a2a_project, textwrap.dedent("""
        [[deviation]]
        requirement = "demo.must"
        dialects = ["v1.0-rest"]
        reason = "REST streams start with a status"
        link = "https://example.invalid/issue/7"
    """))
    result = a2a_project.runpytest(f"--a2a-url={target}", "test_demo.py::test_must", flag, "-v")
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(["*test_must[[]v1.0-jsonrpc[]] PASSED*",
                                 "*test_must[[]v1.0-rest[]] EXPECTED-FAILURE*",
                                 "*= 1 passed*1 expected-failure in *"])
    # the same entry without a dialect list also covers jsonrpc, which passes: run fails
    flag = _expect(a2a_project, textwrap.dedent("""
        [[deviation]]
        requirement = "demo.must"
        reason = "thought to be broken everywhere"
    """))
    result = a2a_project.runpytest(f"--a2a-url={target}", "test_demo.py::test_must", flag, "-v")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["*test_must[[]v1.0-jsonrpc[]] UNEXPECTED-PASS*",
                                 "*unexpected pass: [[]MUST[]] demo.must (v1.0-jsonrpc) passed*",
                                 "*remove the entry*"])


@pytest.mark.parametrize(("body", "message"), [
    ('[[deviation]]\nrequirement = "demo.nope"\nreason = "x"\n',
     "*deviation #1: unknown requirement id 'demo.nope'*"),
    ('[[deviation]]\nrequirement = "demo.old"\ndialects = ["v1.0-rest"]\nreason = "x"\n',
     "*(demo.old): the requirement does not apply to ['v1.0-rest']*"),
    ('[[deviation]]\nrequirement = "demo.must"\n', "*(demo.must): 'reason' is required*"),
    ('[[deviation]]\nrequirement = "demo.must"\nreason = "x"\nurl = "y"\n',
     "*unknown key(s) url; valid keys: cases, dialects, intermittent, link, reason, requirement*"),
])
def test_bad_expectation_file_is_usage_error(a2a_project: pytest.Pytester, body: str,
                                             message: str) -> None:
    a2a_project.makepyfile("def test_x():\n    pass\n")
    result = a2a_project.runpytest(_expect(a2a_project, body))
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([message])


def test_reports(a2a_project: pytest.Pytester, target: str) -> None:
    a2a_project.makepyfile(test_demo=SCENARIOS)
    result = a2a_project.runpytest(
        f"--a2a-url={target}", ".", "--a2a-report-json=out/report.json",
        "--a2a-report-html=out/report.html", "--junitxml=out/junit.xml")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    data = json.loads((a2a_project.path / "out/report.json").read_text())
    assert data["format"] == "pytest-a2a-report/1"
    assert data["target"]["implementation"] == "fake agent 9.9"
    assert data["target"]["tested_dialects"] == ["v1.0-jsonrpc", "v1.0-rest"]
    rows = {(r["requirement"], r["dialect"]): r for r in data["rows"]}
    assert {k: r["outcome"] for k, r in rows.items()} == {
        ("demo.must", "v1.0-jsonrpc"): "passed", ("demo.must", "v1.0-rest"): "failed",
        ("demo.should", "v1.0-jsonrpc"): "non-strict", ("demo.should", "v1.0-rest"): "non-strict",
        ("demo.info", "v1.0-rest"): "info",
    }
    failed = rows[("demo.must", "v1.0-rest")]
    assert failed["level"] == "MUST" and "expected: a Task first" in failed["message"]
    assert failed["observations"] == {"first-event": "status"}
    assert failed["duration"] > 0 and failed["nodeid"].endswith("test_must[v1.0-rest]")
    assert rows[("demo.info", "v1.0-rest")]["observations"] == {"stays-open": True}
    assert data["summary"]["failing_requirements"] == ["demo.must"]
    assert data["summary"]["by_level"]["SHOULD"] == {"non-strict": 2}
    assert data["requirements"]["demo.must"]["text"] == "A task stream starts with a Task event."
    page = (a2a_project.path / "out/report.html").read_text()
    assert "not conformant" in page and 'data-outcome="non-strict"' in page
    assert "<script src" not in page and "<link" not in page and "@import" not in page
    assert 'data-k="level"' in page and 'data-k="outcome"' in page
    assert "<details open><summary>[MUST] demo.must (v1.0-rest)" in page
    tree = ET.parse(a2a_project.path / "out/junit.xml")
    props = {}
    for case in tree.iter("testcase"):
        props[case.get("name")] = {p.get("name"): p.get("value") for p in case.iter("property")}
    assert props["test_must[v1.0-rest]"]["requirement"] == "demo.must"
    assert props["test_must[v1.0-rest]"]["level"] == "MUST"
    assert props["test_must[v1.0-rest]"]["dialect"] == "v1.0-rest"
    assert props["test_must[v1.0-rest]"]["outcome"] == "failed"
    assert props["test_should[v1.0-rest]"]["outcome"] == "non-strict"


def test_xdist_boots_once_and_merges_reports(a2a_project: pytest.Pytester) -> None:
    from tests.plugin.helpers import fake_agent_cmd

    a2a_project.makepyfile(test_demo=SCENARIOS)
    pidfile = a2a_project.path / "pids"
    result = a2a_project.runpytest_subprocess(
        "-p", "xdist", "-n", "2", "--a2a-server-cmd=" + fake_agent_cmd(
            "--pidfile", str(pidfile), "--dialects", "v1.0-jsonrpc,v1.0-rest"),
        ".", "--a2a-report-json=report.json", "--junitxml=junit.xml")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["*= 1 failed, 2 passed*2 non-strict in *"])
    assert len(pidfile.read_text().split()) == 1, "the controller boots the server once"
    data = json.loads((a2a_project.path / "report.json").read_text())
    assert len(data["rows"]) == 5 and data["target"]["kind"] == "command"
    assert sorted(r["outcome"] for r in data["rows"]) == [
        "failed", "info", "non-strict", "non-strict", "passed"]
    assert 'name="outcome" value="non-strict"' in (a2a_project.path / "junit.xml").read_text()


def test_xdist_embedded_target_reported(a2a_project: pytest.Pytester) -> None:
    a2a_project.makepyfile(test_demo=SCENARIOS)
    result = a2a_project.runpytest_subprocess("-p", "xdist", "-n", "2",
                                              "--a2a-report-json=report.json")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    data = json.loads((a2a_project.path / "report.json").read_text())
    assert data["target"]["kind"] == "embedded" and len(data["rows"]) == 6


def test_row_properties_round_trip() -> None:
    from pytest_a2a.judge.rows import PROPERTY_KEYS, ResultRow

    full = ResultRow(
        nodeid="t.py::test_x[v1.0-rest-a]", outcome="expected-failure", requirement="demo.must",
        level="MUST", spec="R5", dialect="v1.0-rest", case="a", duration=0.25,
        message="[MUST] demo.must ...", transcript="+0.001s  data: {}",
        observations={"first-event": "status", "n": [1, 2]}, expectation="REST (see x)",
        intermittent=True,
    )
    props = full.to_properties()
    assert [k for k, _ in props] == list(PROPERTY_KEYS)
    assert ResultRow.from_properties(full.nodeid, props, 0.25) == full
    bare = ResultRow(nodeid="t.py::test_y", outcome="passed")
    assert bare.to_properties() == [("outcome", "passed")]
    assert ResultRow.from_properties(bare.nodeid, bare.to_properties()) == bare
    with pytest.raises(ValueError, match="no a2a outcome"):
        ResultRow.from_properties("t.py::test_z", [("outcome", "green")])


def test_teardown_error_after_failure_is_one_row(a2a_project: pytest.Pytester,
                                                 target: str) -> None:
    a2a_project.makepyfile(test_demo=textwrap.dedent("""
        import pytest
        pytestmark = pytest.mark.asyncio

        @pytest.fixture
        def broken_cleanup():
            yield
            raise RuntimeError("cleanup broke")

        @pytest.mark.a2a_requirement("demo.must")
        async def test_must(a2a, broken_cleanup):
            a2a.fail(expected="a Task first", actual="status(working)")
    """))
    result = a2a_project.runpytest(f"--a2a-url={target}", ".", "--a2a-dialect=1.0",
                                   "--a2a-binding=rest", "--a2a-report-json=report.json",
                                   "--junitxml=junit.xml")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    (row,) = json.loads((a2a_project.path / "report.json").read_text())["rows"]
    assert row["outcome"] == "failed" and row["dialect"] == "v1.0-rest"
    assert "expected: a Task first" in row["message"]
    assert "(teardown) RuntimeError: cleanup broke" in row["message"]
    # junitxml writes a second <testcase> for the teardown error; the row is stated once
    props = [(p.get("name"), p.get("value"))
             for p in ET.parse(a2a_project.path / "junit.xml").iter("property")]
    assert [v for k, v in props if k == "outcome"] == ["failed"], props
    assert [k for k, _ in props].count("message") == 1, props
