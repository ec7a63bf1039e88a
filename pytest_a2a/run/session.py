"""Per-run state of the plugin: options, registry, expectations, target, result rows.

One ``A2ARun`` lives in ``config.stash``. Everything heavy is loaded on first use, so a run
that collects no a2a test never reads a requirement file, fetches a card or boots a server.
Results flow one way: graded rows arrive on their reports (``add_result``) and leave, with
``report_header()``, to ``pytest_a2a.reports``, which never sees this object.
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import pytest

from pytest_a2a.judge.rows import ResultRow
from pytest_a2a.reports.header import Cost
from pytest_a2a.reports.summary import SILENCE_AFTER, SILENCE_SINCE, WAITED
from pytest_a2a.run import notes as _notes
from pytest_a2a.run.options import Options

if TYPE_CHECKING:
    from pytest_a2a.judge.expectations import Expectations
    from pytest_a2a.judge.requirements import Registry
    from pytest_a2a.reports.header import CoverageInfo, Diagnosis, ReportHeader
    from pytest_a2a.run.health import HealthProbe
    from pytest_a2a.run.interfaces import InterfaceTally
    from pytest_a2a.run.process import ServerProcess
    from pytest_a2a.run.target import Embedded, Target

WORKERINPUT_KEY = "a2a_target"
#: workeroutput key: SSE events an xdist worker judged (summed into the cost line)
EVENTS_KEY = "a2a_events_judged"
#: workerinput key: the file where xdist workers name the stress tests (``run.xdist_sched``)
STRESS_FILE_KEY = "a2a_stress_ids"
TARGET_EXIT = pytest.ExitCode.USAGE_ERROR


class A2ARun:
    def __init__(self, config: pytest.Config, options: Options) -> None:
        self.config = config
        self.options = options
        self.workerinput: dict[str, Any] | None = getattr(config, "workerinput", None)
        self._registry: Registry | None = None
        self._expectations: Expectations | None = None
        self._expectations_loaded = False
        self._target: Target | None = None
        self._target_error: str | None = None
        self._selected: dict[str, str] | None = None
        self.process: ServerProcess | None = None
        self._embedded: Embedded | None = None
        #: one per finished a2a test, in the order they finished (reporting process only)
        self.rows: list[ResultRow] = []
        #: how each interface answered, over all tests (the root-cause headline)
        self._interfaces: InterfaceTally | None = None
        self._probe: HealthProbe | None = None
        # [helper G: embedded server as a subprocess] set by plugin.py: the run names the
        # packaged suite or gives a2a options, so an xdist controller boots the server once
        self.expects_a2a = False
        #: the run's start (the cost line's wall time) and events judged by xdist workers
        self.started = time.monotonic()
        self._worker_events = 0

    # -- data ---------------------------------------------------------------------------------
    @property
    def is_worker(self) -> bool:
        return self.workerinput is not None

    @property
    def registry(self) -> Registry:
        if self._registry is None:
            from pytest_a2a.judge.requirements import RequirementError, load

            try:
                self._registry = load(self.options.requirement_files)
            except RequirementError as exc:
                raise pytest.UsageError(f"pytest-a2a requirements: {exc}") from None
        return self._registry

    @property
    def expectations(self) -> Expectations | None:
        if not self._expectations_loaded and self.options.expectations is not None:
            from pytest_a2a.judge.expectations import ExpectationError, load

            try:
                self._expectations = load(self.options.expectations, self.registry)
            except ExpectationError as exc:
                raise pytest.UsageError(str(exc)) from None
        self._expectations_loaded = True
        return self._expectations

    # -- results ------------------------------------------------------------------------------
    def add_result(self, report: pytest.TestReport) -> None:
        """Keep the row a finished a2a test's (teardown) report carries; others carry none."""
        row = ResultRow.from_report(report)
        if row is None:
            return
        silence, data = _notes.read(report)
        self.interfaces.add(row.nodeid, data.get("interfaces") or {}, data.get("urls") or {})
        if silence is not None and silence.recovered:
            row = _observe(row, {WAITED: silence.seconds, SILENCE_AFTER: silence.since})
            self._amend(silence.after, {"target_unresponsive_after_s": silence.seconds})
        elif silence is not None:
            row = replace(_observe(row, {SILENCE_SINCE: silence.since, WAITED: silence.seconds}),
                          message=silence.describe(str(data.get("card_url", ""))))
        self.rows.append(row)

    @property
    def interfaces(self) -> InterfaceTally:
        """How each interface answered, over all tests (the root-cause headline)."""
        if self._interfaces is None:
            from pytest_a2a.run.interfaces import InterfaceTally

            self._interfaces = InterfaceTally()
        return self._interfaces

    def _amend(self, nodeid: str | None, observations: dict[str, Any]) -> None:
        """Note on an earlier row (the test after which the target went silent)."""
        for i in range(len(self.rows) - 1, -1, -1):
            if self.rows[i].nodeid == nodeid:
                self.rows[i] = _observe(self.rows[i], observations)
                return

    def probe_before(self, item: pytest.Item) -> None:
        """Before a scenario: does the target answer? Waits for it to recover (bounded);
        fails the test as an error when it never does (``run.health``)."""
        if self.options.replay is not None:  # [helper H] a replay has no server
            return
        probe = self._probe
        if probe is None:
            from pytest_a2a.run.health import HealthProbe

            probe = self._probe = HealthProbe(self.target().card_url, dict(self.options.headers),
                                              self.options.timeout)
            self.config.add_cleanup(probe.close)
        silence = probe.before(item.nodeid)
        if silence is None:
            return
        notes = item.stash.setdefault(_notes.NOTES_KEY, _notes.ItemNotes())
        notes.silence, notes.card_url = silence, probe.card_url
        if not silence.recovered:
            pytest.fail(silence.describe(probe.card_url), pytrace=False)

    def diagnoses(self) -> list[Diagnosis]:
        """Findings that explain many rows at once, most decisive first."""
        from pytest_a2a.reports.header import Diagnosis
        from pytest_a2a.run.health import RECOVERY_BUDGETS
        from pytest_a2a.run.interfaces import describe, explained

        found: list[Diagnosis] = []
        silent: dict[str, list[str]] = {}
        for row in self.rows:
            since = row.observations.get(SILENCE_SINCE)
            if since is not None:
                silent.setdefault(str(since), []).append(row.nodeid)
        for since, tests in silent.items():
            found.append(Diagnosis("unresponsive", (
                f"target unresponsive since {since}: it never answered again within "
                f"{RECOVERY_BUDGETS * self.options.timeout:g}s; {len(tests)} tests not run "
                "(error), no requirement judged on them"), tuple(tests)))
        outcomes = {row.nodeid: row.outcome for row in self.rows}
        not_passed = sum(1 for row in self.rows if row.outcome not in ("passed", "info",
                                                                          "skipped"))
        for cause in self.interfaces.root_causes():
            tests = explained(cause, outcomes)
            if tests:
                found.append(Diagnosis("interface", describe(cause, len(tests), not_passed),
                                       tuple(tests)))
        return found

    def report_header(self) -> ReportHeader:
        """Everything the reports state besides the rows, as plain data."""
        from pytest_a2a.reports.header import ReportHeader, RunOptions, ServerLog, TargetInfo

        opts = self.options
        target = self._target
        info = None
        if target is not None:
            info = TargetInfo(
                kind=target.kind, url=target.url, card_url=target.card_url,
                implementation=target.name, declared_dialects=tuple(target.interfaces),
                tested_dialects=tuple(self.selected()),
                script_agent=target.declares_script_agent, described=target.describe(),
            )
        expectations = self.expectations
        process = self.process
        return ReportHeader(
            target=info,
            options=RunOptions(
                strict=opts.strict, timeout=opts.timeout, dialect=opts.dialect,
                binding=opts.binding, scripted=opts.scripted,
                expectations=str(opts.expectations) if opts.expectations else None,
                implementation=expectations.implementation if expectations else None,
            ),
            requirements=self.registry,
            report_json=opts.report_json, report_html=opts.report_html,
            server_log=ServerLog(process.log_path, process.log_tail) if process else None,
            diagnoses=tuple(self.diagnoses()),
            coverage=self._coverage(),
            cost=Cost(time.monotonic() - self.started, self.events_judged()),
        )

    def _coverage(self) -> CoverageInfo | None:
        """Coverage over the dialects tested (None when no target or no a2a rows)."""
        from pytest_a2a.judge.coverage import coverage, coverage_by_dialect
        from pytest_a2a.reports.header import CoverageInfo

        if self._target is None or not self.rows or self.options.replay is not None:
            return None
        dialects = list(self.selected())
        total = coverage(self.rows, self.registry, dialects)
        per = coverage_by_dialect(self.rows, self.registry, dialects)
        return CoverageInfo(
            line=total.line(), judged=len(total.judged), applicable=len(total.applicable),
            by_dialect={d: c.line() for d, c in per.items()},
            needs_agent=dict(total.needs_agent), not_judged=dict(total.not_judged))

    def events_judged(self) -> int:
        """Events judged by this process plus what xdist workers reported."""
        from pytest_a2a.wire.stream import events_judged

        return events_judged() + self._worker_events

    # -- target -------------------------------------------------------------------------------
    @property
    def target_if_known(self) -> Target | None:
        return self._target

    def start_session_target(self) -> None:
        """Controller/single process: resolve --a2a-url / boot --a2a-server-cmd before tests.

        Failure ends the run at once (exit status 4) with the reason and the server log.
        """
        if self.options.replay is not None:  # [helper H] a replay has no server
            return
        if self.is_worker or (self.options.target_kind == "embedded"
                              and not self._shares_embedded()):
            return
        from pytest_a2a.run.process import BootError
        from pytest_a2a.run.target import TargetError

        try:
            self._target = self._resolve_external()
        except (BootError, TargetError) as exc:
            pytest.exit(f"pytest-a2a: target unusable:\n{exc}", returncode=TARGET_EXIT)

    def _shares_embedded(self) -> bool:
        """[helper G] xdist controller of an a2a run: one embedded server for all workers
        (booted here, handed over); elsewhere it is booted when a2a tests are collected."""
        return self.expects_a2a and self.config.pluginmanager.get_plugin("dsession") is not None

    def _resolve_external(self) -> Target:
        from pytest_a2a.run import process as _process
        from pytest_a2a.run import target as _target

        opts = self.options
        if opts.target_kind == "embedded":  # [helper G] a subprocess, like --a2a-server-cmd
            self._embedded = _target.Embedded()
            self.config.add_cleanup(self._embedded.stop)
            found = self._embedded.start(opts)
            self.process = self._embedded.process  # its log, for the reports (stopped above)
            return found
        if opts.url:
            return _target.resolve_url(opts)
        assert opts.server_cmd
        self.process = _process.start(
            opts.server_cmd, _process.boot_deadline(opts.timeout), dict(opts.headers)
        )
        self.config.add_cleanup(self.stop_process)
        try:
            return _target.from_process(opts, self.process.url, self.process.pid,
                                        self.process.command)
        except _target.TargetError as exc:
            raise _target.TargetError(
                f"{exc}\n  server log, last lines:\n{self.process.log_tail()}"
            ) from None

    def tests_over(self) -> None:
        """No test talks to the booted server any more (its session fixtures are torn down,
        or every xdist worker finished): SIGTERM it now, so its shutdown overlaps pytest's
        teardown; the cleanup registered at boot still waits for it and kills what is left."""
        if self.process is not None:
            self.process.request_stop()

    def stop_process(self) -> None:
        process, self.process = self.process, None
        if process is not None:
            process.stop()
            process.remove_log()

    def target(self) -> Target:
        """The target, resolving it on first use (embedded boot, xdist hand-over)."""
        if self._target is not None:
            return self._target
        if self._target_error is not None:
            pytest.fail(self._target_error, pytrace=False)
        from pytest_a2a.run.process import BootError
        from pytest_a2a.run.target import Target, TargetError

        try:
            if self.workerinput is not None and WORKERINPUT_KEY in self.workerinput:
                self._target = Target.from_json(self.workerinput[WORKERINPUT_KEY])
            else:
                self._target = self._resolve_external()
        except (BootError, TargetError) as exc:
            self._target_error = f"pytest-a2a: target unusable:\n{exc}"
            pytest.fail(self._target_error, pytrace=False)
        return self._target

    def selected(self) -> dict[str, str]:
        """Dialect id -> interface URL this run tests (card ∩ --a2a-dialect/--a2a-binding)."""
        if self._selected is None:
            from pytest_a2a.run.target import select

            self._selected = select(self.target(), self.options)
        return self._selected

    def scripted(self) -> tuple[bool, str]:
        """(run scripted scenarios?, why not)."""
        mode = self.options.scripted
        if mode == "yes":
            return True, ""
        if mode == "no":
            return False, "needs the a2a-conformance/1 script agent; disabled by --a2a-scripted=no"
        if self.target().declares_script_agent:
            return True, ""
        return False, (
            "needs the a2a-conformance/1 script agent: the target's card declares no skill "
            "'a2a-conformance' (see CONFORMANCE-AGENT.md; force with --a2a-scripted=yes)"
        )

    def header_lines(self) -> list[str]:
        opts = self.options
        target = self._target
        strict = "strict (SHOULD failures fail)" if opts.strict else "non-strict"
        lines = []
        if opts.replay is not None:  # [helper H]
            lines.append(f"a2a target: none (--a2a-replay {opts.replay})")
        elif target is None:
            lines.append("a2a target: embedded reference server (python -m reference_server "
                         "--port 0, a subprocess booted when a2a tests are collected)")
        else:
            lines.append(f"a2a target: {target.describe()}")
            lines.append(f"a2a implementation: {target.name}")
            declared = ", ".join(target.interfaces) or "none"
            lines.append(f"a2a dialects: {', '.join(self.selected()) or 'none'} "
                         f"(card declares: {declared})")
            ok, _ = self.scripted()
            lines.append(f"a2a script agent: {'yes' if ok else 'no'} (--a2a-scripted="
                         f"{opts.scripted})")
        expect = f"; expectations: {opts.expectations}" if opts.expectations else ""
        lines.append(f"a2a grading: {strict}; budget {opts.timeout:g}s{expect}")
        return lines

    def adopt(self, workeroutput: dict[str, Any]) -> None:
        """Controller: learn the target a worker resolved itself (embedded, for reports), and
        add the events it judged to the cost line."""
        self._worker_events += int(workeroutput.get(EVENTS_KEY, 0) or 0)
        if self._target is None and WORKERINPUT_KEY in workeroutput:
            from pytest_a2a.run.target import Target

            self._target = Target.from_json(workeroutput[WORKERINPUT_KEY])

    def handover(self) -> dict[str, Any]:
        """Controller → worker: the already resolved target. Worker → controller: the same,
        plus how many events the worker judged."""
        out: dict[str, Any] = {}
        if self._target is not None:
            out[WORKERINPUT_KEY] = self._target.to_json()
        if self.is_worker:
            from pytest_a2a.wire.stream import events_judged

            out[EVENTS_KEY] = events_judged()
        return out


def _observe(row: ResultRow, observations: dict[str, Any]) -> ResultRow:
    return replace(row, observations={**row.observations, **observations})


RUN_KEY = pytest.StashKey[A2ARun]()


def get_run(config: pytest.Config) -> A2ARun:
    return config.stash[RUN_KEY]
