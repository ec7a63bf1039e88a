"""One stall is one finding: stress tests run last (alone under xdist), a health probe waits
out a target that stopped answering and records it, a target that never comes back errors the
remaining tests, and one failure that explains every call to an interface heads the report."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from pytest_a2a.run.interfaces import ANSWERED, InterfaceTally, classify
from pytest_a2a.wire.results import CallResult, StreamResult
from pytest_a2a.wire.transcript import Transcript
from tests.plugin.helpers import free_port
from tests.plugin.unruly_agent import UnrulyAgent

REQUIREMENTS = """
[[requirement]]
id = "demo.plain"
level = "MUST"
dialects = ["v1.0-jsonrpc"]
text = "An ordinary requirement."

[[requirement]]
id = "load.flood"
level = "MUST"
dialects = ["v1.0-jsonrpc"]
text = "A requirement of a stress family (load)."
"""

#: each test notes (name, worker, start, end) in the directory given by the env var
TIMED = textwrap.dedent("""
    import json, os, time, uuid
    import pytest
    pytestmark = pytest.mark.asyncio

    def note(a2a, name, start):
        a2a.check(True, expected="x", actual="x")
        out = os.environ["A2A_TIMES"]
        entry = [name, os.environ.get("PYTEST_XDIST_WORKER", "-"), start, time.monotonic()]
        with open(os.path.join(out, uuid.uuid4().hex), "w") as f:
            json.dump(entry, f)

    @pytest.mark.a2a_stress
    @pytest.mark.a2a_requirement("demo.plain")
    async def test_a_marked_stress(a2a):
        start = time.monotonic(); time.sleep(0.3); note(a2a, "a_stress", start)

    @pytest.mark.a2a_requirement("load.flood")
    async def test_b_load_family(a2a):
        start = time.monotonic(); time.sleep(0.3); note(a2a, "b_stress", start)

    @pytest.mark.parametrize("n", range(8))
    @pytest.mark.a2a_requirement("demo.plain")
    async def test_c_plain(a2a, n):
        start = time.monotonic(); time.sleep(0.2); note(a2a, f"c_plain{n}", start)
""")


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makefile(".toml", k_requirements=REQUIREMENTS)
    pytester.makeini(textwrap.dedent("""
        [pytest]
        a2a_requirements = k_requirements.toml
        asyncio_default_fixture_loop_scope = function
    """))
    return pytester


@pytest.fixture
def agent() -> Iterator[UnrulyAgent]:
    with UnrulyAgent(post_mode="jsonrpc") as running:
        yield running


def _report(pytester: pytest.Pytester) -> dict[str, object]:
    return dict(json.loads((pytester.path / "report.json").read_text()))


def _rows(doc: dict[str, object]) -> dict[str, dict[str, object]]:
    rows = doc["rows"]
    assert isinstance(rows, list)
    return {str(r["nodeid"]).split("::")[-1]: r for r in rows}


def test_stress_tests_run_last_in_a_serial_run(project: pytest.Pytester,
                                               agent: UnrulyAgent) -> None:
    project.makepyfile(test_timed=TIMED)
    result = project.runpytest(f"--a2a-url={agent.url}", "test_timed.py", "--collect-only",
                               "-q")
    names = [line.split("::")[-1] for line in result.outlines if "::" in line]
    assert names[-2:] == ["test_a_marked_stress[v1.0-jsonrpc]", "test_b_load_family[v1.0-jsonrpc]"]
    assert len(names) == 10


def test_under_xdist_stress_tests_run_alone_after_all_others(
        project: pytest.Pytester, agent: UnrulyAgent, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    times = tmp_path / "times"
    times.mkdir()
    monkeypatch.setenv("A2A_TIMES", str(times))
    project.makepyfile(test_timed=TIMED)
    result = project.runpytest_subprocess(f"--a2a-url={agent.url}", "test_timed.py", "-n",
                                          "2", "-v")
    result.assert_outcomes(passed=10)
    result.stdout.fnmatch_lines(["*scheduling tests via StressLastScheduling*"])
    entries = [json.loads(p.read_text()) for p in times.iterdir()]
    plain = [e for e in entries if "plain" in e[0]]
    stress = sorted((e for e in entries if "stress" in e[0]), key=lambda e: e[2])
    assert len(plain) == 8 and len(stress) == 2
    assert {e[1] for e in plain} == {"gw0", "gw1"}, "the ordinary tests were spread"
    assert stress[0][1] == stress[1][1], "stress tests share one worker"
    last_plain_end = max(e[3] for e in plain)
    assert stress[0][2] >= last_plain_end, (stress, plain)
    assert stress[1][2] >= stress[0][3]
    assert [e[0] for e in stress] == ["a_stress", "b_stress"]


FREEZER = textwrap.dedent("""
    import httpx, pytest
    pytestmark = pytest.mark.asyncio

    @pytest.mark.a2a_requirement("demo.plain")
    async def test_1_freezes(a2a):
        base = a2a.url.rstrip("/")
        httpx.get(base + "/control/freeze?s=SECONDS", timeout=5)
        a2a.check(True, expected="x", actual="x")

    @pytest.mark.a2a_requirement("demo.plain")
    async def test_2_after(a2a):
        a2a.check(True, expected="x", actual="x")

    @pytest.mark.a2a_requirement("demo.plain")
    async def test_3_later(a2a):
        a2a.check(True, expected="x", actual="x")
""")


def test_a_target_that_recovers_is_waited_for_and_recorded(project: pytest.Pytester,
                                                            agent: UnrulyAgent) -> None:
    project.makepyfile(test_freeze=FREEZER.replace("SECONDS", "1.5"))
    result = project.runpytest(f"--a2a-url={agent.url}", "test_freeze.py", "--a2a-timeout=1",
                               "--a2a-report-json=report.json")
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(["*target unresponsive for 1.*s after test_freeze.py::test_1_"
                                 "freezes[[]v1.0-jsonrpc[]] (it answered again before "
                                 "test_freeze.py::test_2_after*"])
    doc = _report(project)
    rows = _rows(doc)
    waited = rows["test_1_freezes[v1.0-jsonrpc]"]["observations"]["target_unresponsive_after_s"]
    assert 1.0 <= waited <= 1.6
    assert rows["test_2_after[v1.0-jsonrpc]"]["observations"]["waited_for_target_s"] == waited
    assert "target_unresponsive_after_s" not in rows["test_2_after[v1.0-jsonrpc]"]["observations"]
    summary = doc["summary"]
    assert isinstance(summary, dict)
    assert [s["recovered"] for s in summary["unresponsive"]] == [True]
    assert doc["diagnoses"] == []


def test_a_target_that_never_recovers_errors_the_rest(project: pytest.Pytester,
                                                       agent: UnrulyAgent) -> None:
    project.makepyfile(test_freeze=FREEZER.replace("SECONDS", "60"))
    result = project.runpytest(f"--a2a-url={agent.url}", "test_freeze.py", "--a2a-timeout=0.5",
                               "--a2a-report-json=report.json")
    result.assert_outcomes(passed=1, errors=2)
    doc = _report(project)
    rows = _rows(doc)
    for name in ("test_2_after[v1.0-jsonrpc]", "test_3_later[v1.0-jsonrpc]"):
        row = rows[name]
        assert row["outcome"] == "error"
        assert str(row["message"]).startswith(
            "target unresponsive since test_freeze.py::test_1_freezes[v1.0-jsonrpc]: no answer")
    diagnoses = doc["diagnoses"]
    assert isinstance(diagnoses, list) and [d["kind"] for d in diagnoses] == ["unresponsive"]
    assert diagnoses[0]["explains"] == 2
    lines = result.outlines
    head = lines.index(next(line for line in lines if "a2a conformance" in line))
    assert lines[head + 1].startswith("ROOT CAUSE: target unresponsive since test_freeze.py::")
    # the whole window was waited once, not once per remaining test
    assert float(rows["test_3_later[v1.0-jsonrpc]"]["duration"]) < 0.5


SENDERS = textwrap.dedent("""
    import pytest
    pytestmark = pytest.mark.asyncio

    @pytest.mark.parametrize("n", range(3))
    @pytest.mark.a2a_requirement("demo.plain")
    async def test_send(a2a, n):
        res = await a2a.client.send("hi")
        a2a.check(res.ok, expected="an answer", actual=res.describe())

    @pytest.mark.a2a_requirement("demo.plain")
    async def test_no_calls(a2a):
        a2a.check(True, expected="x", actual="x")
""")


@pytest.mark.parametrize("mode", ["html502", "refused"])
def test_one_failure_explaining_every_call_heads_the_report(project: pytest.Pytester,
                                                            mode: str) -> None:
    closed = f"http://127.0.0.1:{free_port()}/" if mode == "refused" else None
    with UnrulyAgent(post_mode="html502", jsonrpc_url=closed) as bad:
        project.makepyfile(test_senders=SENDERS)
        result = project.runpytest(f"--a2a-url={bad.url}", "test_senders.py", "--a2a-timeout=2",
                                   "--a2a-report-json=report.json",
                                   "--a2a-report-html=report.html")
    result.assert_outcomes(passed=1, failed=3)
    sig = ("HTTP 502 text/html, not an A2A answer" if mode == "html502"
           else "cannot connect (refused, or nothing listening)")
    lines = result.outlines
    head = lines.index(next(line for line in lines if "a2a conformance" in line))
    assert lines[head + 1].startswith("ROOT CAUSE: every call to v1.0-jsonrpc (")
    assert f"failed the same way: {sig}; this explains 3 of the 3 tests" in lines[head + 1]
    doc = _report(project)
    diagnoses = doc["diagnoses"]
    assert isinstance(diagnoses, list) and len(diagnoses) == 1
    assert diagnoses[0]["kind"] == "interface" and diagnoses[0]["explains"] == 3
    assert list(doc)[:5] == ["format", "tool", "created", "target", "options"]
    assert list(doc).index("diagnoses") < list(doc).index("rows")
    page = (project.path / "report.html").read_text()
    assert page.index('class="cause">root cause: every call to v1.0-jsonrpc') < page.index(
        'id="counts"')


def test_no_headline_when_the_interface_answers_once(project: pytest.Pytester,
                                                     agent: UnrulyAgent) -> None:
    project.makepyfile(test_senders=SENDERS)  # JSON-RPC errors: answered like A2A
    result = project.runpytest(f"--a2a-url={agent.url}", "test_senders.py",
                               "--a2a-report-json=report.json")
    result.assert_outcomes(passed=1, failed=3)
    assert _report(project)["diagnoses"] == []
    assert not any(line.startswith("ROOT CAUSE") for line in result.outlines)


def test_classification_and_tally() -> None:
    assert classify("jsonrpc", 200, "text/event-stream", b"", False, "closed", "") == ANSWERED
    assert classify("jsonrpc", 200, "application/json", b'{"jsonrpc":"2.0"}', True,
                    "closed", "") == ANSWERED
    assert classify("jsonrpc", 404, "application/json", b'{"detail":"Not Found"}', True,
                    "closed", "") == "HTTP 404 JSON that is not JSON-RPC (no 'jsonrpc' member)"
    assert classify("rest", 404, "application/json", b'{"detail":"x"}', True,
                    "closed", "") == ANSWERED
    assert classify("rest", 502, "text/html; charset=utf-8", b"<html>", True, "closed",
                    "") == "HTTP 502 text/html, not an A2A answer"
    assert classify("rest", 405, "text/plain", b"", True, "closed",
                    "405: retried with POST") is None
    assert classify("jsonrpc", None, None, b"", False, "transport-error",
                    "ConnectError: [Errno 111] Connection refused") == "connection refused"
    assert classify("jsonrpc", None, None, b"", False, "stalled",
                    "no response headers within 1.50s") == "no HTTP answer within the budget"
    tally = InterfaceTally()
    tally.add("t1", {"v1.0-jsonrpc": {"connection refused": 2}}, {"v1.0-jsonrpc": "u"})
    tally.add("t2", {"v1.0-jsonrpc": {"connection refused": 1}}, {})
    assert [(c.signature, c.tests) for c in tally.root_causes()] == [
        ("connection refused", ("t1", "t2"))]
    tally.add("t3", {"v1.0-jsonrpc": {ANSWERED: 1}}, {})
    assert tally.root_causes() == []


def test_a_missing_status_is_said_in_words() -> None:
    call = CallResult(op="send")
    assert call.describe() == "send: no HTTP answer (no request was sent)"
    call.transport_error = "no complete answer within 1.50s"
    assert call.answer() == "no HTTP answer (no complete answer within 1.50s)"
    stream = StreamResult(events=[], end="stalled", end_t=1.5,
                          end_reason="no response headers within 1.50s", status_code=None,
                          content_type=None, headers={}, error=None, transcript=Transcript(),
                          dialect="v1.0-jsonrpc")
    assert stream.describe() == "no HTTP answer (end=stalled: no response headers within 1.50s)"
    assert "None" not in stream.describe() + call.describe()
