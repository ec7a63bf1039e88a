"""A failure judged on a shared answer (``agent_support.answer``: one read per process, judged
by many scenarios) is attributed to the interface's root cause like one that made the call:
the tests that judge the cached answer are shown its exchanges again (``observe.replay``)."""

from __future__ import annotations

import json
import textwrap

import pytest

from tests.plugin.unruly_agent import UnrulyAgent

REQUIREMENTS = """
[[requirement]]
id = "demo.shared"
level = "MUST"
dialects = ["v1.0-jsonrpc"]
text = "A requirement judged on the prompt's shared answer."
"""

SHARED = textwrap.dedent("""
    import pytest
    from conformance_tests.agent_support import answer
    pytestmark = pytest.mark.asyncio

    @pytest.mark.parametrize("n", range(3))
    @pytest.mark.a2a_requirement("demo.shared")
    async def test_judges_the_shared_answer(a2a, n):
        res = (await answer(a2a, "prompt")).res
        a2a.check(res.status_code == 200, expected="an SSE answer", actual=res.describe())
""")


def test_a_shared_answer_failure_is_explained_by_the_root_cause(
        pytester: pytest.Pytester) -> None:
    pytester.makefile(".toml", shared_requirements=REQUIREMENTS)
    pytester.makeini(textwrap.dedent("""
        [pytest]
        a2a_requirements = shared_requirements.toml
        asyncio_default_fixture_loop_scope = function
    """))
    pytester.makepyfile(test_shared=SHARED)
    with UnrulyAgent(post_mode="html502") as bad:
        result = pytester.runpytest(f"--a2a-url={bad.url}", "test_shared.py",
                                    "--a2a-timeout=2", "--a2a-report-json=report.json")
    result.assert_outcomes(failed=3)
    head = next(line for line in result.outlines if line.startswith("ROOT CAUSE"))
    assert ("failed the same way: HTTP 502 text/html, not an A2A answer; this explains 3 of "
            "the 3 tests") in head
    doc = json.loads((pytester.path / "report.json").read_text())
    assert [(d["kind"], d["explains"]) for d in doc["diagnoses"]] == [("interface", 3)]
