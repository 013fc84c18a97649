"""aslkit's pytest plugin (registered through the `pytest11` entry point).

Fixtures:
- `localstack`: the LocalStack endpoint for the session (an external one, a running `aslkit local up`, or one it
  starts on a free port and stops at the end of the session);
- `aws`: boto3 clients bound to it; `backend`: the execution backend;
- `harness`: deploy workflows (once per session), start/wait/trigger executions, mock integrations (cleared after
  each test).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from aslkit.local.clients import AwsClients
from aslkit.local.launcher import Endpoint, Launcher, LocalStackError
from aslkit.testing.backend import LocalStackBackend
from aslkit.testing.harness import Harness


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "localstack: the test runs against LocalStack")


@pytest.fixture(scope="session")
def aslkit_root(pytestconfig: pytest.Config) -> Path:
    return Path(pytestconfig.rootpath)


@pytest.fixture(scope="session")
def localstack(aslkit_root: Path) -> Iterator[Endpoint]:
    launcher = Launcher(aslkit_root)
    running = launcher.status()
    try:
        endpoint = running or launcher.up()
    except LocalStackError as error:
        if not launcher.python.exists() and not os.environ.get("CI") and launcher.external() is None:
            pytest.skip(f"LocalStack cannot run here: {error}")
        raise
    yield endpoint
    if running is None and endpoint.owned:
        launcher.down()


@pytest.fixture(scope="session")
def aws(localstack: Endpoint) -> AwsClients:
    return AwsClients(localstack.url)


@pytest.fixture(scope="session")
def backend(aws: AwsClients, localstack: Endpoint, aslkit_root: Path) -> LocalStackBackend:
    mock_config = Path(localstack.mock_config) if localstack.mock_config else None
    return LocalStackBackend(aws, aslkit_root, mock_config)


@pytest.fixture(scope="session")
def _aslkit_session_harness(backend: LocalStackBackend, aslkit_root: Path) -> Harness:
    return Harness(backend, aslkit_root)


@pytest.fixture
def harness(_aslkit_session_harness: Harness) -> Iterator[Harness]:
    yield _aslkit_session_harness
    _aslkit_session_harness.clear_mocks()
