"""A CLI target with no path arguments runs the packaged suite; explicit paths or an ini
target keep the user's own collection."""

from __future__ import annotations

from collections.abc import Callable

import pytest

MINE = "import pytest\n@pytest.mark.a2a_requirement('demo.must')\ndef test_mine():\n    pass\n"


def test_cli_target_without_paths_collects_packaged_suite(
        a2a_project: pytest.Pytester, fake_agent: Callable[..., str]) -> None:
    url = fake_agent()
    a2a_project.makepyfile(test_mine=MINE)
    result = a2a_project.runpytest(f"--a2a-url={url}", "--collect-only", "-q")
    result.stdout.fnmatch_lines(["test_*.py::test_*[[]v1.0-rest[]]"])
    result.stdout.no_fnmatch_line("*test_mine*")


#: A collected item of the packaged suite. Not just any mention of the package: an in-process
#: run in an xdist worker that already imported it prints pytest's "cannot be rewritten" warning.
SUITE_ITEM = "*conformance_tests/test_*.py::*"


def test_explicit_paths_and_ini_target_keep_own_tests(
        a2a_project: pytest.Pytester, fake_agent: Callable[..., str]) -> None:
    url = fake_agent()
    a2a_project.makepyfile(test_mine=MINE)
    result = a2a_project.runpytest(f"--a2a-url={url}", "test_mine.py", "--collect-only", "-q")
    result.stdout.fnmatch_lines(["test_mine.py::test_mine"])
    result.stdout.no_fnmatch_line(SUITE_ITEM)
    result = a2a_project.runpytest("-o", f"a2a_url={url}", "--collect-only", "-q")
    result.stdout.fnmatch_lines(["test_mine.py::test_mine"])
    result.stdout.no_fnmatch_line(SUITE_ITEM)
