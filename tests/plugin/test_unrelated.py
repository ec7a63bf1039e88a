"""Installing the plugin must not change an unrelated project's plain pytest run."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest


def _normalize(lines: list[str]) -> list[str]:
    return [line for line in lines
            if not line.startswith(("plugins:", "platform ")) and " in " not in line]


def test_plain_run_unchanged(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(textwrap.dedent("""
        import pytest
        def test_ok():
            pass
        def test_fail():
            assert 1 == 2
        @pytest.mark.skip(reason="because")
        def test_skip():
            pass
        def test_props(record_property):
            record_property("k", "v")
    """))
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    xml = pytester.path / "junit.xml"

    def run(*args: str) -> tuple[pytest.RunResult, str]:
        result = pytester.runpytest_subprocess("-rA", "--junitxml=junit.xml", *args)
        text = xml.read_text()
        # drop run-dependent attributes (time, timestamp, hostname)
        import re
        return result, re.sub(r'(time|timestamp|hostname)="[^"]*"', "", text)

    with_plugin, xml_with = run()
    without, xml_without = run("-p", "no:a2a")
    assert with_plugin.ret == without.ret == pytest.ExitCode.TESTS_FAILED
    assert _normalize(with_plugin.outlines) == _normalize(without.outlines)
    assert not [line for line in _normalize(with_plugin.outlines) if "a2a" in line]
    assert xml_with == xml_without


def test_plugin_import_is_light() -> None:
    code = ("import sys, pytest_a2a.plugin as p; heavy = [m for m in ('httpx', 'pydantic', "
            "'reference_server', 'pytest_a2a.wire.client', 'pytest_a2a.judge.requirements', "
            "'tomllib', "
            "'jsonschema', 'uvicorn') if m in sys.modules]; print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


_LOOP_NOTICE = 'The configuration option "asyncio_default_fixture_loop_scope" is unset'


def test_loop_scope_notice_left_to_unrelated_projects(pytester: pytest.Pytester) -> None:
    """pytest-asyncio's notice is the project's business: the plugin does not hide it."""
    pytester.makepyfile("def test_ok():\n    pass\n")
    result = pytester.runpytest_subprocess("-W", "default::pytest.PytestDeprecationWarning")
    assert _LOOP_NOTICE in result.stdout.str() + result.stderr.str()


def test_packaged_suite_run_has_no_loop_scope_notice(pytester: pytest.Pytester) -> None:
    """From an empty directory there is no project to configure: the suite runs quietly."""
    result = pytester.runpytest_subprocess(
        "--pyargs", "conformance_tests.test_card", "-p", "no:cacheprovider",
        "-W", "default::pytest.PytestDeprecationWarning")
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()[-3000:]
    assert _LOOP_NOTICE not in result.stdout.str() + result.stderr.str()
