"""Exec a booted server so that it dies with pytest, even when pytest is SIGKILLed (Linux).

pytest's signal handlers stop the server on Ctrl-C, SIGTERM and SIGHUP, but a SIGKILL (a CI
job's timeout, the OOM killer) runs no code in pytest: only the kernel can still do it.
``PR_SET_PDEATHSIG`` survives ``exec``, so this process arms it and then *becomes* the server
(same pid, same process group): ``python -m pytest_a2a.run.orphan_guard PARENT_PID ARGV...``.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys

PR_SET_PDEATHSIG = 1


def main(args: list[str]) -> int:
    parent, argv = int(args[0]), args[1:]
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):  # no prctl here: the signal handlers still cover most
        pass
    if os.getppid() != parent:  # pytest died before the guard was armed
        return 1
    try:
        os.execvp(argv[0], argv)
    except OSError as exc:
        print(f"--a2a-server-cmd: cannot start {argv[0]!r}: {exc}", file=sys.stderr)
        return 127
    return 0  # not reached: exec replaced this process


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
