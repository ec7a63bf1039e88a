"""Collection-time work for a2a tests: requirement lookup, dialect parametrization, scripted
skips, grading info, and the ``a2a`` fixture's context.

Dialect parametrization: a test runs once per dialect in (dialects the run tests) ∩
(the requirement's ``dialects``), with the dialect id as test id (``test_x[v1.0-rest]``).
If that intersection is empty the test is still generated once, as ``test_x[no-dialect]``,
and skipped with the reason, so reports show the requirement was not tested (never silently
absent).

Stress scenarios (``STRESS_FAMILIES``, or any test marked ``a2a_stress``) flood the target;
``order_stress_last`` moves them behind every other test, so a target they knock over cannot
fail unrelated requirements (under xdist, ``run.xdist_sched`` also keeps them off the other
workers while those still run).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

import pytest

from pytest_a2a.judge.expectations import case_id
from pytest_a2a.judge.outcomes import ITEM_KEY, ItemInfo

if TYPE_CHECKING:
    from pytest_a2a.judge.context import A2AContext
    from pytest_a2a.judge.requirements import Requirement
    from pytest_a2a.run.session import A2ARun

NO_DIALECT_ID = "no-dialect"
#: requirement families whose scenarios flood the target (slow readers' bursts, 100 streams)
STRESS_FAMILIES = frozenset({"backpressure", "load"})
#: marks any other test as one that floods the target (docs/usage.md)
STRESS_MARKER = "a2a_stress"


def is_stress(item: pytest.Item) -> bool:
    """Does ``item`` flood the target (by its requirement's family, or the marker)?"""
    if item.get_closest_marker(STRESS_MARKER) is not None:
        return True
    info = item.stash.get(ITEM_KEY, None)
    req = info.requirement if info is not None else None
    return req is not None and req.id.partition(".")[0] in STRESS_FAMILIES


def order_stress_last(items: list[pytest.Item]) -> list[pytest.Item]:
    """Move the stress tests behind all others, each group in its own order (in place);
    returns the stress tests."""
    stress = [item for item in items if is_stress(item)]
    if stress:
        chosen = {id(item) for item in stress}
        items[:] = [item for item in items if id(item) not in chosen] + stress
    return stress


def requirement_of(run: A2ARun, node: pytest.Item | pytest.Function | object,
                   marker: pytest.Mark | None) -> Requirement | None:
    """The registry entry named by ``@pytest.mark.a2a_requirement``; bad use fails collection."""
    if marker is None:
        return None
    name = getattr(node, "nodeid", None) or getattr(node, "name", "?")
    if len(marker.args) != 1 or marker.kwargs or not isinstance(marker.args[0], str):
        pytest.fail(
            f"{name}: use @pytest.mark.a2a_requirement(\"<family>.<slug>\") with exactly one id",
            pytrace=False,
        )
    marks = list(getattr(node, "iter_markers", lambda _n: [])("a2a_requirement"))
    if len({m.args[0] for m in marks if m.args}) > 1:
        pytest.fail(f"{name}: one requirement per test; found "
                    f"{', '.join(repr(m.args[0]) for m in marks)}", pytrace=False)
    registry = run.registry
    rid = marker.args[0]
    if rid not in registry:
        pytest.fail(f"{name}: {registry.unknown(rid)}", pytrace=False)
    return registry[rid]


def parametrize(run: A2ARun, metafunc: pytest.Metafunc, marker: pytest.Mark | None) -> None:
    req = requirement_of(run, metafunc.definition, marker)
    if "a2a" not in metafunc.fixturenames:
        return
    selected = run.selected()
    dialects = [d for d in selected if req is None or req.applies_to(d)]
    if dialects:
        metafunc.parametrize("a2a_dialect", dialects, ids=dialects)
        return
    declared = ", ".join(selected) or "none"
    applies = ", ".join(req.dialects) if req is not None else "any"
    reason = (f"{req.id if req else 'this test'} applies to {applies}; "
              f"this run tests {declared}")
    metafunc.parametrize(
        "a2a_dialect", [pytest.param(None, marks=pytest.mark.skip(reason=reason))],
        ids=[NO_DIALECT_ID],
    )


def prepare_items(run: A2ARun, items: list[pytest.Item]) -> None:
    """Attach grading info (its row is reported at teardown); skip scripted tests the target
    can't run."""
    scripted: tuple[bool, str] | None = None
    expectations = run.expectations
    for item in items:
        marker = item.get_closest_marker("a2a_requirement")
        req = requirement_of(run, item, marker)
        callspec = getattr(item, "callspec", None)
        dialect = callspec.params.get("a2a_dialect") if callspec is not None else None
        has_dialect = callspec is not None and "a2a_dialect" in callspec.params
        case = case_id(callspec, (dialect or NO_DIALECT_ID) if has_dialect else None)
        info = ItemInfo(req, dialect, run.options.strict, case=case)
        if expectations is not None and req is not None:
            info.deviation = expectations.match(req.id, dialect, case)
        item.stash[ITEM_KEY] = info
        if item.get_closest_marker("a2a_scripted") is not None:
            if scripted is None:
                try:
                    scripted = run.scripted()
                except pytest.fail.Exception as exc:
                    scripted = (False, str(exc))
            if not scripted[0]:
                item.add_marker(pytest.mark.skip(reason=scripted[1]))


@contextlib.asynccontextmanager
async def open_context(run: A2ARun, item: pytest.Item, dialect: str) -> AsyncIterator[A2AContext]:
    from pytest_a2a.budget import Budget
    from pytest_a2a.judge.context import A2AContext
    from pytest_a2a.run.interfaces import InterfaceWatch
    from pytest_a2a.run.notes import NOTES_KEY, ItemNotes
    from pytest_a2a.run.process import rss_bytes
    from pytest_a2a.wire import observe
    from pytest_a2a.wire.client import A2AClient

    target = run.target()
    url = run.selected()[dialect]
    budget = Budget(run.options.timeout)
    headers = dict(run.options.headers)
    info = item.stash.get(ITEM_KEY, None)
    client = A2AClient(url, dialect=dialect, budget=budget, headers=headers,
                       max_event_bytes=run.options.max_event_bytes)
    notes = item.stash.setdefault(NOTES_KEY, ItemNotes())
    notes.urls = dict(run.selected())
    # watch how each interface answers (root-cause headline), chained with --a2a-record's
    watch = InterfaceWatch(notes.urls, observe.install(None))
    observe.install(watch)
    try:
        async with client:
            ctx = A2AContext(
                client=client, dialect=dialect, url=url, budget=budget,
                requirement=info.requirement if info else None, card=target.card,
                prompt=run.options.prompt, long_prompt=run.options.target_long_prompt,
                headers=headers, pid=target.pid, rss=rss_bytes, booted=target.booted,
            )
            if info is not None:
                info.checker = ctx
            yield ctx
    finally:
        observe.install(watch.inner)
        notes.interfaces = watch.as_json()
