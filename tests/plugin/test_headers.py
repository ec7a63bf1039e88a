"""``--a2a-header`` reaches the server on every request of every scenario.

The whole packaged suite runs against the reference server behind a gate that answers 401 to
any request without the header: one scenario that builds its own request and forgets the
user's headers (auth, in real life) fails here."""

from __future__ import annotations

import shlex
import sys

import pytest

from tests.plugin.header_gate import HEADER
from tests.plugin.helpers import HERE

GATE_CMD = f"{shlex.quote(sys.executable)} {shlex.quote(str(HERE / 'header_gate.py'))} {{port}}"


def test_every_scenario_sends_the_headers(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_subprocess(
        "--pyargs", "conformance_tests", "-p", "no:cacheprovider", "-q",
        f"--a2a-server-cmd={GATE_CMD}", f"--a2a-header={HEADER}")
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()[-4000:]
    result.stdout.fnmatch_lines(["* passed*"])


def test_the_gate_refuses_a_run_without_them(pytester: pytest.Pytester) -> None:
    """The gate is real: without the header the server never answers its card."""
    result = pytester.runpytest_subprocess(
        "--pyargs", "conformance_tests.test_card", "-p", "no:cacheprovider", "-q",
        f"--a2a-server-cmd={GATE_CMD}")
    assert result.ret != pytest.ExitCode.OK
    assert "401" in result.stdout.str() + result.stderr.str()
