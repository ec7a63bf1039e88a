"""Fixtures for the plugin's own tests: pytester projects wired to real loopback servers."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator

import httpx
import pytest

from tests.plugin.helpers import FAKE_AGENT, REQUIREMENTS, free_port


def _preload(*packages: str) -> None:
    """Import whole packages up front: in-process pytester runs drop modules first imported
    during a run, and a re-imported httpcore raises exception classes httpx does not map."""
    import importlib
    import pkgutil

    for name in packages:
        pkg = importlib.import_module(name)
        for info in pkgutil.walk_packages(pkg.__path__, name + "."):
            try:
                importlib.import_module(info.name)
            except Exception:  # optional backends (trio, socks...) may be absent
                continue


_preload("httpcore", "httpx", "anyio", "uvicorn", "starlette", "h11")


@pytest.fixture
def a2a_project(pytester: pytest.Pytester) -> pytest.Pytester:
    """A pytester project with the demo requirements registered via ini ``a2a_requirements``."""
    pytester.makefile(".toml", demo_requirements=REQUIREMENTS)
    pytester.makeini(textwrap.dedent("""
        [pytest]
        a2a_requirements = demo_requirements.toml
        asyncio_default_fixture_loop_scope = function
    """))
    return pytester


@pytest.fixture(scope="session")
def fake_agent() -> Iterator[Callable[..., str]]:
    """Start fake agents on demand (``fake_agent("--dialects", "v1.0-rest")`` -> base URL)."""
    procs: list[subprocess.Popen[bytes]] = []
    started: dict[tuple[str, ...], str] = {}

    def start(*extra: str) -> str:
        if extra in started:
            return started[extra]
        port = free_port()
        proc = subprocess.Popen([sys.executable, str(FAKE_AGENT), "--port", str(port), *extra],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        procs.append(proc)
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                if httpx.get(url + "/.well-known/agent-card.json", timeout=1).status_code == 200:
                    started[extra] = url
                    return url
            except httpx.HTTPError:
                pass
            assert proc.poll() is None, "fake agent died"
            time.sleep(0.05)
        raise AssertionError("fake agent did not start")

    yield start
    for proc in procs:
        proc.terminate()
        proc.wait(timeout=5)
