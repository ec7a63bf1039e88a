"""Options, their ini twins, and usage errors (before anything is booted)."""

from __future__ import annotations

import textwrap

import pytest

BAD_VALUES = [
    ("--a2a-dialect=2.0", "a2a_dialect = 2.0", "valid choices: auto, 0.3, 1.0"),
    ("--a2a-binding=grpc", "a2a_binding = grpc", "valid choices: auto, jsonrpc, rest"),
    ("--a2a-scripted=maybe", "a2a_scripted = maybe", "valid choices: auto, yes, no"),
    ("--a2a-timeout=0", "a2a_timeout = 0", "positive number of seconds"),
    ("--a2a-timeout=soon", "a2a_timeout = soon", "positive number of seconds"),
    ("--a2a-header=NoColon", "a2a_header = NoColon", "expected 'Name: value'"),
    ("--a2a-url=localhost:1", "a2a_url = localhost:1", "expected http(s)://host:port"),
    ("--a2a-server-cmd=python srv.py", "a2a_server_cmd = python srv.py", "must be a command"),
    ("--a2a-max-event-bytes=big", "a2a_max_event_bytes = big", "e.g. 4194304 or 16MiB"),
    ("--a2a-max-event-bytes=100", "a2a_max_event_bytes = 2GiB", "from 1024 bytes to 1GiB"),
]


@pytest.mark.parametrize(("flag", "ini", "message"), BAD_VALUES,
                         ids=[b[0].split("=")[0] for b in BAD_VALUES])
def test_bad_cli_value_is_usage_error(pytester: pytest.Pytester, flag: str, ini: str,
                                      message: str) -> None:
    pytester.makepyfile("def test_nothing():\n    pass\n")
    result = pytester.runpytest(flag)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"*{message}*"])


@pytest.mark.parametrize(("flag", "ini", "message"), BAD_VALUES,
                         ids=[b[1].split(" ")[0] for b in BAD_VALUES])
def test_bad_ini_value_is_usage_error(pytester: pytest.Pytester, flag: str, ini: str,
                                      message: str) -> None:
    pytester.makeini(f"[pytest]\n{ini}\n")
    pytester.makepyfile("def test_nothing():\n    pass\n")
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"*{message}*"])


def test_url_and_command_are_exclusive(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_nothing():\n    pass\n")
    result = pytester.runpytest("--a2a-url=http://127.0.0.1:1", "--a2a-server-cmd=x {port}",
                                "tests_dir_that_is_ignored_anyway")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*exclusive*"])


def test_cli_wins_over_ini(pytester: pytest.Pytester) -> None:
    from pytest_a2a.run.options import read_options

    pytester.makeini(textwrap.dedent("""
        [pytest]
        a2a_timeout = 7
        a2a_dialect = 0.3
        a2a_header =
            X-One: 1
            X-Two: two words
        a2a_strict = true
        a2a_prompt = hi there
    """))
    config = pytester.parseconfigure("--a2a-dialect=1.0")
    opts = read_options(config)
    assert opts.timeout == 7.0
    assert opts.dialect == "1.0"
    assert opts.headers == (("X-One", "1"), ("X-Two", "two words"))
    assert opts.strict is True
    assert opts.prompt == "hi there"
    assert not opts.target_on_cli
    assert "a2a_timeout" in opts.given


def test_defaults_and_relative_paths(pytester: pytest.Pytester) -> None:
    from pytest_a2a.run.options import DEFAULT_PROMPT, DEFAULT_TIMEOUT, read_options

    config = pytester.parseconfigure("--a2a-report-json=out/r.json",
                                     "--a2a-header", "Authorization: Bearer x y")
    opts = read_options(config)
    assert opts.timeout == DEFAULT_TIMEOUT and opts.prompt == DEFAULT_PROMPT
    assert opts.dialect == opts.binding == opts.scripted == "auto"
    assert opts.report_json == pytester.path / "out" / "r.json"
    assert opts.headers == (("Authorization", "Bearer x y"),)
    assert opts.target_kind == "embedded"


def test_bad_requirement_file_is_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makefile(".toml", reqs='[[requirement]]\nid = "x.y"\nlevel = "MUSTN"\n'
                                   'dialects = ["v1.0-rest"]\ntext = "t"\n')
    pytester.makeini("[pytest]\na2a_requirements = reqs.toml\n")
    pytester.makepyfile(textwrap.dedent("""
        import pytest
        @pytest.mark.a2a_requirement("x.y")
        def test_x():
            pass
    """))
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["*reqs.toml*x.y*level 'MUSTN'*valid levels: MUST, SHOULD, MAY, INFO*"])
