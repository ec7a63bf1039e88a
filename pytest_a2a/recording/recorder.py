"""``--a2a-record DIR``: one ``a2a-recording/1`` file per test, written while the test runs.

The recorder is the :mod:`pytest_a2a.wire.observe` observer of the running test; exchanges
still open when the test ends (streams a scenario left behind) are ended as ``client-left``
so every file is complete. Files are named after the test id, so xdist workers never share one.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Generator, Iterable
from pathlib import Path

import pytest

from pytest_a2a.recording.jsonl import SUFFIX, ExchangeWriter, RecordingWriter
from pytest_a2a.wire import observe

_UNSAFE = re.compile(r"[^A-Za-z0-9._\-\[\]=+]+")
MAX_NAME = 160


def file_name(nodeid: str) -> str:
    """A file name for a test id: readable, unique, short enough for every file system."""
    name = _UNSAFE.sub("_", nodeid.replace("::", "--")).strip("_.")
    if len(name) > MAX_NAME:
        digest = hashlib.sha1(nodeid.encode()).hexdigest()[:10]
        name = f"{name[:MAX_NAME - 11]}-{digest}"
    return name + SUFFIX


class Recorder:
    """Observer for one test: opens its file on the first exchange."""

    def __init__(self, writer: RecordingWriter) -> None:
        self.writer = writer
        self.open: list[tuple[ExchangeWriter, float]] = []

    def exchange(self, *, op: str, dialect: str | None, method: str, url: str,
                 headers: Iterable[tuple[str, str]], body: bytes | None) -> ExchangeWriter:
        ex = self.writer.exchange(op=op, dialect=dialect, method=method, url=url,
                                  headers=headers, body=body)
        self.open.append((ex, time.monotonic()))
        return ex

    def finish(self) -> None:
        """End what the test left open (its client is gone), then close the file."""
        now = time.monotonic()
        for ex, started in self.open:
            ex.end(now - started, "closed-by-client", "still open when the test ended")
        self.open.clear()
        self.writer.close()


class RecordPlugin:
    """Installs a :class:`Recorder` around each test's setup, call and teardown."""

    def __init__(self, directory: Path, *, cap: int, redact: Iterable[str],
                 budget: float) -> None:
        self.directory = directory
        self.cap = cap
        self.redact = tuple(redact)
        self.budget = budget
        self.files = 0

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_protocol(self, item: pytest.Item) -> Generator[None, object, object]:
        writer = RecordingWriter(self.directory / file_name(item.nodeid), test=item.nodeid,
                                 cap=self.cap, redact_names=self.redact, budget=self.budget)
        recorder = Recorder(writer)
        previous = observe.install(recorder)
        try:
            return (yield)
        finally:
            observe.install(previous)
            recorder.finish()
            if writer.bytes_written:
                self.files += 1
