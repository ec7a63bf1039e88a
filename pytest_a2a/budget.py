"""`Budget`: every deadline of a scenario derived from the one ``--a2a-timeout``.

One number keeps the suite predictable: a clean server passes fast (streams close on their own,
long before any limit), and a broken one fails within ``total`` seconds instead of hanging CI.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field


def _clamp(value: float, low: float, high: float) -> float:
    return max(low, min(high, value))


@dataclass(frozen=True)
class Budget:
    """Deadlines for one scenario, all derived from ``total`` (seconds).

    Derivation (``T = total``; values for ``T = 10``):

    - ``close_grace = clamp(T / 10, 0.2, 2.0)`` (1.0 s): how long a stream may stay open after a
      terminal, interrupted or 0.3 ``final`` event before it is reported ``open-after-terminal``.
      A correct server closes within milliseconds; 1 s absorbs scheduler noise on loaded CI.
    - ``idle = T / 2`` (5.0 s): longest wait for the *next event* (comments and partial bytes do
      not count) before a stream is reported ``stalled``; also bounds waiting for headers.
    - ``call = T / 2`` (5.0 s): one unary request/response (send, get, cancel, list, card).
    - ``connect = T / 2`` (5.0 s): TCP connect. As long as a whole call: on a CPU-starved CI
      machine opening dozens of connections at once, a short connect limit fails correct servers
      (seen: 0.6 s at ``T = 3``), while a hung server is caught by ``idle`` anyway.
    - ``stream = T`` (10 s): hard cap on one stream from request to ``end="timeout"``.

    Scenarios that need several streams in sequence use :meth:`deadline` / :meth:`remaining`
    to share one absolute deadline instead of stacking budgets.
    """

    total: float = 10.0
    started: float = field(default_factory=time.monotonic, compare=False)

    def __post_init__(self) -> None:
        if not self.total > 0:
            raise ValueError(f"budget total must be positive, got {self.total!r}")

    @property
    def close_grace(self) -> float:
        return _clamp(self.total / 10, 0.2, 2.0)

    @property
    def idle(self) -> float:
        return self.total / 2

    @property
    def call(self) -> float:
        return self.total / 2

    @property
    def connect(self) -> float:
        return self.total / 2

    @property
    def stream(self) -> float:
        return self.total

    def deadline(self) -> float:
        """Absolute ``time.monotonic()`` deadline of the whole budget."""
        return self.started + self.total

    def remaining(self) -> float:
        """Seconds left of the whole budget (never negative)."""
        return max(0.0, self.deadline() - time.monotonic())

    def scaled(self, factor: float) -> Budget:
        """A fresh budget of ``total * factor`` (for a sub-step that must finish sooner)."""
        return Budget(self.total * factor)
