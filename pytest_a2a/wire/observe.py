"""A hook to watch every exchange the transport makes, without the wire layer knowing why.

``--a2a-record`` and the root-cause tally install an :class:`Observer` for the running test;
the transport reports each request, its response headers, every body chunk as read (with the
stream's own arrival time) and how the exchange ended. Nothing is buffered or decided here:
with no observer installed (the default) every hook is one ``None`` check.

A scenario that judges an answer shared with other scenarios (read once per process) makes no
exchange of its own, yet its evidence is that answer's. :func:`tape` records the exchanges
of the work that reads it (while forwarding them to the current observer as usual), and
:func:`replay` plays them again to whoever watches a later test, as if it had made the calls.
:func:`detached_tape` tapes work done ahead for other tests (several runs at once, each in its
own task): its exchanges reach no observer until a test that judges them replays them.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Protocol

__all__ = ["TAPE_CAP", "ExchangeObserver", "Observer", "Tape", "detached_tape", "install",
           "replay", "start", "tape"]

Headers = tuple[tuple[str, str], ...]


class ExchangeObserver(Protocol):
    """Told about one exchange, in order: ``response``, ``chunk``..., then ``end`` once."""

    def response(self, t: float, status: int, headers: Iterable[tuple[str, str]]) -> None: ...

    def chunk(self, t: float, data: bytes) -> None: ...

    def end(self, t: float, live_end: str, reason: str = "") -> None: ...


class Observer(Protocol):
    def exchange(self, *, op: str, dialect: str | None, method: str, url: str,
                 headers: Iterable[tuple[str, str]], body: bytes | None) -> ExchangeObserver: ...


_current: Observer | None = None
#: a task's own tape (:func:`detached_tape`): its exchanges go there, not to ``_current``
_detached: ContextVar[Observer | None] = ContextVar("a2a_detached_tape", default=None)


def install(observer: Observer | None) -> Observer | None:
    """Make ``observer`` watch every exchange from now on (None: stop); returns the previous."""
    global _current
    previous, _current = _current, observer
    return previous


def start(*, op: str, dialect: str | None, method: str, url: str,
          headers: Iterable[tuple[str, str]], body: bytes | None) -> ExchangeObserver | None:
    """A new exchange is being sent: its observer, or None when nobody watches."""
    watcher = _detached.get() or _current
    if watcher is None:
        return None
    return watcher.exchange(op=op, dialect=dialect, method=method, url=url, headers=headers,
                             body=body)


#: body bytes a tape keeps of one exchange (16x the default recording cap, so the recording of
#: a cut exchange is already marked truncated by its own cap)
TAPE_CAP = 1024 * 1024
#: how a replayed exchange ends when its tape did not keep all of it
CUT_END = "closed-by-client"


@dataclass
class _Taped:
    """One exchange as the transport reported it (body chunks up to the tape's cap)."""

    op: str
    dialect: str | None
    method: str
    url: str
    headers: Headers
    body: bytes | None
    response: tuple[float, int, Headers] | None = None
    chunks: list[tuple[float, bytes]] = field(default_factory=list)
    kept: int = 0  # body bytes in ``chunks``
    dropped: int = 0  # body bytes past the cap, not kept
    end: tuple[float, str, str] | None = None


class Tape:
    """The exchanges made while it was installed (see :func:`tape`), replayable by
    :func:`replay`. Bounded: past ``cap`` body bytes of an exchange it keeps no more of its
    chunks, only their count (a huge answer is never held twice, and does not starve the
    exchanges after it)."""

    def __init__(self, inner: Observer | None, cap: int = TAPE_CAP) -> None:
        self.inner = inner  # the observer the taped exchanges are also forwarded to
        self.cap = cap
        self.exchanges: list[_Taped] = []
        self.closed = False  # past its window: later events are forwarded, not taped

    @property
    def kept(self) -> int:
        """Body bytes kept, all exchanges."""
        return sum(x.kept for x in self.exchanges)

    @property
    def cut(self) -> bool:
        """Some body bytes were not kept (their exchanges replay with a :data:`CUT_END`)."""
        return any(x.dropped for x in self.exchanges)

    def exchange(self, *, op: str, dialect: str | None, method: str, url: str,
                 headers: Iterable[tuple[str, str]], body: bytes | None) -> ExchangeObserver:
        pairs = tuple(headers)
        inner = (self.inner.exchange(op=op, dialect=dialect, method=method, url=url,
                                     headers=pairs, body=body)
                 if self.inner is not None else None)
        taped = _Taped(op, dialect, method, url, pairs, body)
        if not self.closed:  # (re-installed by an observer that saved it: forward only)
            self.exchanges.append(taped)
        return _TapedExchange(self, taped, inner)


class _TapedExchange:
    """Forwards one exchange's events to the inner observer and keeps them on the tape."""

    def __init__(self, tape: Tape, taped: _Taped, inner: ExchangeObserver | None) -> None:
        self.tape, self.taped, self.inner = tape, taped, inner

    def response(self, t: float, status: int, headers: Iterable[tuple[str, str]]) -> None:
        pairs = tuple(headers)
        if not self.tape.closed:
            self.taped.response = (t, status, pairs)
        if self.inner is not None:
            self.inner.response(t, status, pairs)

    def chunk(self, t: float, data: bytes) -> None:
        tape, taped = self.tape, self.taped
        if not tape.closed:  # once an exchange is cut it stays cut: a tape has no holes
            keep = 0 if taped.dropped else min(len(data), tape.cap - taped.kept)
            if keep == len(data):
                taped.chunks.append((t, data))
            elif keep:
                taped.chunks.append((t, data[:keep]))
            taped.kept += keep
            taped.dropped += len(data) - keep
        if self.inner is not None:
            self.inner.chunk(t, data)

    def end(self, t: float, live_end: str, reason: str = "") -> None:
        if not self.tape.closed and self.taped.end is None:
            self.taped.end = (t, live_end, reason)
        if self.inner is not None:
            self.inner.end(t, live_end, reason)


@contextlib.contextmanager
def tape(cap: int = TAPE_CAP) -> Iterator[Tape]:
    """Tape the exchanges started inside the ``with`` block, forwarding each event to the
    observer installed before it (None: just tape). Any coroutine's exchange started in the
    block is taped: tape work the caller awaits alone. Events after the block are forwarded
    only, so a tape never changes once its block is left."""
    recording = Tape(install(None), cap)
    install(recording)
    try:
        yield recording
    finally:
        recording.closed = True
        install(recording.inner)


@contextlib.contextmanager
def detached_tape(cap: int = TAPE_CAP) -> Iterator[Tape]:
    """Tape the exchanges this task (and the tasks it starts inside the block) makes, and show
    them to nobody now: work done ahead, beside other such work, for tests that judge it
    later (each replays the tape). The observer of the running test sees none of it."""
    recording = Tape(None, cap)
    token = _detached.set(recording)
    try:
        yield recording
    finally:
        recording.closed = True
        _detached.reset(token)


def replay(recorded: Tape) -> None:
    """Play ``recorded``'s exchanges, in order, to the observer installed now (none: nothing
    to do), with their original arrival times.

    Every replayed exchange ends: an exchange the tape holds whole ends as it did live; one
    whose body was cut at the cap plays the kept chunks then ends :data:`CUT_END`, with a
    reason that says how much was not kept and how it ended live; one still open when the tape
    stopped ends :data:`CUT_END` at its last event, saying so.
    """
    if _current is None:
        return
    for x in recorded.exchanges:
        obs = start(op=x.op, dialect=x.dialect, method=x.method, url=x.url, headers=x.headers,
                    body=x.body)
        if obs is None:
            continue
        if x.response is not None:
            obs.response(*x.response)
        for t, data in x.chunks:
            obs.chunk(t, data)
        last = max((t for t, _ in x.chunks), default=x.response[0] if x.response else 0.0)
        if x.dropped:
            t, live_end, reason = x.end or (last, "open", "")
            obs.end(t, CUT_END, f"the tape kept {x.kept} bytes of this answer, not the "
                    f"{x.dropped} after them; it ended live: {live_end}"
                    + (f" ({reason})" if reason else ""))
        elif x.end is None:
            obs.end(last, CUT_END, "still open when the tape stopped")
        else:
            obs.end(*x.end)
