"""The pytest face of recordings: ``--a2a-record DIR`` and ``--a2a-replay PATH``.

A replay is a run: every recorded streaming exchange × applicable requirement becomes one test
item carrying the ``a2a_requirement`` marker, so the plugin's own machinery grades it (levels,
expectation files, ``--a2a-strict``), reports it (terminal, JSON, HTML, junitxml) and sets the
exit code exactly as for a live test. Recordings are read at configure time: a file that is not
a recording is a usage error before anything is collected.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from pytest_a2a.judge.checks import Checker, ConformanceFailure
from pytest_a2a.judge.outcomes import ITEM_KEY
from pytest_a2a.recording.judges import Case, cases
from pytest_a2a.recording.load import dialect_hint, load
from pytest_a2a.recording.model import Recording, RecordingError

if TYPE_CHECKING:
    from pytest_a2a.run.session import A2ARun

NOT_JUDGED = "not judged: "


def configure(config: pytest.Config, run: A2ARun) -> None:
    """Called from the plugin's ``pytest_configure`` when --a2a-record/--a2a-replay is given."""
    opts = run.options
    if opts.record is not None:
        from pytest_a2a.recording.recorder import RecordPlugin

        config.pluginmanager.register(
            RecordPlugin(opts.record, cap=opts.record_cap,
                         redact=[name for name, _ in opts.headers], budget=opts.timeout),
            "a2a-record")
    if opts.replay is not None:
        try:
            recordings = load(opts.replay, dialect_hint(opts.dialect, opts.binding))
        except RecordingError as exc:
            raise pytest.UsageError(f"--a2a-replay: {exc}") from None
        config.pluginmanager.register(ReplayPlugin(run, recordings), "a2a-replay")
        if config.args_source != pytest.Config.ArgsSource.ARGS:
            config.args = [str(opts.replay)]


class ReplayPlugin:
    def __init__(self, run: A2ARun, recordings: list[Recording]) -> None:
        self.run = run
        self.by_path = {r.path.resolve(): r for r in recordings}

    def pytest_collect_file(self, file_path: Path, parent: pytest.Collector) -> Any:
        rec = self.by_path.get(file_path.resolve())
        if rec is None:
            return None
        return RecordingFile.from_parent(parent, path=file_path, recording=rec, run=self.run)

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        """After the plugin's own collection step graded the items as undialected tests:
        give each replay item its dialect and case (``<recording>#<exchange>``, what an
        expectation entry's ``cases`` names), and match the expectation file again."""
        expectations = self.run.expectations
        for item in items:
            info = item.stash.get(ITEM_KEY, None)
            if not isinstance(item, ReplayItem) or info is None:
                continue
            info.dialect, info.case = item.dialect, item.case_name
            if expectations is not None and info.requirement is not None:
                info.deviation = expectations.match(info.requirement.id, info.dialect,
                                                    info.case)

    def pytest_report_header(self, config: pytest.Config) -> list[str]:
        recs = list(self.by_path.values())
        streams = sum(1 for r in recs for ex in r.exchanges if ex.streaming)
        return [f"a2a replay: {self.run.options.replay} ({len(recs)} recording(s), {streams} "
                "streaming exchange(s)); no server"]


class RecordingFile(pytest.File):
    def __init__(self, *, recording: Recording, run: A2ARun, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.recording = recording
        self.run = run

    def collect(self) -> list[pytest.Item]:
        from pytest_a2a.budget import Budget
        from pytest_a2a.recording.replay import replay_stream

        budget = Budget(self.run.options.timeout)
        items: list[pytest.Item] = []
        for ex in self.recording.exchanges:
            if not ex.streaming or ex.dialect is None:
                continue
            replayed = replay_stream(self.recording, ex, budget)
            for case in cases(replayed, self.run.registry):
                name = f"x{ex.index}-{ex.op}[{ex.dialect}-{case.requirement.id}]"
                items.append(ReplayItem.from_parent(self, name=name, case=case))
        return items


class ReplayItem(pytest.Item):
    """One requirement judged on one recorded streaming exchange."""

    def __init__(self, *, case: Case, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.case = case
        replayed = case.replayed
        self.add_marker(pytest.mark.a2a_requirement(case.requirement.id))
        self.dialect = replayed.exchange.dialect
        self.case_name = replayed.name

    def runtest(self) -> None:
        case = self.case
        replayed = case.replayed
        checker = Checker(case.requirement, replayed.exchange.dialect)
        info = self.stash.get(ITEM_KEY, None)
        if info is not None:
            info.checker = checker
        checker.record("recording", replayed.name)
        if replayed.exchange.notes:
            checker.record("recording notes", replayed.exchange.notes)
        if case.error is not None:
            raise case.error
        j = case.judgement
        assert j is not None
        for key, value in j.observations.items():
            checker.record(key, value)
        if j.outcome == "not-judged":
            checker.transcript = replayed.result.excerpt()
            pytest.skip(NOT_JUDGED + j.actual)
        checker.check(j.outcome == "pass", expected=j.expected, actual=j.actual,
                      stream=replayed.result)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException],
                     style: Any = None) -> Any:
        if isinstance(excinfo.value, ConformanceFailure):
            return excinfo.value.render()
        return super().repr_failure(excinfo)

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, None, f"{self.case.replayed.name} {self.case.requirement.id}"
