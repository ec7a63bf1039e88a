"""Fixtures: real reference servers on loopback ports, and clients for the three dialects."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator

import httpx
import pytest
import pytest_asyncio
from rs_wire import DIALECTS, Wire

import reference_server


@pytest.fixture(scope="module")
def server() -> Iterator[reference_server.RunningServer]:
    """A clean reference server shared by one module's tests (each test makes its own tasks)."""
    with reference_server.start() as running:
        yield running


@pytest.fixture
def make_server() -> Iterator[Callable[..., reference_server.RunningServer]]:
    """Start servers with faults/variants for one test; all are stopped afterwards."""
    started: list[reference_server.RunningServer] = []

    def make(**kwargs: object) -> reference_server.RunningServer:
        running = reference_server.start(**kwargs)  # type: ignore[arg-type]
        started.append(running)
        return running

    yield make
    for running in started:
        running.stop()


@pytest_asyncio.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    limits = httpx.Limits(max_connections=None, max_keepalive_connections=50)
    async with httpx.AsyncClient(limits=limits, timeout=10.0) as client:
        yield client


@pytest.fixture(params=DIALECTS)
def dialect(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def wire(server: reference_server.RunningServer, http: httpx.AsyncClient, dialect: str) -> Wire:
    return Wire(server.url, dialect, http)
