"""pytest-a2a plugin entry point (``pytest11``): options, markers, fixtures, hooks.

Loaded in every pytest run of every project that installs the package, so it stays inert
unless a2a options are given or a2a tests are collected: no server boot, no collection
change, no output. Logic lives in private modules imported on first use.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Generator
from typing import TYPE_CHECKING, Any

import pytest
import pytest_asyncio

from pytest_a2a.judge.outcomes import ITEM_KEY
from pytest_a2a.run import options as _options
from pytest_a2a.run.session import RUN_KEY, STRESS_FILE_KEY, A2ARun, get_run

if TYPE_CHECKING:
    from pytest_a2a.judge.context import A2AContext
    from pytest_a2a.run.target import Target

_MARKERS = (
    "a2a_requirement(id): the conformance requirement this test checks (graded by its level)",
    "a2a_scripted: needs the a2a-conformance/1 script agent; skipped when the target lacks it",
    "a2a_stress: floods the target (like the backpressure and load families): runs after "
    "every other test, alone under xdist",
)


def pytest_addoption(parser: pytest.Parser) -> None:
    _options.add_options(parser)


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    for marker in _MARKERS:
        config.addinivalue_line("markers", marker)
    options = _options.read_options(config)
    expects_a2a = options.active or _names_packaged_suite(config)
    if expects_a2a:
        _quiet_loop_scope_notice(config)
    run = A2ARun(config, options)
    run.expects_a2a = expects_a2a  # [helper G] an xdist controller boots the embedded server
    config.stash[RUN_KEY] = run
    if options.requirement_files or options.expectations is not None:
        _ = run.registry, run.expectations  # bad data is a usage error now, not mid-run
    if options.target_on_cli and config.args_source != pytest.Config.ArgsSource.ARGS:
        config.args = [_suite_path()]
    if options.record is not None or options.replay is not None:  # [helper H] recordings
        from pytest_a2a.recording.plugin import configure as _recording

        _recording(config, run)
    config.pluginmanager.register(_ResultHooks(run), "a2a-results")
    if config.pluginmanager.hasplugin("xdist"):
        config.pluginmanager.register(_XdistHooks(run), "a2a-xdist")


def _names_packaged_suite(config: pytest.Config) -> bool:
    """``pytest --pyargs conformance_tests[.module]``: the user asked for our suite."""
    return bool(config.option.pyargs) and any(
        str(arg).split("::")[0].split(".")[0] == "conformance_tests" for arg in config.args)


def _quiet_loop_scope_notice(config: pytest.Config) -> None:
    """Runs of our suite do not print pytest-asyncio's "loop scope is unset" notice.

    It asks the *project* to choose a default loop scope for its async fixtures; our only
    async fixture declares its own (``loop_scope="function"``), and a user running the suite
    from an empty directory has no project to configure. Left alone when the project sets it,
    and never touched in runs that do not ask for the suite.
    """
    import warnings

    try:
        unset = not config.getini("asyncio_default_fixture_loop_scope")
    except ValueError:  # a pytest-asyncio without the option: nothing to quiet
        return
    if unset:
        warnings.filterwarnings(
            "ignore", message='The configuration option "asyncio_default_fixture_loop_scope"',
            category=pytest.PytestDeprecationWarning)


def _suite_path() -> str:
    """The installed ``conformance_tests`` package, found without importing it."""
    import importlib.util

    spec = importlib.util.find_spec("conformance_tests")
    if spec is None or not spec.submodule_search_locations:
        raise pytest.UsageError(
            "pytest-a2a: the packaged suite 'conformance_tests' is not installed; "
            "reinstall pytest-a2a or pass test paths explicitly"
        )
    return str(next(iter(spec.submodule_search_locations)))


class _XdistHooks:
    """Registered only with xdist: the controller hands its resolved target to workers."""

    def __init__(self, run: A2ARun) -> None:
        self.run = run
        self._stress_file: str | None = None

    def pytest_configure_node(self, node: Any) -> None:
        node.workerinput.update(self.run.handover())
        node.workerinput[STRESS_FILE_KEY] = self.stress_file()

    def stress_file(self) -> str:
        """Where workers name the stress tests for the scheduler (removed after the run)."""
        if self._stress_file is None:
            import os
            import tempfile
            import uuid

            from pytest_a2a.run.xdist_sched import remove

            path = os.path.join(tempfile.gettempdir(), f"pytest-a2a-stress-{uuid.uuid4().hex}.json")
            self.run.config.add_cleanup(lambda: remove(path))
            self._stress_file = path
        return self._stress_file

    def pytest_xdist_make_scheduler(self, config: pytest.Config, log: Any) -> Any:
        """``--dist load`` (what ``-n`` uses by default): stress tests last, alone."""
        if not self.run.expects_a2a or config.getvalue("dist") != "load":
            return None
        from pytest_a2a.run.xdist_sched import StressLastScheduling

        return StressLastScheduling(config, log, self.stress_file())

    def pytest_testnodedown(self, node: Any, error: Any) -> None:
        self.run.adopt(getattr(node, "workeroutput", None) or {})

    @pytest.hookimpl(tryfirst=True)  # before xdist waits for its workers' processes to exit
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if session.config.pluginmanager.has_plugin("dsession"):  # the controller: it runs no
            self.run.tests_over()  # test, and every worker has finished its session


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    get_run(session.config).start_session_target()


@pytest.hookimpl(trylast=True)  # after session fixtures are torn down, before the summary
def pytest_sessionfinish(session: pytest.Session) -> None:
    run = session.config.stash.get(RUN_KEY, None)
    if run is not None:
        run.tests_over()


def pytest_report_header(config: pytest.Config) -> list[str] | None:
    run = config.stash.get(RUN_KEY, None)
    if run is None or not run.expects_a2a:  # [helper G] the packaged suite says what it runs
        return None
    return run.header_lines()


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    marker = metafunc.definition.get_closest_marker("a2a_requirement")
    uses = "a2a" in metafunc.fixturenames
    if marker is None and not uses:
        return
    from pytest_a2a.run.collect import parametrize

    parametrize(get_run(metafunc.config), metafunc, marker)


@pytest.hookimpl(trylast=True)  # after other plugins reorder or deselect: stress stays last
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    run = config.stash[RUN_KEY]
    mine = [
        item for item in items
        if item.get_closest_marker("a2a_requirement") is not None
        or "a2a" in getattr(item, "fixturenames", ())
        or item.get_closest_marker("a2a_scripted") is not None
        or item.get_closest_marker("a2a_stress") is not None
    ]
    if mine:
        from pytest_a2a.run.collect import order_stress_last, prepare_items

        prepare_items(run, mine)
        stress = order_stress_last(items)
        stress_file = (run.workerinput or {}).get(STRESS_FILE_KEY)
        if stress and stress_file:  # xdist worker: tell the controller's scheduler
            from pytest_a2a.run.xdist_sched import write_stress_ids

            write_stress_ids(stress_file, [item.nodeid for item in stress])


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Before each scenario: is the target answering? (after the skip marks, which run first)"""
    if ITEM_KEY in item.stash and "a2a" in getattr(item, "fixturenames", ()):
        get_run(item.config).probe_before(item)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    rep = yield
    info = item.stash.get(ITEM_KEY, None)
    if info is not None:
        from pytest_a2a.judge.outcomes import apply

        apply(item, info, rep, call.excinfo.value if call.excinfo is not None else None)
        if rep.when == "teardown":
            from pytest_a2a.run.notes import NOTES_KEY

            notes = item.stash.get(NOTES_KEY, None)
            if notes is not None:
                notes.attach(rep)
    return rep


@pytest.hookimpl(tryfirst=True)
def pytest_report_teststatus(report: pytest.TestReport, config: pytest.Config) -> Any:
    if getattr(report, "a2a_outcome", None) is None:
        return None
    from pytest_a2a.judge.outcomes import teststatus

    return teststatus(report)


class _ResultHooks:
    """Registered per run: gathers result rows (on the xdist controller too) and reports."""

    def __init__(self, run: A2ARun) -> None:
        self.run = run

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if not self.run.is_worker:
            self.run.add_result(report)

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.run.is_worker or not self.run.rows:
            return
        from pytest_a2a import reports

        reports.write_terminal(self.run.rows, self.run.report_header(), terminalreporter)

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        opts = self.run.options
        workeroutput = getattr(session.config, "workeroutput", None)
        if workeroutput is not None:  # xdist worker: tell the controller what it tested
            workeroutput.update(self.run.handover())
            return
        if not (opts.report_json or opts.report_html):
            return
        from pytest_a2a import reports

        reports.write(self.run.rows, self.run.report_header())


# -- fixtures ---------------------------------------------------------------------------------


@pytest.fixture
def a2a_dialect(request: pytest.FixtureRequest) -> str:
    """The dialect id of this test run (``v1.0-rest``...); parametrized at collection."""
    raise pytest.UsageError(
        f"{request.node.nodeid}: the a2a fixture must be requested by name in the test's "
        "signature (or a fixture's), so it can be parametrized by dialect at collection"
    )


@pytest.fixture(scope="session")
def a2a_target(pytestconfig: pytest.Config) -> Target:
    """The server under test: URL, card, declared dialects, pid when the plugin booted it."""
    return get_run(pytestconfig).target()


@pytest_asyncio.fixture(loop_scope="function")
async def a2a(request: pytest.FixtureRequest, a2a_dialect: str) -> AsyncIterator[A2AContext]:
    """Per-test ``A2AContext`` with an entered client for this test's dialect."""
    from pytest_a2a.run.collect import open_context

    async with open_context(get_run(request.config), request.node, a2a_dialect) as ctx:
        yield ctx
