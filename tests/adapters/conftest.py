"""Fixtures: each adapter server as a real subprocess on a free loopback port.

The server is started with ``--port 0`` in its own process group, its "listening on URL"
line is awaited with a deadline, then its card; at the end the whole group is terminated
(killed if it does not exit in time). Nothing here waits without a bound.
"""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from ._wire import Dialect, declared_dialects

ROOT = Path(__file__).resolve().parents[2]
BOOT_TIMEOUT = 20.0
STOP_TIMEOUT = 5.0


@dataclass
class Server:
    name: str  # "a2a-sdk" | "fasta2a"
    url: str
    card: dict[str, Any]
    proc: subprocess.Popen[bytes]
    tolerate: frozenset[str] = frozenset()  # reported deviations neutralized in schema checks

    @property
    def dialects(self) -> dict[str, Dialect]:
        return {
            d: Dialect(d, url, self.tolerate) for d, url in declared_dialects(self.card).items()
        }


def _read_line(proc: subprocess.Popen[bytes], deadline: float) -> str:
    assert proc.stdout is not None
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    buf = b""
    try:
        while not buf.endswith(b"\n"):
            left = deadline - time.monotonic()
            if left <= 0 or not sel.select(left):
                raise TimeoutError("server printed no 'listening on' line in time")
            chunk = os.read(proc.stdout.fileno(), 4096)
            if not chunk:
                raise RuntimeError(f"server exited early (rc={proc.poll()})")
            buf += chunk
    finally:
        sel.close()
    return buf.decode().strip()


def _stop(proc: subprocess.Popen[bytes]) -> None:
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=STOP_TIMEOUT)
            return
        except subprocess.TimeoutExpired:
            continue


def start_server(
    name: str, module: str, tolerate: frozenset[str] = frozenset()
) -> Iterator[Server]:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", module, "--host", "127.0.0.1", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=None,
        env=env,
        cwd=ROOT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + BOOT_TIMEOUT
        line = _read_line(proc, deadline)
        assert line.startswith("listening on http://"), line
        url = line.removeprefix("listening on ")
        card = httpx.get(
            f"{url}/.well-known/agent-card.json", timeout=max(0.1, deadline - time.monotonic())
        )
        card.raise_for_status()
        yield Server(name, url, card.json(), proc, tolerate)
    finally:
        _stop(proc)


@pytest.fixture(scope="module")
def sdk_server() -> Iterator[Server]:
    pytest.importorskip("a2a.server.routes", reason="a2a-sdk[http-server] is not installed")
    yield from start_server("a2a-sdk", "pytest_a2a.adapters.a2a_sdk")


@pytest.fixture(scope="module")
def fasta2a_server() -> Iterator[Server]:
    pytest.importorskip("fasta2a", reason="fasta2a is not installed")
    # fasta2a writes naive local timestamps (no "Z"): reported, see test_fasta2a.py.
    yield from start_server(
        "fasta2a", "pytest_a2a.adapters.fasta2a", frozenset({"naive-timestamps"})
    )
