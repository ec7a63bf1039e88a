"""``observe.tape`` / ``observe.replay``: a shared answer's exchanges are shown to every test
that judges it, as if it had made the calls (recordings, root-cause tally)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest

import reference_server
from pytest_a2a import script
from pytest_a2a.budget import Budget
from pytest_a2a.recording.jsonl import RecordingWriter, read
from pytest_a2a.recording.recorder import Recorder
from pytest_a2a.wire import observe
from pytest_a2a.wire.card import discover_sync
from pytest_a2a.wire.client import A2AClient

Event = tuple[object, ...]


class Log:
    """An observer that notes every call, in order, as plain tuples."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self.n = 0

    def exchange(self, *, op: str, dialect: str | None, method: str, url: str,
                 headers: Iterable[tuple[str, str]], body: bytes | None) -> _LogExchange:
        self.n += 1
        self.events.append((self.n, "start", op, dialect, method, url, tuple(headers), body))
        return _LogExchange(self, self.n)


class _LogExchange:
    def __init__(self, log: Log, x: int) -> None:
        self.log, self.x = log, x

    def response(self, t: float, status: int, headers: Iterable[tuple[str, str]]) -> None:
        self.log.events.append((self.x, "response", t, status, tuple(headers)))

    def chunk(self, t: float, data: bytes) -> None:
        self.log.events.append((self.x, "chunk", t, data))

    def end(self, t: float, live_end: str, reason: str = "") -> None:
        self.log.events.append((self.x, "end", t, live_end, reason))


def _chunks(log: Log) -> list[bytes]:
    return [e[3] for e in log.events if e[1] == "chunk" and isinstance(e[3], bytes)]


@pytest.fixture(autouse=True)
def no_observer() -> Iterator[None]:
    previous = observe.install(None)
    yield
    observe.install(previous)


def _exchange(body: bytes | None = b"{}", chunks: Iterable[bytes] = (b"ab", b"cd"),
              end: tuple[str, str] | None = ("closed", "")) -> None:
    """What the transport does for one exchange."""
    obs = observe.start(op="stream", dialect="v1.0-rest", method="POST", url="http://x/m",
                        headers=iter([("a", "1")]), body=body)
    assert obs is not None
    obs.response(0.01, 200, iter([("content-type", "text/event-stream")]))
    for i, data in enumerate(chunks):
        obs.chunk(0.02 + i / 100, data)
    if end is not None:
        obs.end(0.5, *end)


def test_a_tape_forwards_and_replays_the_same_calls() -> None:
    live = Log()
    observe.install(live)
    with observe.tape() as tape:
        _exchange()
        _exchange(body=None, chunks=(b"x",), end=("transport-error", "ReadError: reset"))
    assert observe.install(None) is live  # the previous observer is back
    assert len(live.events) == 5 + 4  # start, response, chunks..., end
    later = Log()
    observe.install(later)
    observe.replay(tape)
    assert later.events == live.events  # one-shot header iterables were not consumed twice
    assert not tape.cut


def test_replay_with_nobody_watching_does_nothing_and_a_tape_needs_no_observer() -> None:
    with observe.tape() as tape:
        _exchange()
    assert observe.start(op="x", dialect=None, method="GET", url="u", headers=(), body=None) \
        is None
    observe.replay(tape)  # no observer: nothing to do
    log = Log()
    observe.install(log)
    observe.replay(tape)
    assert [e[1] for e in log.events] == ["start", "response", "chunk", "chunk", "end"]


def test_the_previous_observer_is_back_after_an_error() -> None:
    live = Log()
    observe.install(live)
    with pytest.raises(RuntimeError), observe.tape():
        raise RuntimeError("boom")
    assert observe.install(None) is live


def test_past_its_cap_a_tape_keeps_counts_not_bytes_and_says_it_was_cut() -> None:
    live = Log()
    observe.install(live)
    with observe.tape(cap=5) as tape:
        _exchange(chunks=(b"abc", b"defg", b"hi"))  # cut inside the second chunk
        _exchange(chunks=(b"z", b"zzzzzz", b"z"), end=("open-after-terminal", "no close"))
        _exchange(chunks=(b"12345",))  # the cap is per exchange: nothing starves this one
    # the live observer saw every byte
    assert b"".join(_chunks(live)) == b"abcdefghizzzzzzzz12345"
    assert tape.cut and tape.kept == 15
    later = Log()
    observe.install(later)
    observe.replay(tape)
    # no later chunk of a cut exchange: a tape has no holes
    assert _chunks(later) == [b"abc", b"de", b"z", b"zzzz", b"12345"]
    ends = [e for e in later.events if e[1] == "end"]
    assert ends[0][2:] == (0.5, observe.CUT_END, "the tape kept 5 bytes of this answer, not "
                           "the 4 after them; it ended live: closed")
    assert ends[1][2:] == (0.5, observe.CUT_END, "the tape kept 5 bytes of this answer, not "
                           "the 3 after them; it ended live: open-after-terminal (no close)")
    assert ends[2][2:] == (0.5, "closed", "")


def test_an_exchange_still_open_when_the_tape_stops_ends_on_replay() -> None:
    live = Log()
    observe.install(live)
    with observe.tape() as tape:
        obs = observe.start(op="stream", dialect=None, method="POST", url="u", headers=(),
                            body=None)
        assert obs is not None
        obs.response(0.1, 200, [])
        obs.chunk(0.2, b"a")
    obs.chunk(0.3, b"b")  # after the window: forwarded, not taped
    obs.end(0.4, "closed")
    assert [e[1] for e in live.events] == ["start", "response", "chunk", "chunk", "end"]
    later = Log()
    observe.install(later)
    observe.replay(tape)
    assert later.events[2:] == [(1, "chunk", 0.2, b"a"),
                                (1, "end", 0.2, observe.CUT_END,
                                 "still open when the tape stopped")]


def test_detached_tapes_keep_each_task_s_exchanges_and_show_nobody() -> None:
    """Runs performed ahead, side by side (agent_sessions): each task's exchanges go to its own
    tape, interleaved as they are, and the test running meanwhile is shown none of them."""
    live = Log()
    observe.install(live)

    async def run(name: bytes, turns: int) -> observe.Tape:
        with observe.detached_tape() as tape:
            for _ in range(turns):
                _exchange(chunks=(name,))
                await asyncio.sleep(0)  # the other task's exchange comes in between
        return tape

    async def both() -> list[observe.Tape]:
        return list(await asyncio.gather(run(b"one", 3), run(b"two", 2)))

    one, two = asyncio.run(both())
    assert live.events == []  # nothing reached the running test's observer
    assert one.closed and two.closed
    for tape, name, turns in ((one, b"one", 3), (two, b"two", 2)):
        shown = Log()
        observe.install(shown)
        observe.replay(tape)
        assert _chunks(shown) == [name] * turns
    observe.install(live)
    _exchange()  # after the blocks: to the installed observer again
    assert [e[1] for e in live.events] == ["start", "response", "chunk", "chunk", "end"]


# -- against the reference server: a replayed recording holds what a live one holds ---------

@pytest.fixture(scope="module")
def ref() -> Iterator[reference_server.RunningServer]:
    with reference_server.start() as server:
        yield server


def _records(path: Path) -> list[dict[str, object]]:
    """The records of a recording, without what differs between two tests' files."""
    out = []
    for line in path.read_text().splitlines():
        rec = json.loads(line)
        if rec["rec"] == "recording":
            continue
        rec.pop("at", None)
        out.append(rec)
    return out


@pytest.mark.asyncio
@pytest.mark.parametrize("dialect", ["v0.3-jsonrpc", "v1.0-rest"])
async def test_a_replayed_recording_equals_the_live_one(ref: reference_server.RunningServer,
                                                        tmp_path: Path, dialect: str) -> None:
    budget = Budget(5.0)
    url = discover_sync(ref.url, timeout=budget.call).interfaces[dialect]
    text = script.build([{"status": "working"}, {"artifact": {"id": "a", "text": "hi"}},
                         {"status": "completed"}])
    live = Recorder(RecordingWriter(tmp_path / "live.a2a.jsonl", test="live"))
    observe.install(live)
    async with A2AClient(url, dialect, budget) as client:
        with observe.tape() as tape:
            res = await client.stream_collect(text)
            assert res.task_id is not None
            got = await client.get_task(res.task_id)
    assert res.end == "closed" and got.ok
    live.finish()
    later = Recorder(RecordingWriter(tmp_path / "later.a2a.jsonl", test="later"))
    observe.install(later)
    observe.replay(tape)
    later.finish()
    assert _records(tmp_path / "later.a2a.jsonl") == _records(tmp_path / "live.a2a.jsonl")
    path = tmp_path / "later.a2a.jsonl"
    replayed = read(path, path.read_text())
    assert [ex.op for ex in replayed.exchanges] == ["stream", "get"]
    assert all(ex.end == "closed" and not ex.truncated for ex in replayed.exchanges)
