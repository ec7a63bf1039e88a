"""The record/replay options: validation, exclusivity, and recording a run end to end."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("args, words", [
    (["--a2a-record-cap=12"], "at least 1024"),
    (["--a2a-replay=x.har", "--a2a-url=http://localhost:9"], "excludes --a2a-url"),
    (["--a2a-replay=x.har", "--a2a-record=out"], "excludes --a2a-record"),
    (["--a2a-replay=missing.har"], "no such file"),
])
def test_bad_options_are_usage_errors(pytester: pytest.Pytester, args: list[str],
                                      words: str) -> None:
    res = pytester.runpytest("-p", "no:cacheprovider", *args)
    assert res.ret == pytest.ExitCode.USAGE_ERROR
    res.stderr.fnmatch_lines([f"*{words}*"])


def test_record_then_replay(pytester: pytest.Pytester) -> None:
    """A user's own a2a test, recorded against the embedded server, replays without it."""
    pytester.makepyfile(test_mine='''
        import pytest
        from pytest_a2a import script

        @pytest.mark.asyncio
        @pytest.mark.a2a_requirement("ordering.task-first")
        async def test_first(a2a):
            res = await a2a.client.stream_collect(script.build([{"status": "completed"}]))
            a2a.check(res.events[0].kind == "task", expected="Task", actual=a2a.describe(res))
    ''')
    rec = pytester.path / "recs"
    live = pytester.runpytest("-p", "no:cacheprovider", "--a2a-dialect=1.0",
                              "--a2a-binding=rest", f"--a2a-record={rec}")
    live.assert_outcomes(passed=1)
    files = list(rec.glob("*.a2a.jsonl"))
    assert [f.name for f in files] == ["test_mine.py--test_first[v1.0-rest].a2a.jsonl"]
    replay = pytester.runpytest("-p", "no:cacheprovider", "-v", f"--a2a-replay={rec}")
    assert replay.ret == pytest.ExitCode.OK
    replay.stdout.fnmatch_lines(["*x1-stream[[]v1.0-rest-ordering.task-first[]] PASSED*"])
