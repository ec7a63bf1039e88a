"""What the run learns about the target while a test runs, beside the test's verdict.

The health probe's silence and the interface watch's tally belong to the run, not to the
requirement a test grades, so they travel apart from the result row: as one JSON-able
attribute of the test's teardown report (xdist carries report attributes to the controller;
junitxml does not print them), read back by ``A2ARun.add_result``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

_REPORT_ATTR = "a2a_notes"


@dataclass(frozen=True)
class Silence:
    """The target did not answer for ``seconds`` after the test ``after`` (None: run start)."""

    after: str | None
    seconds: float
    recovered: bool
    seen: str  # what the last unanswered probe got, in words

    @property
    def since(self) -> str:
        return self.after or "the start of the run"

    def describe(self, card_url: str) -> str:
        if self.recovered:
            return (f"target unresponsive for {self.seconds:.1f}s after {self.since} "
                    f"(GET {card_url}: {self.seen}), then answered again")
        return (f"target unresponsive since {self.since}: no answer to GET {card_url} for "
                f"{self.seconds:.1f}s ({self.seen}); test not run")


@dataclass
class ItemNotes:
    silence: Silence | None = None  # the probe before this test waited through it
    interfaces: dict[str, dict[str, int]] = field(default_factory=dict)  # dialect -> sig -> n
    urls: dict[str, str] = field(default_factory=dict)  # dialect -> interface URL
    card_url: str = ""

    def attach(self, report: pytest.TestReport) -> None:
        data: dict[str, Any] = {"interfaces": self.interfaces, "urls": self.urls,
                                "card_url": self.card_url}
        if self.silence is not None:
            s = self.silence
            data["silence"] = {"after": s.after, "seconds": s.seconds, "recovered": s.recovered,
                               "seen": s.seen}
        setattr(report, _REPORT_ATTR, data)


def read(report: pytest.TestReport) -> tuple[Silence | None, dict[str, Any]]:
    """(the silence before the test, the rest of its notes) from a teardown report."""
    data = getattr(report, _REPORT_ATTR, None)
    if not isinstance(data, dict):
        return None, {}
    raw = data.get("silence")
    silence = None
    if isinstance(raw, dict):
        silence = Silence(after=raw.get("after"), seconds=float(raw.get("seconds", 0.0)),
                          recovered=bool(raw.get("recovered")), seen=str(raw.get("seen", "")))
    return silence, data


NOTES_KEY = pytest.StashKey[ItemNotes]()
