"""Boot the server under test from ``--a2a-server-cmd`` and always kill it.

The command runs in its own process group (so a wrapper script's children die with it), with
stdout+stderr captured to a log file whose tail is shown whenever something goes wrong.
Readiness = its agent card answers HTTP 200, within a deadline derived from ``--a2a-timeout``.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import httpx

CARD_PATH = "/.well-known/agent-card.json"
LOG_TAIL_LINES = 40


class BootError(RuntimeError):
    """The server command did not become ready (message includes its log tail)."""


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def boot_deadline(total: float) -> float:
    """Seconds a server may take to answer its card: 3 × the budget, at least 5, at most 120."""
    return max(5.0, min(120.0, 3 * total))


class ServerProcess:
    """A started ``--a2a-server-cmd`` process; ``stop()`` is idempotent and bounded."""

    def __init__(self, command: str, *, host: str = "127.0.0.1") -> None:
        self.port = free_port(host)
        self.url = f"http://{host}:{self.port}"
        self.command = command.replace("{port}", str(self.port))
        self.argv = shlex.split(self.command)
        fd, log_name = tempfile.mkstemp(prefix="a2a-server-", suffix=".log")
        self.log_path = Path(log_name)
        self._log = os.fdopen(fd, "wb")
        try:
            self.proc = subprocess.Popen(
                self.argv,
                stdin=subprocess.DEVNULL,
                stdout=self._log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # own process group: killed as a whole
            )
        except OSError as exc:
            self._log.close()
            raise BootError(f"--a2a-server-cmd: cannot start {self.command!r}: {exc}") from None
        self.pid = self.proc.pid

    def log_tail(self, lines: int = LOG_TAIL_LINES) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return "(no log)"
        tail = text.splitlines()[-lines:]
        return "\n".join(tail) if tail else "(the server printed nothing)"

    def _why(self, headline: str) -> str:
        return (
            f"{headline}\n  command: {self.command}\n  log ({self.log_path}), last lines:\n"
            + "\n".join("    " + line for line in self.log_tail().splitlines())
        )

    def wait_ready(self, deadline_s: float, headers: dict[str, str] | None = None) -> None:
        """Poll the agent card until HTTP 200; raise ``BootError`` on death or timeout."""
        end = time.monotonic() + deadline_s
        last = "no answer yet"
        with httpx.Client(headers=headers, timeout=1.0) as client:
            while True:
                code = self.proc.poll()
                if code is not None:
                    raise BootError(self._why(
                        f"--a2a-server-cmd exited with status {code} before it was ready"))
                try:
                    resp = client.get(self.url + CARD_PATH)
                    if resp.status_code == 200:
                        return
                    last = f"HTTP {resp.status_code} from {CARD_PATH}"
                except httpx.HTTPError as exc:
                    last = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
                if time.monotonic() >= end:
                    self.stop()
                    raise BootError(self._why(
                        f"--a2a-server-cmd: no agent card at {self.url}{CARD_PATH} after "
                        f"{deadline_s:g}s (3 × --a2a-timeout, min 5 s); last: {last}"))
                time.sleep(0.05)

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self, grace: float = 3.0) -> None:
        """SIGTERM the process group, SIGKILL it after ``grace`` seconds; close the log."""
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=grace)
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


def start(command: str, deadline_s: float, headers: dict[str, str] | None = None) -> ServerProcess:
    """Start ``command`` on a free port and wait until it serves its card (killed on failure)."""
    server = ServerProcess(command)
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
