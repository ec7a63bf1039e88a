"""A hook to watch every exchange the transport makes, without the wire layer knowing why.

``--a2a-record`` installs an :class:`Observer` for the running test; the transport reports each
request, its response headers, every body chunk as read (with the stream's own arrival time)
and how the exchange ended. Nothing is buffered or decided here: with no observer installed
(the default) every hook is one ``None`` check.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

__all__ = ["ExchangeObserver", "Observer", "install", "start"]


class ExchangeObserver(Protocol):
    """Told about one exchange, in order: ``response``, ``chunk``..., then ``end`` once."""

    def response(self, t: float, status: int, headers: Iterable[tuple[str, str]]) -> None: ...

    def chunk(self, t: float, data: bytes) -> None: ...

    def end(self, t: float, live_end: str, reason: str = "") -> None: ...


class Observer(Protocol):
    def exchange(self, *, op: str, dialect: str | None, method: str, url: str,
                 headers: Iterable[tuple[str, str]], body: bytes | None) -> ExchangeObserver: ...


_current: Observer | None = None


def install(observer: Observer | None) -> Observer | None:
    """Make ``observer`` watch every exchange from now on (None: stop); returns the previous."""
    global _current
    previous, _current = _current, observer
    return previous


def start(*, op: str, dialect: str | None, method: str, url: str,
          headers: Iterable[tuple[str, str]], body: bytes | None) -> ExchangeObserver | None:
    """A new exchange is being sent: its observer, or None when nobody watches."""
    if _current is None:
        return None
    return _current.exchange(op=op, dialect=dialect, method=method, url=url, headers=headers,
                             body=body)
