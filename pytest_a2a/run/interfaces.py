"""Root cause: does an interface answer like an A2A server at all?

When every call to an interface fails the same way (connection refused, an HTML error page, a
server that is not JSON-RPC at the URL its card declares), the dozens of failing requirements
are one finding. Each scenario's exchanges are watched (``wire.observe``, chained with any
other observer such as ``--a2a-record``) and classified: answered like A2A (SSE, JSON; for
JSON-RPC an object with ``jsonrpc``), or a failure *signature* in words. The run adds the
per-test tallies up (``InterfaceTally``) and names a signature that explains every call to an
interface as the report's headline.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pytest_a2a.wire import observe
from pytest_a2a.wire.media import media_type

#: a JSON answer is parsed only when it is complete and at most this long
_JSON_HEAD = 4096
#: outcomes a diagnosis cannot explain (the test got what it needed)
_FINE = frozenset({"passed", "info", "skipped"})
ANSWERED = ""  # the signature of an exchange the interface answered like an A2A server


def classify(binding: str, status: int | None, content_type: str | None, head: bytes,
             complete: bool, end: str, reason: str) -> str | None:
    """The failure signature of one exchange, None when it is not about the interface (a
    REST 405 retried as POST), ``ANSWERED`` when the interface answered like A2A."""
    if reason.startswith("405: retried"):
        return None
    if status is None:
        return _silence(end, reason)
    media = media_type(content_type) or ""
    if media == "text/event-stream":
        return ANSWERED
    if media == "application/json" or media.endswith("+json"):
        if binding != "jsonrpc" or not complete:
            return ANSWERED
        try:
            doc = json.loads(head)
        except ValueError:
            return f"HTTP {status} {media} whose body is not JSON"
        if isinstance(doc, list) or (isinstance(doc, dict) and "jsonrpc" in doc):
            return ANSWERED
        return f"HTTP {status} JSON that is not JSON-RPC (no 'jsonrpc' member)"
    return f"HTTP {status} {media or 'without a Content-Type'}, not an A2A answer"


def _silence(end: str, reason: str) -> str:
    """No HTTP answer: what happened, in words (the same words for the same failure)."""
    low = reason.lower()
    if reason.startswith("answer larger than"):
        return ANSWERED  # it answered, at length (the scenario judges the size)
    if "refused" in low:
        return "connection refused"
    if "all connection attempts failed" in low:  # how httpx/anyio says refused on loopback
        return "cannot connect (refused, or nothing listening)"
    if reason.startswith("ConnectTimeout"):
        return "no TCP connection within the budget"
    if reason.startswith("ConnectError"):
        return "cannot connect: " + reason.partition(": ")[2]
    if end == "stalled" or reason.startswith(("no complete answer", "no response headers")):
        return "no HTTP answer within the budget"
    if reason.startswith("RemoteProtocolError"):
        return "connection closed without an HTTP answer"
    if reason.startswith(("ReadError", "WriteError")):
        return "connection reset"
    return f"transport error: {reason.split(':')[0] or end}"


class _Exchange:
    """Watches one exchange; hands its signature to the test's watch at the end."""

    def __init__(self, watch: InterfaceWatch, dialect: str, url: str,
                 inner: observe.ExchangeObserver | None) -> None:
        self.watch, self.dialect, self.url, self.inner = watch, dialect, url, inner
        self.status: int | None = None
        self.content_type: str | None = None
        self.head = bytearray()
        self.size = 0

    def response(self, t: float, status: int, headers: Iterable[tuple[str, str]]) -> None:
        pairs = list(headers)
        self.status = status
        self.content_type = next((v for k, v in pairs if k.lower() == "content-type"), None)
        if self.inner is not None:
            self.inner.response(t, status, pairs)

    def chunk(self, t: float, data: bytes) -> None:
        self.size += len(data)
        if len(self.head) < _JSON_HEAD:
            self.head += data[:_JSON_HEAD - len(self.head)]
        if self.inner is not None:
            self.inner.chunk(t, data)

    def end(self, t: float, live_end: str, reason: str = "") -> None:
        binding = "rest" if self.dialect.endswith("-rest") else "jsonrpc"
        sig = classify(binding, self.status, self.content_type, bytes(self.head),
                       live_end == "closed" and self.size <= _JSON_HEAD, live_end, reason)
        if sig is not None:
            self.watch.add(self.dialect, self.url, sig)
        if self.inner is not None:
            self.inner.end(t, live_end, reason)


class InterfaceWatch:
    """The observer of one scenario: per dialect, how its interface answered (``tally``)."""

    def __init__(self, interfaces: Mapping[str, str], inner: observe.Observer | None) -> None:
        self.interfaces = dict(interfaces)  # dialect -> interface URL (calls elsewhere: ignored)
        self.inner = inner
        #: dialect -> signature -> exchanges (``ANSWERED``: answered like A2A)
        self.tally: dict[str, dict[str, int]] = {}

    def exchange(self, *, op: str, dialect: str | None, method: str, url: str,
                 headers: Iterable[tuple[str, str]], body: bytes | None
                 ) -> observe.ExchangeObserver:
        inner = (self.inner.exchange(op=op, dialect=dialect, method=method, url=url,
                                     headers=headers, body=body)
                 if self.inner is not None else None)
        base = self.interfaces.get(dialect or "")
        if base is None or not url.startswith(base.rstrip("/")) or "/.well-known/" in url:
            return inner if inner is not None else _Ignored()
        return _Exchange(self, dialect or "", base, inner)

    def add(self, dialect: str, url: str, sig: str) -> None:
        cell = self.tally.setdefault(dialect, {})
        cell[sig] = cell.get(sig, 0) + 1

    def as_json(self) -> dict[str, dict[str, int]]:
        return {d: dict(cell) for d, cell in self.tally.items()}


class _Ignored:
    def response(self, t: float, status: int, headers: Iterable[tuple[str, str]]) -> None: ...

    def chunk(self, t: float, data: bytes) -> None: ...

    def end(self, t: float, live_end: str, reason: str = "") -> None: ...


@dataclass
class _Interface:
    answered: int = 0
    signatures: dict[str, int] = field(default_factory=dict)
    #: signature -> tests whose every exchange with this interface failed that way
    tests: dict[str, list[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class RootCause:
    """One signature that explains every call to some interfaces, and the tests it hit."""

    signature: str
    dialects: tuple[str, ...]
    urls: tuple[str, ...]
    tests: tuple[str, ...]


class InterfaceTally:
    """The run's view of each interface, added up from the tests' watches (any process)."""

    def __init__(self) -> None:
        self._by_dialect: dict[str, _Interface] = {}
        self.urls: dict[str, str] = {}

    def add(self, nodeid: str, tally: Mapping[str, Any], urls: Mapping[str, str]) -> None:
        for dialect, cell in tally.items():
            if not isinstance(cell, Mapping):
                continue
            iface = self._by_dialect.setdefault(str(dialect), _Interface())
            if dialect in urls:
                self.urls[str(dialect)] = urls[dialect]
            failed = {str(s): int(n) for s, n in cell.items() if s != ANSWERED}
            iface.answered += int(cell.get(ANSWERED, 0))
            for sig, n in failed.items():
                iface.signatures[sig] = iface.signatures.get(sig, 0) + n
            if len(failed) == 1 and not cell.get(ANSWERED):
                iface.tests.setdefault(next(iter(failed)), []).append(nodeid)

    def root_causes(self) -> list[RootCause]:
        """Signatures that explain every call to an interface that never answered like A2A."""
        grouped: dict[str, list[str]] = {}
        for dialect, iface in sorted(self._by_dialect.items()):
            if iface.answered == 0 and len(iface.signatures) == 1:
                grouped.setdefault(next(iter(iface.signatures)), []).append(dialect)
        causes = []
        for sig, dialects in grouped.items():
            tests = sorted({t for d in dialects for t in self._by_dialect[d].tests.get(sig, [])})
            causes.append(RootCause(sig, tuple(dialects),
                                    tuple(dict.fromkeys(self.urls.get(d, "?") for d in dialects)),
                                    tuple(tests)))
        return causes


def explained(cause: RootCause, outcomes: Mapping[str, str]) -> list[str]:
    """The tests of ``cause`` that did not pass (node id -> outcome of the run's rows)."""
    return [t for t in cause.tests if outcomes.get(t, "error") not in _FINE]


def describe(cause: RootCause, explains: int, failing: int) -> str:
    where = ", ".join(cause.dialects) + f" ({', '.join(cause.urls)})"
    return (f"every call to {where} failed the same way: {cause.signature}; "
            f"this explains {explains} of the {failing} tests that did not pass")
