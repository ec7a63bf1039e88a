"""A failure judged on a shared run (``conformance_tests.shared_runs``: performed once per
process by whichever scenario comes first, then judged by one scenario per requirement) is
attributed to the interface's root cause, and recorded, like one that made the calls: the
run's exchanges are taped and shown again to each later test that judges it."""

from __future__ import annotations

import json
import textwrap

import pytest

from pytest_a2a.recording.jsonl import SUFFIX, read
from tests.plugin.unruly_agent import UnrulyAgent

REQUIREMENTS = """
[[requirement]]
id = "demo.shared-run"
level = "MUST"
dialects = ["v1.0-jsonrpc"]
text = "A requirement judged on a run shared by several scenarios."
"""

HEAD = textwrap.dedent("""
    import pytest
    pytestmark = pytest.mark.asyncio

    @pytest.mark.parametrize("n", range(3))
    @pytest.mark.a2a_requirement("demo.shared-run")
""")

#: the shared run a scenario judges -> (its body, the exchanges each recording must hold)
RUNS = {
    "prompt answer": ("""
        async def test_judges_the_shared_run(a2a, n):
            from conformance_tests.agent_support import answer
            res = (await answer(a2a, "prompt")).res
            a2a.check(res.status_code == 200, expected="an SSE answer", actual=res.describe())
    """, 1),
    "agent load": ("""
        async def test_judges_the_shared_run(a2a, n):
            from conformance_tests.test_agent_load import STREAMS, _load
            run = await _load(a2a)
            ok = [r for r in run.results if not isinstance(r, BaseException)
                  and r.status_code == 200]
            a2a.check(len(ok) == STREAMS, expected="SSE answers", actual=f"{len(ok)} of them")
    """, 6),  # the load's streams; no GetTask: no stream named a task
}


@pytest.mark.parametrize("run", list(RUNS))
def test_a_shared_run_failure_is_explained_and_recorded_in_every_test(
        pytester: pytest.Pytester, run: str) -> None:
    body, exchanges = RUNS[run]
    pytester.makefile(".toml", shared_requirements=REQUIREMENTS)
    pytester.makeini(textwrap.dedent("""
        [pytest]
        a2a_requirements = shared_requirements.toml
        asyncio_default_fixture_loop_scope = function
    """))
    pytester.makepyfile(test_shared_run=HEAD + textwrap.dedent(body))
    with UnrulyAgent(post_mode="html502") as bad:
        result = pytester.runpytest(f"--a2a-url={bad.url}", "test_shared_run.py",
                                    "--a2a-timeout=2", "--a2a-long-prompt=write at length",
                                    "--a2a-record=rec", "--a2a-report-json=report.json")
    result.assert_outcomes(failed=3)
    head = next(line for line in result.outlines if line.startswith("ROOT CAUSE"))
    assert ("failed the same way: HTTP 502 text/html, not an A2A answer; this explains 3 of "
            "the 3 tests") in head
    doc = json.loads((pytester.path / "report.json").read_text())
    assert [(d["kind"], d["explains"]) for d in doc["diagnoses"]] == [("interface", 3)]
    files = sorted((pytester.path / "rec").glob("*" + SUFFIX))
    assert len(files) == 3
    statuses = [[x.status for x in read(f, f.read_text()).exchanges] for f in files]
    assert statuses == [[502] * exchanges] * 3
