"""aslkit's pytest plugin (registered through the `pytest11` entry point).

Two tiers run the same test code. `--aslkit-backend` (or `ASLKIT_BACKEND`) picks them:
- `inprocess` (the default): every test that uses `harness`, `backend` or `aws` runs on the engine with moto, in
  virtual time; tests that need LocalStack itself (they use the `localstack` fixture) are skipped;
- `localstack`: every such test runs on LocalStack;
- `all`: each test in process, and those marked `@pytest.mark.localstack` (or using `localstack`) on LocalStack
  too. `make test` runs the same split as two processes at once: `--aslkit-backend=inprocess` and
  `--aslkit-backend=localstack -m localstack`.

Fixtures:
- `harness`: deploy workflows (once per session and tier), start/wait/trigger executions, mock integrations
  (cleared after each test), wait for what a test expects (`harness.eventually`, in real or virtual time);
- `backend`: the tier's execution backend; `aws`: boto3 clients of the tier (moto's, or LocalStack's);
- `localstack`: the LocalStack endpoint for the session (an external one, a running `aslkit local up`, or one it
  starts on a free port and stops at the end of the session).
"""

from __future__ import annotations

import importlib.util
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:  # the plugin loads with aslkit's core alone: each tier imports its own parts when used
    from aslkit.local.clients import AwsClients
    from aslkit.local.deployer import Deployment
    from aslkit.local.launcher import Endpoint
    from aslkit.testing.backend import ExecutionBackend
    from aslkit.testing.harness import Harness

TIERS = ("inprocess", "localstack", "all")
_TIER_FIXTURES = {"harness", "backend", "aws"}


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--aslkit-backend", choices=TIERS, default=None,
                     help="where workflow tests run: inprocess (default; also ASLKIT_BACKEND), localstack, or all "
                          "(in process, and the tests marked localstack on LocalStack too)")  # fmt: skip
    parser.addoption("--aslkit-coverage", action="store_true",
                     help="report the states, transitions, Choice branches, Catch and Retry edges the tests' "
                          "executions took, per state machine (table, build/aslkit-coverage/)")  # fmt: skip
    parser.addoption(
        "--aslkit-coverage-fail-under",
        type=float,
        default=None,
        metavar="PERCENT",
        help="with --aslkit-coverage: fail the session when less than PERCENT of all items were taken",
    )
    parser.addoption("--aslkit-coverage-dir", type=Path, default=Path("build") / "aslkit-coverage",
                     help="where --aslkit-coverage writes coverage.json and a diagram per machine")  # fmt: skip


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "localstack: the test runs on LocalStack too (and only there if it uses the "
                                       "`localstack` fixture)")  # fmt: skip


def _tier(config: pytest.Config) -> str:
    chosen = config.getoption("--aslkit-backend") or os.environ.get("ASLKIT_BACKEND") or "inprocess"
    if chosen not in TIERS:
        raise pytest.UsageError(f"ASLKIT_BACKEND={chosen!r}: choose one of {', '.join(TIERS)}")
    return str(chosen)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    names = set(metafunc.fixturenames)
    if not names & _TIER_FIXTURES:
        return
    tier = _tier(metafunc.config)
    needs_localstack = "localstack" in names
    marked = metafunc.definition.get_closest_marker("localstack") is not None
    if tier == "localstack" or needs_localstack:
        backends = ["localstack"]
    elif tier == "all" and marked:
        backends = ["inprocess", "localstack"]
    else:
        backends = ["inprocess"]
    metafunc.parametrize("aslkit_backend_name", backends, indirect=True, scope="session")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """A test that uses `localstack` is a LocalStack test (`-m localstack` selects it); a marked test that uses no
    tier fixture (it drives LocalStack itself) runs only in the tiers that include LocalStack."""
    tier = _tier(config)
    for item in items:
        names = set(getattr(item, "fixturenames", ()))
        if "localstack" in names and item.get_closest_marker("localstack") is None:
            item.add_marker(pytest.mark.localstack)
        if tier == "inprocess" and not names & _TIER_FIXTURES and item.get_closest_marker("localstack"):
            item.add_marker(pytest.mark.skip(reason="a LocalStack test: run with --aslkit-backend=all (or "
                                                    "localstack), as `make test` does"))  # fmt: skip


@pytest.fixture(scope="session")
def aslkit_backend_name(request: pytest.FixtureRequest) -> str:
    return str(getattr(request, "param", "inprocess"))


@pytest.fixture(scope="session")
def aslkit_root(pytestconfig: pytest.Config) -> Path:
    return Path(pytestconfig.rootpath)


def _unavailable(reason: str) -> None:
    """Skip a tier that cannot run here, saying how to enable it; under CI=true, fail instead."""
    if os.environ.get("CI"):
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def localstack(aslkit_root: Path, pytestconfig: pytest.Config) -> Iterator[Endpoint]:
    if _tier(pytestconfig) == "inprocess":
        pytest.skip("needs LocalStack itself: run with --aslkit-backend=all (or localstack), as `make test` does")
    if importlib.util.find_spec("localstack_client") is None:
        _unavailable(
            "the LocalStack tier needs aslkit[local]: pip install 'aslkit[local]', then `aslkit local install`"
        )
    from aslkit.errors import LocalStackError
    from aslkit.local.installer import installed_python
    from aslkit.local.launcher import Launcher

    launcher = Launcher(aslkit_root)
    running = launcher.status()
    if running is None and launcher.external() is None and installed_python() is None:
        _unavailable("LocalStack is not installed: run `aslkit local install` (once) to run the LocalStack tier")
    try:
        endpoint = running or launcher.up()
    except LocalStackError as error:
        _unavailable(f"LocalStack cannot run here: {error}")
        raise
    yield endpoint
    if running is None and endpoint.owned:
        launcher.down()


@pytest.fixture(scope="session")
def backend(aslkit_backend_name: str, aslkit_root: Path, request: pytest.FixtureRequest) -> Iterator[ExecutionBackend]:
    if aslkit_backend_name == "inprocess":
        if importlib.util.find_spec("moto") is None:
            _unavailable("the in-process tier needs aslkit[test]: pip install 'aslkit[test]'")
        from aslkit.testing.inprocess import InProcessBackend

        in_process = InProcessBackend(aslkit_root)
        yield in_process
        in_process.close()
        return
    from aslkit.local.clients import AwsClients
    from aslkit.testing.backend import LocalStackBackend

    endpoint: Endpoint = request.getfixturevalue("localstack")
    mock_config = Path(endpoint.mock_config) if endpoint.mock_config else None
    yield LocalStackBackend(AwsClients(endpoint.url), aslkit_root, mock_config)


@pytest.fixture(scope="session")
def aws(backend: ExecutionBackend) -> AwsClients:
    return backend.aws


@pytest.fixture(scope="session")
def _aslkit_session_harness(backend: ExecutionBackend, aslkit_root: Path) -> Harness:
    from aslkit.testing.harness import Harness

    return Harness(backend, aslkit_root)


@pytest.fixture
def harness(_aslkit_session_harness: Harness, request: pytest.FixtureRequest) -> Iterator[Harness]:
    """The session's harness; in process, its engine reseeded from this test's id: the same test draws the same
    interleavings whether it runs alone or after others."""
    import zlib

    _aslkit_session_harness.backend.reseed(zlib.crc32(request.node.nodeid.encode()))
    yield _aslkit_session_harness
    _aslkit_session_harness.clear_mocks()


@pytest.fixture(autouse=True)
def _aslkit_coverage(request: pytest.FixtureRequest) -> Iterator[None]:
    """With --aslkit-coverage, after each test that ran on a tier: its executions, before a later test resets the
    services."""
    recorder = request.config.stash.get(_COVERAGE, None)
    if recorder is None or not set(request.fixturenames) & _TIER_FIXTURES:
        yield
        return
    session_harness: Harness = request.getfixturevalue("_aslkit_session_harness")
    yield
    recorder.collect(session_harness)


class _Recorder:
    """Every finished execution of every deployment this process made (through the harness or a workflow's own
    `local` stand-up), recorded once into the coverage report."""

    def __init__(self) -> None:
        from aslkit.testing.coverage import Report

        self.report = Report()
        self.seen: set[str] = set()

    def collect(self, harness: Harness) -> None:
        from aslkit.local.deployer import made
        from aslkit.runtime.results import TERMINAL

        machines = {d.machine_arn(m): (d, m) for d in made() for m in d.definitions}
        for arn, machine_arn in self._candidates(harness, machines):
            # a Distributed Map child runs `<machine>/<Map state>`: its states are the parent's
            machine_arn = machine_arn if machine_arn in machines else machine_arn.split("/", 1)[0]
            if arn in self.seen or machine_arn not in machines:
                continue
            result = harness.backend.result(arn)
            if result.status not in TERMINAL:
                continue  # still running: the next test's collection records it
            self.seen.add(arn)
            deployment, machine = machines[machine_arn]
            if machine not in self.report.machines:
                document = json.loads(deployment.definitions[machine].read_text(encoding="utf-8"))
                self.report.machine(machine, document)
            self.report.machines[machine].record(result)

    def _candidates(self, harness: Harness, machines: dict[str, tuple[Deployment, str]]) -> list[tuple[str, str]]:
        """(execution ARN, machine ARN) of every execution there is: the engine's own list in process (one pass),
        each deployed machine's on LocalStack."""
        engine = getattr(harness.backend, "engine", None)
        if engine is not None:
            return [(e.arn, e.machine_arn) for e in list(engine.executions.values()) if e.arn not in self.seen]
        return [(arn, machine_arn) for machine_arn, (d, m) in machines.items()
                for arn in harness.backend.executions(d, m)]  # fmt: skip


_COVERAGE = pytest.StashKey[_Recorder]()


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    if session.config.getoption("--aslkit-coverage"):
        session.config.stash[_COVERAGE] = _Recorder()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    recorder = session.config.stash.get(_COVERAGE, None)
    if recorder is None:
        return
    recorder.report.write(Path(session.config.rootpath) / session.config.getoption("--aslkit-coverage-dir"))
    floor = session.config.getoption("--aslkit-coverage-fail-under")
    if floor is not None and recorder.report.percent < floor and exitstatus == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    recorder = config.stash.get(_COVERAGE, None)
    if recorder is None:
        return
    terminalreporter.section("aslkit coverage")
    for line in recorder.report.lines():
        terminalreporter.write_line(line)
    folder = config.getoption("--aslkit-coverage-dir")
    terminalreporter.write_line(f"coverage.json and a diagram per state machine in {folder}/")
    floor = config.getoption("--aslkit-coverage-fail-under")
    if floor is not None and recorder.report.percent < floor:
        terminalreporter.write_line(f"FAIL: {recorder.report.percent:.1f}% of the items taken, under {floor:g}%")
