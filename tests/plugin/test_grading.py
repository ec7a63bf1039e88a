"""Grading per level (MUST / SHOULD incl. --a2a-strict / MAY / INFO), errors, and the
failure message; dialect parametrization and collection-time validation."""

from __future__ import annotations

import textwrap
from collections.abc import Callable

import pytest

SCENARIOS = textwrap.dedent("""
    import pytest
    pytestmark = pytest.mark.asyncio

    @pytest.mark.a2a_requirement("demo.must")
    async def test_must(a2a):
        a2a.check(a2a.dialect != "v1.0-rest", expected="a Task first", actual="status(working)")

    @pytest.mark.a2a_requirement("demo.should")
    async def test_should(a2a):
        a2a.fail(expected="closed within 1s", actual="still open after 2s")

    @pytest.mark.a2a_requirement("demo.may")
    async def test_may(a2a):
        a2a.unsupported("one stream per task only")

    @pytest.mark.a2a_requirement("demo.info")
    async def test_info(a2a):
        a2a.record("stays-open", True)
        assert a2a.check(False, expected="x", actual="y") is False

    @pytest.mark.a2a_requirement("demo.must")
    async def test_crash(a2a):
        raise RuntimeError("scenario bug")
""")


@pytest.fixture
def target(fake_agent: Callable[..., str]) -> str:
    return fake_agent("--dialects", "v0.3-jsonrpc,v1.0-jsonrpc,v1.0-rest")


def test_levels_are_graded(a2a_project: pytest.Pytester, target: str) -> None:
    a2a_project.makepyfile(test_demo=SCENARIOS)
    result = a2a_project.runpytest(f"--a2a-url={target}", ".", "-v")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines_random([
        "*::test_must[[]v0.3-jsonrpc[]] PASSED*",
        "*::test_must[[]v1.0-jsonrpc[]] PASSED*",
        "*::test_must[[]v1.0-rest[]] FAILED*",
        "*::test_should[[]v1.0-rest[]] NON-STRICT*",
        "*::test_may[[]v1.0-rest[]] UNSUPPORTED*",
        "*::test_info[[]v1.0-rest[]] INFO*",
        "*::test_crash[[]v1.0-rest[]] FAILED*",
    ])
    result.stdout.fnmatch_lines(["*= 4 failed, 3 passed, 2 skipped*2 non-strict in *"])
    # the failure message: requirement id + text, spec, expected, actual, bug links
    result.stdout.fnmatch_lines([
        "E * [[]MUST[]] demo.must (v1.0-rest): A task stream starts with a Task event.",
        "E *spec:     R5",
        "E *expected: a Task first",
        "E *actual:   status(working)",
        "E *see:      https://example.invalid/bug/1",
    ])
    # terminal summary section: per level counts and failing ids
    result.stdout.fnmatch_lines([
        "*= a2a conformance =*",
        "level *pass*fail*non-strict*unsupported*info*error*",
        "MUST *",
        "failing requirements:",
        "  [[]MUST[]] demo.must  (*v1.0-rest:failed*)",
        "non-strict (SHOULD; fail with --a2a-strict):",
        "  [[]SHOULD[]] demo.should  (v1.0-jsonrpc:non-strict, v1.0-rest:non-strict)",
    ])


def test_should_only_run_passes_without_strict(a2a_project: pytest.Pytester, target: str) -> None:
    a2a_project.makepyfile(test_demo=SCENARIOS)
    result = a2a_project.runpytest(f"--a2a-url={target}", "test_demo.py::test_should",
                                   "test_demo.py::test_may", "test_demo.py::test_info")
    assert result.ret == pytest.ExitCode.OK
    result.assert_outcomes(passed=1, skipped=2)


@pytest.mark.parametrize("how", ["cli", "ini"])
def test_strict_fails_should(a2a_project: pytest.Pytester, target: str, how: str) -> None:
    a2a_project.makepyfile(test_demo=SCENARIOS)
    args = ["--a2a-strict"] if how == "cli" else ["-o", "a2a_strict=true"]
    result = a2a_project.runpytest(f"--a2a-url={target}", "test_demo.py::test_should", *args)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(["*a2a grading: strict*"])


def test_transcript_with_arrival_times_in_failure(a2a_project: pytest.Pytester) -> None:
    a2a_project.makepyfile(textwrap.dedent("""
        import pytest
        from pytest_a2a import script
        pytestmark = pytest.mark.asyncio

        @pytest.mark.a2a_requirement("demo.info")
        async def test_x(a2a):
            pass

        @pytest.mark.a2a_requirement("demo.must")
        async def test_stream(a2a):
            res = await a2a.client.stream_collect(script.build([{"status": "completed"}]))
            a2a.fail(expected="something else", actual=a2a.describe(res), stream=res)
    """))
    result = a2a_project.runpytest(
        "--a2a-binding=rest", "test_transcript_with_arrival_times_in_failure.py::test_stream")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["E * transcript (time since request sent):",
                                 "E * +0.0*s*"])


def test_dialect_filters(a2a_project: pytest.Pytester, target: str) -> None:
    a2a_project.makepyfile(test_demo=SCENARIOS)
    result = a2a_project.runpytest(f"--a2a-url={target}", ".", "--collect-only", "-q",
                                   "--a2a-dialect=1.0", "--a2a-binding=jsonrpc")
    result.stdout.fnmatch_lines(["*::test_must[[]v1.0-jsonrpc[]]"])
    result.stdout.no_fnmatch_line("*v1.0-rest*")
    result.stdout.no_fnmatch_line("*v0.3-jsonrpc*")


def test_requirement_for_undeclared_dialect_is_skipped_with_reason(
        a2a_project: pytest.Pytester, fake_agent: Callable[..., str]) -> None:
    url = fake_agent("--dialects", "v1.0-rest")
    a2a_project.makepyfile(textwrap.dedent("""
        import pytest
        pytestmark = pytest.mark.asyncio

        @pytest.mark.a2a_requirement("demo.old")
        async def test_old(a2a):
            raise AssertionError("must not run")
    """))
    result = a2a_project.runpytest(f"--a2a-url={url}", ".", "-rs")
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines([
        "a2a dialects: v1.0-rest (card declares: v1.0-rest)",
        "SKIPPED *demo.old applies to v0.3-jsonrpc; this run tests v1.0-rest",
    ])


def test_forced_dialect_not_declared_by_card(a2a_project: pytest.Pytester,
                                             fake_agent: Callable[..., str]) -> None:
    url = fake_agent("--dialects", "v1.0-rest")
    a2a_project.makepyfile(test_demo=SCENARIOS)
    result = a2a_project.runpytest(f"--a2a-url={url}", ".", "--collect-only", "-q",
                                   "--a2a-dialect=0.3")
    result.stdout.fnmatch_lines(["*::test_must[[]v0.3-jsonrpc[]]"])


def test_scripted_tests_skip_without_the_skill(a2a_project: pytest.Pytester,
                                               fake_agent: Callable[..., str]) -> None:
    url = fake_agent("--dialects", "v1.0-rest", "--no-skill")
    a2a_project.makepyfile(textwrap.dedent("""
        import pytest
        pytestmark = pytest.mark.asyncio

        @pytest.mark.a2a_requirement("demo.must")
        @pytest.mark.a2a_scripted
        async def test_scripted(a2a):
            a2a.check(True, expected="the scripted test runs", actual="it ran")
    """))
    result = a2a_project.runpytest(f"--a2a-url={url}", ".", "-rs")
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(["*declares no skill 'a2a-conformance'*a2a-scripted=yes*"])
    result = a2a_project.runpytest(f"--a2a-url={url}", ".", "--a2a-scripted=yes")
    result.assert_outcomes(passed=1)
    result = a2a_project.runpytest("--a2a-scripted=no", "-rs")
    result.assert_outcomes(skipped=3)


@pytest.mark.parametrize(("marker", "message"), [
    ('a2a_requirement("demo.nope")', "*unknown requirement id 'demo.nope'*same family: demo.must*"),
    ("a2a_requirement()", "*exactly one id*"),
])
def test_bad_requirement_marker_fails_collection(a2a_project: pytest.Pytester, marker: str,
                                                 message: str) -> None:
    a2a_project.makepyfile(textwrap.dedent(f"""
        import pytest
        @pytest.mark.{marker}
        def test_x():
            pass
    """))
    result = a2a_project.runpytest()
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines([message])


def test_duplicate_requirement_id_is_usage_error(a2a_project: pytest.Pytester) -> None:
    a2a_project.makefile(".toml", more='[[requirement]]\nid = "demo.must"\nlevel = "MAY"\n'
                                       'dialects = ["v1.0-rest"]\ntext = "again"\n')
    a2a_project.makeini("[pytest]\na2a_requirements =\n    demo_requirements.toml\n"
                        "    more.toml\n")
    a2a_project.makepyfile("def test_x():\n    pass\n")
    result = a2a_project.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*duplicate requirement id 'demo.must'*demo_requirements.toml*"
                                 "more.toml*"])
