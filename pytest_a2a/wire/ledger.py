"""The process-wide bound on bytes held in unfinished SSE events and unary answers.

One event is capped by ``--a2a-max-event-bytes``; this caps them together, so a hostile server
answering 100 concurrent requests with endless lines costs :data:`PROCESS_FACTOR` times the
maximum (32 MiB by default), not 100 times it. Only a holder of more than
:data:`PROCESS_SHARE_MIN` bytes is stopped for crowding: small events and answers always pass.
"""

from __future__ import annotations

import threading

DEFAULT_MAX_EVENT_BYTES = 4 * 1024 * 1024
#: what the user changes when a legal server's events are larger (named in the messages)
MAX_EVENT_OPTION = "--a2a-max-event-bytes (ini a2a_max_event_bytes)"
PROCESS_FACTOR = 8  # everything unfinished together: at most 8 x the maximum ...
PROCESS_SHARE_MIN = 256 * 1024  # ... enforced on the holders of more than this


class Share:
    """One parser's bytes in the process-wide ledger (outlives the parser for its finalizer)."""

    __slots__ = ("n",)

    def __init__(self) -> None:
        self.n = 0


class _Ledger:
    """Bytes of unfinished events held by every live parser of this process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.total = 0

    def set(self, share: Share, n: int) -> int:
        """Record that ``share`` now holds ``n`` bytes; return the process total."""
        with self._lock:
            self.total += n - share.n
            share.n = n
            return self.total

    def release(self, share: Share) -> None:
        self.set(share, 0)


LEDGER = _Ledger()


class BodyHold:
    """A unary answer being read, counted in the same process-wide ledger as the parsers."""

    def __init__(self, max_bytes: int = DEFAULT_MAX_EVENT_BYTES) -> None:
        self.max_bytes = max_bytes
        self._share = Share()

    def hold(self, n: int) -> str | None:
        """The answer now has ``n`` bytes: ``None`` to read on, else why to stop (for a user)."""
        total = LEDGER.set(self._share, n)
        if n > self.max_bytes:
            return (f"answer larger than the {self.max_bytes} byte maximum; not read further "
                    f"(raise the limit with {MAX_EVENT_OPTION} if such answers are legitimate)")
        if n > PROCESS_SHARE_MIN and total > PROCESS_FACTOR * self.max_bytes:
            return (f"answer of {n}+ bytes abandoned while the streams and answers of this run "
                    f"held {total} bytes together, more than {PROCESS_FACTOR} x the "
                    f"{self.max_bytes} byte maximum ({MAX_EVENT_OPTION})")
        return None

    def release(self) -> None:
        LEDGER.release(self._share)
