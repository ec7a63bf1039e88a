"""Expectation entries narrowed to test cases (``cases``) and flaky deviations
(``intermittent``): both ways, their usage errors, the report fields, and xdist."""

from __future__ import annotations

import json
import textwrap
import xml.etree.ElementTree as ET
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest

from pytest_a2a.judge.expectations import case_id

#: demo.must has two cases; only malformed-json fails (on every dialect)
CASES = textwrap.dedent("""
    import pytest
    pytestmark = pytest.mark.asyncio

    @pytest.mark.a2a_requirement("demo.must")
    @pytest.mark.parametrize("trigger", ["unknown-task", "malformed-json"])
    async def test_errors(a2a, trigger):
        a2a.check(trigger != "malformed-json", expected="a JSON error", actual="HTML 500")
""")

#: demo.must fails on REST only, standing in for a bug that shows in some runs only
FLAKY = textwrap.dedent("""
    import pytest
    pytestmark = pytest.mark.asyncio

    @pytest.mark.a2a_requirement("demo.must")
    async def test_reattach(a2a):
        a2a.check(a2a.dialect != "v1.0-rest", expected="each chunk once", actual="chunk 3 twice")
""")


@pytest.fixture
def target(fake_agent: Callable[..., str]) -> str:
    return fake_agent("--dialects", "v1.0-jsonrpc,v1.0-rest")


def _expect(pytester: pytest.Pytester, body: str) -> str:
    path = pytester.makefile(".toml", expectations='implementation = "fake 9.9"\n'
                             + textwrap.dedent(body))
    return f"--a2a-expectations={path}"


def _rows(pytester: pytest.Pytester, name: str = "report.json") -> dict[str, Any]:
    data: dict[str, Any] = json.loads((pytester.path / name).read_text())
    return data


# -- cases -----------------------------------------------------------------------------------


def test_case_id_removes_the_dialect_part_only() -> None:
    both = SimpleNamespace(_idlist=["v1.0-jsonrpc", "malformed-json"], id="")
    assert case_id(both, "v1.0-jsonrpc") == "malformed-json"
    last = SimpleNamespace(_idlist=["a", "b", "v1.0-rest"])
    assert case_id(last, "v1.0-rest") == "a-b"
    assert case_id(SimpleNamespace(_idlist=["v0.3-jsonrpc"]), "v0.3-jsonrpc") == ""
    assert case_id(SimpleNamespace(_idlist=["x1"]), None) == "x1"
    assert case_id(None, "v1.0-rest") == ""
    # without pytest's private per-call id list, the joined id is used
    for full, case in [("v1.0-rest-malformed-json", "malformed-json"),
                       ("a-v1.0-rest", "a"), ("a-v1.0-rest-b", "a-b"), ("v1.0-rest", "")]:
        assert case_id(SimpleNamespace(id=full), "v1.0-rest") == case


def test_cases_narrow_a_deviation(a2a_project: pytest.Pytester, target: str) -> None:
    a2a_project.makepyfile(test_errors=CASES)
    flag = _expect(a2a_project, """
        [[deviation]]
        requirement = "demo.must"
        cases = ["malformed-json"]
        reason = "malformed JSON is answered with an HTML 500"
    """)
    result = a2a_project.runpytest(f"--a2a-url={target}", "test_errors.py", flag, "-v",
                                   "--a2a-report-json=report.json", "--junitxml=junit.xml")
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()
    result.stdout.fnmatch_lines_random([
        "*test_errors[[]v1.0-jsonrpc-unknown-task[]] PASSED*",
        "*test_errors[[]v1.0-jsonrpc-malformed-json[]] EXPECTED-FAILURE*",
        "*test_errors[[]v1.0-rest-unknown-task[]] PASSED*",
        "*test_errors[[]v1.0-rest-malformed-json[]] EXPECTED-FAILURE*",
        "*demo.must  (v1.0-jsonrpc[[]malformed-json[]]:expected-failure, "
        "v1.0-rest[[]malformed-json[]]:expected-failure)*",
    ])
    rows = {(r["dialect"], r["case"]): r for r in _rows(a2a_project)["rows"]}
    assert {k: r["outcome"] for k, r in rows.items()} == {
        ("v1.0-jsonrpc", "unknown-task"): "passed", ("v1.0-jsonrpc", "malformed-json"):
        "expected-failure", ("v1.0-rest", "unknown-task"): "passed",
        ("v1.0-rest", "malformed-json"): "expected-failure"}
    assert rows[("v1.0-rest", "malformed-json")]["expectation"].startswith("malformed JSON")
    assert rows[("v1.0-rest", "unknown-task")]["expectation"] == ""
    junit = ET.parse(a2a_project.path / "junit.xml")
    props = {case.get("name"): {p.get("name"): p.get("value") for p in case.iter("property")}
             for case in junit.iter("testcase")}
    assert props["test_errors[v1.0-rest-malformed-json]"]["case"] == "malformed-json"


def test_without_cases_the_passing_case_is_an_unexpected_pass(
        a2a_project: pytest.Pytester, target: str) -> None:
    a2a_project.makepyfile(test_errors=CASES)
    flag = _expect(a2a_project, """
        [[deviation]]
        requirement = "demo.must"
        reason = "malformed JSON is answered with an HTML 500"
    """)
    result = a2a_project.runpytest(f"--a2a-url={target}", "test_errors.py", flag, "-v")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines_random([
        "*test_errors[[]v1.0-jsonrpc-unknown-task[]] UNEXPECTED-PASS*",
        "*test_errors[[]v1.0-rest-malformed-json[]] EXPECTED-FAILURE*",
        "*unexpected pass: [[]MUST[]] demo.must (v1.0-rest, case unknown-task) passed*",
    ])


def test_cases_and_dialects_must_both_match(a2a_project: pytest.Pytester, target: str) -> None:
    a2a_project.makepyfile(test_errors=CASES)
    flag = _expect(a2a_project, """
        [[deviation]]
        requirement = "demo.must"
        dialects = ["v1.0-rest"]
        cases = ["malformed-json"]
        reason = "REST only"

        [[deviation]]
        requirement = "demo.must"
        dialects = ["v1.0-jsonrpc"]
        cases = ["unknown-task"]
        reason = "wrong case named: the entry does not cover malformed-json"
    """)
    result = a2a_project.runpytest(f"--a2a-url={target}", "test_errors.py", flag, "-v")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines_random([
        "*test_errors[[]v1.0-rest-unknown-task[]] PASSED*",
        "*test_errors[[]v1.0-rest-malformed-json[]] EXPECTED-FAILURE*",
        "*test_errors[[]v1.0-jsonrpc-unknown-task[]] UNEXPECTED-PASS*",
        "*test_errors[[]v1.0-jsonrpc-malformed-json[]] FAILED*",
    ])


def test_cases_under_xdist(a2a_project: pytest.Pytester, target: str) -> None:
    a2a_project.makepyfile(test_errors=CASES)
    flag = _expect(a2a_project, """
        [[deviation]]
        requirement = "demo.must"
        cases = ["malformed-json"]
        intermittent = true
        reason = "flaky: seen failing in 2 of 3 runs"
    """)
    result = a2a_project.runpytest_subprocess(
        "-p", "xdist", "-n", "2", f"--a2a-url={target}", "test_errors.py", flag,
        "--a2a-report-json=report.json")
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()
    data = _rows(a2a_project)
    assert sorted((r["case"], r["outcome"], r["intermittent"]) for r in data["rows"]) == [
        ("malformed-json", "expected-failure", True), ("malformed-json", "expected-failure", True),
        ("unknown-task", "passed", False), ("unknown-task", "passed", False)]
    assert data["summary"]["passed"] is True


# -- intermittent ----------------------------------------------------------------------------


def test_intermittent_deviation_passes_honestly(a2a_project: pytest.Pytester,
                                                target: str) -> None:
    a2a_project.makepyfile(test_flaky=FLAKY)
    flag = _expect(a2a_project, """
        [[deviation]]
        requirement = "demo.must"
        intermittent = true
        reason = "re-attach sometimes duplicates a chunk (2 of 3 runs)"
        link = "https://example.invalid/issue/9"
    """)
    result = a2a_project.runpytest(f"--a2a-url={target}", "test_flaky.py", flag, "-v",
                                   "--a2a-report-json=report.json", "--junitxml=junit.xml",
                                   "--a2a-report-html=report.html")
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()
    result.stdout.fnmatch_lines_random([
        "*test_reattach[[]v1.0-jsonrpc[]] PASSED (intermittent)*",
        "*test_reattach[[]v1.0-rest[]] EXPECTED-FAILURE*",
        "*demo.must  (v1.0-rest:expected-failure (intermittent))*",
        "intermittent expectations that passed this run*",
        "*demo.must  (v1.0-jsonrpc:passed)*",
        "*= 1 passed*1 expected-failure in *",
    ])
    result.stdout.no_fnmatch_line("*UNEXPECTED*")
    data = _rows(a2a_project)
    rows = {r["dialect"]: r for r in data["rows"]}
    passed = rows["v1.0-jsonrpc"]
    assert passed["outcome"] == "passed" and passed["intermittent"] is True
    assert passed["expectation"] == ("re-attach sometimes duplicates a chunk (2 of 3 runs) "
                                     "(https://example.invalid/issue/9)")
    assert rows["v1.0-rest"]["outcome"] == "expected-failure"
    assert rows["v1.0-rest"]["intermittent"] is True
    assert data["summary"]["intermittent_passes"] == ["demo.must"]
    assert data["summary"]["unexpected_passes"] == [] and data["summary"]["passed"] is True
    junit = (a2a_project.path / "junit.xml").read_text()
    assert 'name="intermittent" value="true"' in junit
    assert "intermittent expectation: re-attach" in (a2a_project.path / "report.html").read_text()


def test_not_intermittent_pass_still_fails_and_errors_stay_errors(
        a2a_project: pytest.Pytester, target: str) -> None:
    a2a_project.makepyfile(test_flaky=FLAKY, test_broken=textwrap.dedent("""
        import pytest
        pytestmark = pytest.mark.asyncio

        @pytest.mark.a2a_requirement("demo.should")
        async def test_broken(a2a):
            raise RuntimeError("scenario bug")
    """))
    flag = _expect(a2a_project, """
        [[deviation]]
        requirement = "demo.must"
        intermittent = false
        reason = "fails on REST"

        [[deviation]]
        requirement = "demo.should"
        intermittent = true
        reason = "flaky close"
    """)
    result = a2a_project.runpytest(f"--a2a-url={target}", ".", flag, "-v",
                                   "--a2a-report-json=report.json")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines_random([
        "*test_reattach[[]v1.0-jsonrpc[]] UNEXPECTED-PASS*",
        "*test_broken[[]v1.0-rest[]] FAILED*",
    ])
    outcomes = {(r["requirement"], r["dialect"]): r["outcome"] for r in _rows(a2a_project)["rows"]}
    assert outcomes[("demo.should", "v1.0-rest")] == "error"  # not hidden by the entry
    assert outcomes[("demo.must", "v1.0-jsonrpc")] == "unexpected-pass"


# -- usage errors ----------------------------------------------------------------------------


@pytest.mark.parametrize(("body", "message"), [
    ('cases = "malformed-json"', "*deviation #1 (demo.must): cases must be a non-empty list of "
     "test case ids, the test id without the dialect*malformed-json*"),
    ("cases = []", "*deviation #1 (demo.must): cases must be a non-empty list*"),
    ("cases = [1]", "*deviation #1 (demo.must): cases must be a non-empty list*"),
    ('cases = ["a", "a"]', "*deviation #1 (demo.must): cases lists a case twice*"),
    ('intermittent = "yes"', "*deviation #1 (demo.must): intermittent must be true or false, "
     "not 'yes'*"),
])
def test_bad_cases_or_intermittent_is_usage_error(a2a_project: pytest.Pytester, body: str,
                                                  message: str) -> None:
    a2a_project.makepyfile("def test_x():\n    pass\n")
    flag = _expect(a2a_project, f'[[deviation]]\nrequirement = "demo.must"\nreason = "x"\n{body}\n')
    result = a2a_project.runpytest(flag)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"*expectations.toml: {message.lstrip('*')}"])


@pytest.mark.parametrize(("first", "second", "clash"), [
    ('cases = ["a"]', 'cases = ["a", "b"]', "#1: every dialect; case a; #2: every dialect; "
                                             "cases a, b"),
    ("", 'cases = ["b"]', "#1: every dialect; #2: every dialect; case b"),
    ('dialects = ["v1.0-rest"]', 'dialects = ["v1.0-rest"]\ncases = ["b"]',
     "#1: v1.0-rest; #2: v1.0-rest; case b"),
    ('cases = ["a"]', 'cases = ["b"]', None),
    ('dialects = ["v1.0-rest"]\ncases = ["a"]', 'dialects = ["v1.0-jsonrpc"]\ncases = ["a"]', None),
])
def test_overlapping_entries(a2a_project: pytest.Pytester, first: str, second: str,
                             clash: str | None) -> None:
    a2a_project.makepyfile("def test_x():\n    pass\n")
    flag = _expect(a2a_project, f'[[deviation]]\nrequirement = "demo.must"\nreason = "x"\n{first}\n'
                   f'[[deviation]]\nrequirement = "demo.must"\nreason = "y"\n{second}\n')
    result = a2a_project.runpytest(flag)
    if clash is None:
        result.assert_outcomes(passed=1)
        return
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"*: deviations #1 and #2 both cover demo.must ({clash}); "
                                 "give each entry its own dialects or cases"])
