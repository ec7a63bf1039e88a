"""Targets: --a2a-server-cmd boot/teardown (incl. never-ready, dying, Ctrl-C), --a2a-url,
and the embedded reference server (a subprocess: booted lazily, or once for xdist workers)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.plugin.helpers import fake_agent_cmd, wait_dead

PROBE = textwrap.dedent("""
    import json, os, pytest
    pytestmark = pytest.mark.asyncio

    @pytest.mark.a2a_requirement("demo.must")
    async def test_probe(a2a):
        with open("probe.jsonl", "a") as fh:
            fh.write(json.dumps({"booted": a2a.booted, "rss": a2a.server_rss(),
                                 "pid": a2a.server_pid, "url": a2a.url, "me": os.getpid(),
                                 "dialect": a2a.dialect}) + "\\n")
        # a scenario that checks nothing is an error: the probe checks what it wrote
        a2a.check(a2a.url.startswith("http"), expected="a target URL", actual=a2a.url)
""")


def _probes(path: Path) -> list[dict[str, object]]:
    import json

    return [json.loads(line) for line in (path / "probe.jsonl").read_text().splitlines()]


def test_server_cmd_is_booted_once_and_killed(a2a_project: pytest.Pytester) -> None:
    a2a_project.makepyfile(PROBE)
    pidfile = a2a_project.path / "pids"
    result = a2a_project.runpytest(
        f"--a2a-server-cmd={fake_agent_cmd('--pidfile', str(pidfile))}", ".",
    )
    result.assert_outcomes(passed=3)
    pids = [int(p) for p in pidfile.read_text().split()]
    assert len(pids) == 1, "booted once per run"
    assert wait_dead(pids[0]), "server process must be killed at the end of the run"
    probes = _probes(a2a_project.path)
    assert {p["pid"] for p in probes} == {pids[0]}
    assert all(p["booted"] and isinstance(p["rss"], int) and p["rss"] > 0 for p in probes)
    result.stdout.fnmatch_lines(["a2a target: http://127.0.0.1:* (booted: *fake_agent.py*",
                                 "a2a implementation: fake agent 9.9"])


def test_server_cmd_that_never_becomes_ready(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_x():\n    pass\n")
    cmd = f"{sys.executable} -c 'import sys,time; print(\"warming up\", flush=True); " \
          "time.sleep(60)' {port}"
    start = time.monotonic()
    result = pytester.runpytest_subprocess(f"--a2a-server-cmd={cmd}", "--a2a-timeout=0.5",
                                           "test_x.py")
    assert time.monotonic() - start < 30
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*target unusable*", "*no agent card at http://127.0.0.1:*",
                                 "*warming up*"])
    result.stdout.no_fnmatch_line("*passed*")


def test_server_cmd_that_dies(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_x():\n    pass\n")
    cmd = f"{sys.executable} -c 'import sys; print(\"boom: bad config\"); sys.exit(3)' {{port}}"
    result = pytester.runpytest_subprocess(f"--a2a-server-cmd={cmd}", "test_x.py")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*exited with status 3 before it was ready*",
                                 "*boom: bad config*"])


def test_server_cmd_killed_on_ctrl_c(pytester: pytest.Pytester, tmp_path: Path) -> None:
    pytester.makepyfile(textwrap.dedent("""
        import time
        def test_slow():
            time.sleep(60)
    """))
    pidfile = tmp_path / "pids"
    proc = subprocess.Popen(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", ".",
         f"--a2a-server-cmd={fake_agent_cmd('--pidfile', str(pidfile))}"],
        cwd=pytester.path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while not pidfile.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert pidfile.exists(), "server was not started"
        time.sleep(1.0)  # let the run reach the sleeping test
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    server_pid = int(pidfile.read_text().split()[0])
    assert wait_dead(server_pid), out.decode(errors="replace")
    assert b"KeyboardInterrupt" in out


def test_url_target(a2a_project: pytest.Pytester, fake_agent: Callable[..., str]) -> None:
    url = fake_agent("--dialects", "v1.0-rest")
    a2a_project.makepyfile(PROBE)
    result = a2a_project.runpytest(f"--a2a-url={url}/.well-known/agent-card.json", ".")
    result.assert_outcomes(passed=1)
    (probe,) = _probes(a2a_project.path)
    assert probe == {**probe, "booted": False, "rss": None, "pid": None, "url": url,
                     "dialect": "v1.0-rest"}


def test_unreachable_url_ends_run_with_reason(pytester: pytest.Pytester) -> None:
    from tests.plugin.helpers import free_port

    pytester.makepyfile("def test_x():\n    pass\n")
    result = pytester.runpytest(f"--a2a-url=http://127.0.0.1:{free_port()}", "test_x.py")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*target unusable*", "cannot read the agent card of *Connect*"])


EMBEDDED_PROBE = textwrap.dedent("""
    import json, os, pytest
    from pytest_a2a import script
    pytestmark = pytest.mark.asyncio

    @pytest.mark.a2a_requirement("demo.must")
    async def test_stream(a2a):
        with open("probe.jsonl", "a") as fh:
            fh.write(json.dumps({"pid": a2a.server_pid, "me": os.getpid(),
                                 "rss": a2a.server_rss(), "url": a2a.url}) + "\\n")
        assert a2a.booted and not a2a.in_process
        assert a2a.url.startswith("http://127.0.0.1:")
        res = await a2a.client.stream_collect(script.build([{"status": "completed"}]))
        a2a.check(res.reached_terminal(), expected="a terminal state",
                  actual=a2a.describe(res), stream=res)
""")


def _server_of(probes: list[dict[str, object]]) -> int:
    """The one embedded server all probes saw: its own process, not a test process."""
    pids = {p["pid"] for p in probes}
    assert len(pids) == 1, f"one embedded server per run, saw {pids}"
    (pid,) = pids
    assert isinstance(pid, int) and pid not in {p["me"] for p in probes}
    assert all(isinstance(p["rss"], int) and p["rss"] > 0 for p in probes)
    return pid


def test_embedded_reference_server_is_the_default(a2a_project: pytest.Pytester) -> None:
    """No target option: the reference server runs as a subprocess (its own GIL and memory),
    booted once, named in the header and the summary, and gone when the run ends."""
    a2a_project.makepyfile(EMBEDDED_PROBE)
    result = a2a_project.runpytest_subprocess("-v")
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines([
        "a2a target: embedded reference server (python -m reference_server --port 0, a "
        "subprocess booted when a2a tests are collected)",
        "*test_stream[[]v0.3-jsonrpc[]] PASSED*",
        "*test_stream[[]v1.0-jsonrpc[]] PASSED*",
        "*test_stream[[]v1.0-rest[]] PASSED*",
        "target: http://127.0.0.1:* (embedded reference server: *python* -m reference_server "
        "--port 0, pid *)*"])
    pid = _server_of(_probes(a2a_project.path))
    assert wait_dead(pid), "the embedded server must be stopped at the end of the run"


def test_embedded_server_shared_by_xdist_workers(a2a_project: pytest.Pytester) -> None:
    """Under xdist the controller boots one embedded server and hands it to every worker."""
    a2a_project.makepyfile(EMBEDDED_PROBE)
    result = a2a_project.runpytest_subprocess("-p", "xdist", "-n", "2")
    result.assert_outcomes(passed=3)
    pid = _server_of(_probes(a2a_project.path))
    result.stdout.fnmatch_lines([f"a2a target: http://127.0.0.1:* (embedded reference server: "
                                 f"*-m reference_server --port 0, pid {pid})"])
    assert wait_dead(pid), "the controller must stop the embedded server at the end"


BROKEN_EMBEDDED = textwrap.dedent("""
    import sys
    import pytest_a2a.run.target as target
    target.embedded_argv = lambda: [sys.executable, "-c",
                                    "import sys; print('boom: no port'); sys.exit(3)"]
""")


@pytest.mark.parametrize("xdist", [False, True], ids=["lazy", "xdist-controller"])
def test_embedded_server_that_dies_at_boot(a2a_project: pytest.Pytester, xdist: bool) -> None:
    """A dead embedded server is a target error with its output, not a hang or a traceback."""
    a2a_project.makeconftest(BROKEN_EMBEDDED)
    a2a_project.makepyfile(EMBEDDED_PROBE)
    result = a2a_project.runpytest_subprocess(*(["-p", "xdist", "-n", "2"] if xdist else []))
    text = result.stdout.str() + result.stderr.str()
    assert result.ret != pytest.ExitCode.OK, text
    assert "the embedded reference server exited with status 3 before it was ready" in text
    assert "boom: no port" in text
    assert "passed" not in result.stdout.str().splitlines()[-1]


def test_embedded_server_not_booted_without_a2a_tests(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(textwrap.dedent("""
        import os, sys, threading
        def test_plain():
            assert not any(m.startswith("reference_server") for m in sys.modules)
            assert not any("uvicorn" in t.name.lower() for t in threading.enumerate())
            assert "pytest_a2a.wire.client" not in sys.modules
            for pid in filter(str.isdigit, os.listdir("/proc")):
                try:
                    with open(f"/proc/{pid}/cmdline", "rb") as fh:
                        argv = fh.read().split(b"\\0")
                    with open(f"/proc/{pid}/stat") as fh:
                        parent = int(fh.read().rsplit(")", 1)[1].split()[1])
                except OSError:
                    continue
                mine = parent in (os.getpid(), os.getppid())
                assert not (mine and b"reference_server" in argv), argv
    """))
    result = pytester.runpytest_subprocess()
    result.assert_outcomes(passed=1)
    result = pytester.runpytest_subprocess("-p", "xdist", "-n", "2")
    result.assert_outcomes(passed=1)


def test_pid_of_server_cmd_is_the_server_not_a_shell(a2a_project: pytest.Pytester) -> None:
    a2a_project.makepyfile(PROBE)
    pidfile = a2a_project.path / "pids"
    result = a2a_project.runpytest(
        f"--a2a-server-cmd={fake_agent_cmd('--pidfile', str(pidfile))}", "--a2a-binding=rest",
        ".")
    result.assert_outcomes(passed=1)
    (probe,) = _probes(a2a_project.path)
    assert probe["pid"] == int(pidfile.read_text().split()[0]) != os.getpid()
