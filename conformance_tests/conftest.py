"""Collection order of the packaged suite: a dialect's black-box scenarios side by side.

They judge runs shared per process, target and dialect (``agent_sessions``, the prompts'
answers). Under xdist a worker is handed runs of consecutive tests, so keeping one dialect's
black-box scenarios together keeps its shared runs on one worker, instead of each worker
performing them again (each costs an answer's length).
"""

from __future__ import annotations

import pytest

from pytest_a2a.judge.requirements import DIALECTS


def _dialect_rank(item: pytest.Item) -> int:
    callspec = getattr(item, "callspec", None)
    dialect = callspec.params.get("a2a_dialect") if callspec is not None else None
    return DIALECTS.index(dialect) if dialect in DIALECTS else len(DIALECTS)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    slots = [n for n, item in enumerate(items)
             if item.nodeid.startswith("conformance_tests/test_agent_")]
    ordered = sorted((items[n] for n in slots), key=_dialect_rank)  # stable: module order kept
    for n, item in zip(slots, ordered, strict=True):
        items[n] = item
