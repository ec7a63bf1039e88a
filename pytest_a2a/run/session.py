"""Per-run state of the plugin: options, registry, expectations, target, result rows.

One ``A2ARun`` lives in ``config.stash``. Everything heavy is loaded on first use, so a run
that collects no a2a test never reads a requirement file, fetches a card or boots a server.
Results flow one way: graded rows arrive on their reports (``add_result``) and leave, with
``report_header()``, to ``pytest_a2a.reports``, which never sees this object.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from pytest_a2a.judge.rows import ResultRow
from pytest_a2a.run.options import Options

if TYPE_CHECKING:
    from pytest_a2a.judge.expectations import Expectations
    from pytest_a2a.judge.requirements import Registry
    from pytest_a2a.reports.header import ReportHeader
    from pytest_a2a.run.process import ServerProcess
    from pytest_a2a.run.target import Embedded, Target

WORKERINPUT_KEY = "a2a_target"
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
        # [helper G: embedded server as a subprocess] set by plugin.py: the run names the
        # packaged suite or gives a2a options, so an xdist controller boots the server once
        self.expects_a2a = False

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
        if row is not None:
            self.rows.append(row)

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
        )

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
        """Controller: learn the target a worker resolved itself (embedded, for reports)."""
        if self._target is None and WORKERINPUT_KEY in workeroutput:
            from pytest_a2a.run.target import Target

            self._target = Target.from_json(workeroutput[WORKERINPUT_KEY])

    def handover(self) -> dict[str, str]:
        """What an xdist worker needs from the controller (the already resolved target)."""
        return {WORKERINPUT_KEY: self._target.to_json()} if self._target is not None else {}


RUN_KEY = pytest.StashKey[A2ARun]()


def get_run(config: pytest.Config) -> A2ARun:
    return config.stash[RUN_KEY]
