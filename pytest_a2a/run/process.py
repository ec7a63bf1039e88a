"""Boot the server under test (``--a2a-server-cmd``, or the embedded reference server's
``python -m reference_server --port 0``) and always kill it.

The command runs in its own process group (so a wrapper script's children die with it), with
stdout+stderr captured to a log file whose tail is shown whenever something goes wrong.
Readiness = its agent card answers HTTP 200, within a deadline derived from ``--a2a-timeout``.

The server lives in its own session, so a signal that ends pytest never reaches it. Ctrl-C
already unwinds into the teardown that stops it; while it runs, SIGTERM and SIGHUP (CI
cancelling a job, a closed terminal) are made to take that same path (``_SignalGuard``).
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from types import FrameType
from typing import Any

import httpx

CARD_PATH = "/.well-known/agent-card.json"
LOG_TAIL_LINES = 40
#: what a server started on port 0 prints once it accepts (the reference server's CLI does)
ANNOUNCE = re.compile(rb"listening on (https?://[^\s/]+)")


class BootError(RuntimeError):
    """The server command did not become ready (message includes its log tail)."""


class Terminated(KeyboardInterrupt):
    """pytest got SIGTERM/SIGHUP while it ran the server: unwind like Ctrl-C, so the normal
    teardown (and ``config`` cleanup) stops the server and the run ends as interrupted."""

    def __init__(self, signum: int) -> None:
        self.signum = signum
        name = signal.Signals(signum).name
        super().__init__(f"pytest-a2a: received {name}; stopping the run and the a2a server")


_GUARDED = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name))


class _SignalGuard:
    """Turns SIGTERM/SIGHUP into ``Terminated`` while a ``ServerProcess`` runs.

    Installed only from the main thread (Python's rule) and only over the default action: a
    signal someone else handles or ignores (``nohup``) keeps its meaning. A second signal
    before teardown began means "now": the group is SIGKILLed and the signal delivered again
    under the previous handler. Signals during ``stop()`` are ignored: teardown is already
    under way, and interrupting it is what would orphan the server.
    """

    def __init__(self, server: ServerProcess) -> None:
        self.server = server
        self.previous: dict[int, Any] = {}
        self.received: int | None = None

    def install(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return
        for signum in _GUARDED:
            if signal.getsignal(signum) is signal.SIG_DFL:
                self.previous[signum] = signal.signal(signum, self._handle)

    def restore(self) -> None:
        previous, self.previous = self.previous, {}
        for signum, handler in previous.items():
            if signal.getsignal(signum) == self._handle:  # never clobber a later handler
                signal.signal(signum, handler)

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.server.stopping:
            return  # teardown already under way: let it finish
        if self.received is None:
            self.received = signum
            raise Terminated(signum)
        self.server.kill_now()
        self.restore()
        signal.raise_signal(signum)


def _guarded(argv: list[str]) -> list[str]:
    """``argv`` run through :mod:`pytest_a2a.run.orphan_guard` where the kernel supports it.

    A missing executable stays an immediate ``OSError`` (a clear boot error), not a guard
    process that exits at once. Only from the main thread: the kernel ties the signal to the
    *thread* that forked, and a worker thread may end long before pytest does."""
    if (not sys.platform.startswith("linux") or not argv
            or threading.current_thread() is not threading.main_thread()):
        return argv
    if shutil.which(argv[0]) is None:  # the error Popen itself would raise
        if os.sep in argv[0] and os.path.exists(argv[0]):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), argv[0])
        raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), argv[0])
    return [sys.executable, "-m", "pytest_a2a.run.orphan_guard", str(os.getpid()), *argv]


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def boot_deadline(total: float) -> float:
    """Seconds a server may take to answer its card: 3 × the budget, at least 5, at most 120."""
    return max(5.0, min(120.0, 3 * total))


class ServerProcess:
    """A started server process; ``stop()`` is idempotent and bounded.

    ``command`` with ``{port}`` runs on a free port picked here. With ``argv`` instead, the
    server picks its own port (``--port 0``: no window in which another process can take it)
    and its URL is read from the ``listening on URL`` line it prints."""

    def __init__(self, command: str, *, host: str = "127.0.0.1", argv: list[str] | None = None,
                 env: dict[str, str] | None = None, label: str = "--a2a-server-cmd") -> None:
        self.label = label  # how messages name this server
        if argv is None:
            self.port: int | None = free_port(host)
            self.url = f"http://{host}:{self.port}"
            self.command = command.replace("{port}", str(self.port))
            self.argv = shlex.split(self.command)
        else:
            self.port, self.url = None, ""  # known once announced
            self.command, self.argv = command, list(argv)
        fd, log_name = tempfile.mkstemp(prefix="a2a-server-", suffix=".log")
        self.log_path = Path(log_name)
        self._log = os.fdopen(fd, "wb")
        self.stopping = False
        #: when ``request_stop`` sent SIGTERM (monotonic), and how long the log was then
        self._termed_at: float | None = None
        self._log_end: int | None = None
        self._guard = _SignalGuard(self)
        self._guard.install()  # before Popen: no window where a SIGTERM orphans the server
        try:
            self.proc = subprocess.Popen(
                _guarded(self.argv),
                stdin=subprocess.DEVNULL,
                stdout=self._log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # own process group: killed as a whole
                env=env,
            )
        except BaseException as exc:
            self._guard.restore()
            self._log.close()
            if not isinstance(exc, OSError):
                raise
            raise BootError(f"{label}: cannot start {self.command!r}: {exc}") from None
        self.pid = self.proc.pid

    def _announced(self) -> str:
        """The URL from the server's ``listening on URL`` line, "" while it has not printed it."""
        try:
            with open(self.log_path, "rb") as fh:
                head = fh.read(64 * 1024)
        except OSError:
            return ""
        found = ANNOUNCE.search(head)
        if found is None:
            return ""
        self.port = int(found.group(1).rsplit(b":", 1)[1])
        return found.group(1).decode("ascii")

    def log_tail(self, lines: int = LOG_TAIL_LINES) -> str:
        """The log's last lines; once ``request_stop`` ran, as they were when the tests ended
        (not the server's shutdown messages)."""
        try:
            with open(self.log_path, "rb") as fh:
                data = fh.read() if self._log_end is None else fh.read(self._log_end)
        except OSError:
            return "(no log)"
        text = data.decode("utf-8", errors="replace")
        tail = text.splitlines()[-lines:]
        return "\n".join(tail) if tail else "(the server printed nothing)"

    def _why(self, headline: str) -> str:
        return (
            f"{headline}\n  command: {self.command}\n  log ({self.log_path}), last lines:\n"
            + "\n".join("    " + line for line in self.log_tail().splitlines())
        )

    def wait_ready(self, deadline_s: float, headers: dict[str, str] | None = None) -> None:
        """Poll the agent card until HTTP 200; raise ``BootError`` on death or timeout.

        Readiness accepts every card path discovery accepts (current and legacy), so a server
        that serves its card only at the legacy path still boots and gets an honest verdict
        on ``card.well-known`` instead of aborting the whole run.
        """
        from pytest_a2a.wire.card import card_urls
        from pytest_a2a.wire.tls import tls_context

        end = time.monotonic() + deadline_s
        last = "no answer yet"
        with httpx.Client(headers=headers, timeout=1.0, verify=tls_context()) as client:
            while True:
                code = self.proc.poll()
                if code is not None:
                    raise BootError(self._why(
                        f"{self.label} exited with status {code} before it was ready"))
                if not self.url:
                    self.url = self._announced()
                    last = "it has not printed 'listening on URL' yet"
                if self.url:
                    last = self._card_answer(client, card_urls(self.url), last)
                    if not last:
                        return
                if time.monotonic() >= end:
                    self.stop()
                    where = f"at {self.url}{CARD_PATH}" if self.url else "(no URL announced)"
                    raise BootError(self._why(
                        f"{self.label}: no agent card {where} after {deadline_s:g}s "
                        f"(3 × --a2a-timeout, min 5 s); last: {last}"))
                time.sleep(0.02)  # a file read and a loopback GET: cheap to poll

    @staticmethod
    def _card_answer(client: httpx.Client, candidates: list[str], last: str) -> str:
        """"" once a card URL answers HTTP 200, else what went wrong (for the boot error)."""
        try:
            for candidate in candidates:
                resp = client.get(candidate)
                if resp.status_code == 200:
                    return ""
                last = f"HTTP {resp.status_code} from {candidate}"
        except httpx.HTTPError as exc:
            last = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        return last

    def alive(self) -> bool:
        return self.proc.poll() is None

    def kill_now(self) -> None:
        """SIGKILL the whole group without waiting (safe inside a signal handler)."""
        pid = getattr(self, "pid", None)  # None: the signal came before Popen returned
        if pid is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGKILL)

    def request_stop(self) -> None:
        """SIGTERM the group without waiting: the tests are over, so the server's shutdown
        runs beside pytest's own teardown. ``stop()`` still waits for it and kills."""
        if self._termed_at is not None or self.proc.poll() is not None:
            return
        with contextlib.suppress(OSError):
            self._log_end = self.log_path.stat().st_size
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, signal.SIGTERM)
        self._termed_at = time.monotonic()

    def stop(self, grace: float = 3.0) -> None:
        """SIGTERM the process group, SIGKILL it after ``grace`` seconds; close the log."""
        self.stopping = True
        try:
            self._stop(grace)
        finally:
            self._guard.restore()

    def _stop(self, grace: float) -> None:
        if self.proc.poll() is None:
            if self._termed_at is None:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(self.pid, signal.SIGTERM)
                self._termed_at = time.monotonic()
            try:
                self.proc.wait(timeout=max(0.0, grace - (time.monotonic() - self._termed_at)))
            except subprocess.TimeoutExpired:
                pass
        # the leader may be gone while its children live on: kill what is left of the group
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=grace)
        if not self._log.closed:
            self._log.close()

    def remove_log(self) -> None:
        with contextlib.suppress(OSError):
            self.log_path.unlink()


def start(command: str, deadline_s: float, headers: dict[str, str] | None = None, *,
          argv: list[str] | None = None, env: dict[str, str] | None = None,
          label: str = "--a2a-server-cmd") -> ServerProcess:
    """Start a server and wait until it serves its card (killed on failure); see
    ``ServerProcess`` for ``command`` with ``{port}`` versus an announcing ``argv``."""
    server = ServerProcess(command, argv=argv, env=env, label=label)
    try:
        server.wait_ready(deadline_s, headers)
    except BaseException:  # also Ctrl-C during the wait: never leave it running
        server.stop()
        raise
    return server


def rss_bytes(pid: int) -> int | None:
    """Resident set size of ``pid`` from /proc (None where unavailable)."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None
