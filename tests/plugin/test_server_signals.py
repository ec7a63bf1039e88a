"""The booted server (``--a2a-server-cmd``, or the embedded reference server's subprocess)
dies with pytest when pytest is terminated (SIGTERM, SIGHUP, SIGKILL), not only on Ctrl-C;
signal handlers are restored afterwards."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from pytest_a2a.run import process as _process
from tests.plugin.helpers import fake_agent_cmd, pid_alive, wait_dead

SLEEPERS = {
    "sync": """
        import time
        def test_slow():
            time.sleep(60)
    """,
    "async": """
        import asyncio, pytest
        pytestmark = pytest.mark.asyncio

        @pytest.mark.a2a_requirement("demo.must")
        async def test_slow(a2a):
            await asyncio.sleep(60)
    """,
    # no target option: the embedded reference server; the test names its pid
    "embedded": """
        import asyncio, os, pytest
        pytestmark = pytest.mark.asyncio

        @pytest.mark.a2a_requirement("demo.must")
        async def test_slow(a2a):
            with open("pid.tmp", "w") as fh:
                fh.write(str(a2a.server_pid))
            os.replace("pid.tmp", os.environ["A2A_TEST_PIDFILE"])
            await asyncio.sleep(60)
    """,
}


def _wait_for(path: Path, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert path.exists(), f"{path.name} never appeared"


def _run_sleeper(project: pytest.Pytester, pidfile: Path, kind: str,
                 extra: list[str]) -> subprocess.Popen[bytes]:
    """pytest in a subprocess: a booted server (its pid in ``pidfile``) and a test that sleeps.

    Returns once that test runs (and ``pidfile`` is written)."""
    project.makepyfile(textwrap.dedent(SLEEPERS[kind]) + textwrap.dedent("""
        def setup_module():
            open("started", "w").close()
    """))
    target = [] if kind == "embedded" else [
        f"--a2a-server-cmd={fake_agent_cmd('--pidfile', str(pidfile))}"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *extra, ".", *target],
        cwd=project.path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        env={**os.environ, "A2A_TEST_PIDFILE": str(pidfile)},
    )
    try:
        _wait_for(project.path / "started")  # the server is up and a test is running
        _wait_for(pidfile)
    except BaseException:
        proc.kill()
        proc.wait(timeout=10)
        raise
    return proc


def _reaped(server_pid: int) -> bool:
    """Whether the server died; one that did not is killed so it does not leak into the run."""
    died = wait_dead(server_pid, timeout=10.0)
    if not died:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(server_pid, signal.SIGKILL)
    return died


@pytest.mark.parametrize(("signum", "kind", "xdist"), [
    (signal.SIGTERM, "sync", False),
    (signal.SIGTERM, "async", False),
    (signal.SIGHUP, "sync", False),
    (signal.SIGTERM, "sync", True),
    (signal.SIGTERM, "embedded", False),
    (signal.SIGHUP, "embedded", False),
    (signal.SIGTERM, "embedded", True),
], ids=["sigterm", "sigterm-in-async-test", "sighup", "sigterm-xdist", "sigterm-embedded",
        "sighup-embedded", "sigterm-embedded-xdist"])
def test_server_killed_when_pytest_gets_signal(a2a_project: pytest.Pytester, tmp_path: Path,
                                               signum: int, kind: str, xdist: bool) -> None:
    pidfile = tmp_path / "pids"
    proc = _run_sleeper(a2a_project, pidfile, kind, ["-p", "xdist", "-n", "1"] if xdist else [])
    try:
        time.sleep(0.3)
        proc.send_signal(signum)
        out, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
    text = out.decode(errors="replace")
    server_pid = int(pidfile.read_text().split()[0])
    assert _reaped(server_pid), f"server {server_pid} survived:\n{text}"
    assert proc.returncode == pytest.ExitCode.INTERRUPTED, text
    assert f"received {signal.Signals(signum).name}" in text, text


def test_embedded_server_killed_on_ctrl_c(a2a_project: pytest.Pytester, tmp_path: Path) -> None:
    pidfile = tmp_path / "pids"
    proc = _run_sleeper(a2a_project, pidfile, "embedded", [])
    try:
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
    text = out.decode(errors="replace")
    assert _reaped(int(pidfile.read_text())), text
    assert proc.returncode == pytest.ExitCode.INTERRUPTED and "KeyboardInterrupt" in text, text


def _start_fake(tmp_path: Path) -> _process.ServerProcess:
    return _process.start(fake_agent_cmd("--dialects", "v1.0-rest"), 20.0)


def test_handlers_installed_while_running_and_restored(tmp_path: Path) -> None:
    before = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGHUP)}
    assert all(h is signal.SIG_DFL for h in before.values())
    server = _start_fake(tmp_path)
    try:
        assert signal.getsignal(signal.SIGTERM) not in (signal.SIG_DFL, None)
        assert signal.getsignal(signal.SIGHUP) not in (signal.SIG_DFL, None)
    finally:
        server.stop()
    assert {s: signal.getsignal(s) for s in before} == before
    assert wait_dead(server.pid)


def test_ignored_or_foreign_handlers_are_left_alone(tmp_path: Path) -> None:
    def mine(signum: int, frame: object) -> None:
        pass

    old_hup = signal.signal(signal.SIGHUP, signal.SIG_IGN)  # as under nohup
    old_term = signal.signal(signal.SIGTERM, mine)
    try:
        server = _start_fake(tmp_path)
        try:
            assert signal.getsignal(signal.SIGHUP) is signal.SIG_IGN
            assert signal.getsignal(signal.SIGTERM) is mine
        finally:
            server.stop()
        assert signal.getsignal(signal.SIGHUP) is signal.SIG_IGN
        assert signal.getsignal(signal.SIGTERM) is mine
    finally:
        signal.signal(signal.SIGHUP, old_hup)
        signal.signal(signal.SIGTERM, old_term)


def test_no_handler_from_a_worker_thread(tmp_path: Path) -> None:
    seen: dict[str, object] = {}

    def boot() -> None:
        try:
            server = _start_fake(tmp_path)
            seen["handler"] = signal.getsignal(signal.SIGTERM)
            server.stop()
        except BaseException as exc:  # reported to the main thread
            seen["error"] = exc

    thread = threading.Thread(target=boot)
    thread.start()
    thread.join(timeout=30)
    assert "error" not in seen, seen
    assert seen["handler"] is signal.SIG_DFL


def test_signal_during_stop_does_not_interrupt_it(tmp_path: Path) -> None:
    server = _start_fake(tmp_path)
    try:
        assert signal.getsignal(signal.SIGTERM) == server._guard._handle  # else this kills us
        server.stopping = True  # as inside stop(): the handler must not raise
        signal.raise_signal(signal.SIGTERM)
    finally:
        server.stop()
    assert wait_dead(server.pid)


def test_second_signal_kills_server_at_once(tmp_path: Path) -> None:
    script = textwrap.dedent(f"""
        import signal
        from pytest_a2a.run import process as _process
        server = _process.start({fake_agent_cmd('--dialects', 'v1.0-rest')!r}, 20.0)
        print(server.pid, flush=True)
        try:
            signal.raise_signal(signal.SIGTERM)
        except _process.Terminated as exc:
            print("first:", exc, flush=True)
        signal.raise_signal(signal.SIGTERM)  # no teardown this time: the server must go anyway
        print("survived", flush=True)
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=60, cwd=Path(__file__).parents[2])
    lines = done.stdout.splitlines()
    assert done.returncode == -signal.SIGTERM, (done.stdout, done.stderr)
    assert lines[1] == ("first: pytest-a2a: received SIGTERM; stopping the run and the a2a "
                        "server"), lines
    assert "survived" not in done.stdout
    server_pid = int(lines[0])
    assert wait_dead(server_pid) and not pid_alive(server_pid)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
@pytest.mark.parametrize("kind", ["sync", "embedded"], ids=["server-cmd", "embedded"])
def test_server_dies_when_pytest_is_sigkilled(a2a_project: pytest.Pytester,
                                             tmp_path: Path, kind: str) -> None:
    """SIGKILL (a CI job timeout) runs no teardown: the kernel takes the server down with it."""
    pidfile = tmp_path / "pids"
    proc = _run_sleeper(a2a_project, pidfile, kind, [])
    proc.kill()
    proc.wait(timeout=10)
    server_pid = int(pidfile.read_text().split()[0])
    assert _reaped(server_pid), f"server {server_pid} outlived a SIGKILLed pytest"


@pytest.mark.parametrize("kind", ["missing", "not-executable"])
def test_unstartable_command_is_a_clear_boot_error(tmp_path: Path, kind: str) -> None:
    """The guard must not turn "cannot start" into a process that exits at once."""
    program = tmp_path / "server.sh"
    if kind == "not-executable":
        program.write_text("#!/bin/sh\nexit 0\n")
    with pytest.raises(_process.BootError) as err:
        _process.start(f"{program} --port {{port}}", 5.0)
    reason = "No such file" if kind == "missing" else "Permission denied"
    assert "cannot start" in str(err.value) and reason in str(err.value), err.value


def test_request_stop_terms_now_and_stop_reaps(tmp_path: Path) -> None:
    """The run's end SIGTERMs the server without waiting (its shutdown overlaps pytest's
    teardown); the log tail stays as it was when the tests ended; ``stop()`` still reaps it."""
    server = _start_fake(tmp_path)
    try:
        tail = server.log_tail()
        server.request_stop()
        with open(server.log_path, "ab") as fh:  # what a server may print while shutting down
            fh.write(b"shutting down\n")
        assert server.log_tail() == tail
        assert signal.getsignal(signal.SIGTERM) == server._guard._handle  # guarded until stop
        server.request_stop()  # idempotent
    finally:
        server.stop()
    assert wait_dead(server.pid)
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
