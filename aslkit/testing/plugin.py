"""aslkit's pytest plugin (registered through the `pytest11` entry point).

Fixtures:
- `localstack`: the LocalStack endpoint for the session (an external one, a running `aslkit local up`, or one it
  starts on a free port and stops at the end of the session);
- `aws`: boto3 clients bound to it; `backend`: the execution backend;
- `harness`: deploy workflows (once per session), start/wait/trigger executions, mock integrations (cleared after
  each test).
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:  # the plugin loads with aslkit's core alone: each tier imports its own parts when used
    from aslkit.local.clients import AwsClients
    from aslkit.local.launcher import Endpoint
    from aslkit.testing.backend import LocalStackBackend
    from aslkit.testing.harness import Harness


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "localstack: the test runs against LocalStack")


@pytest.fixture(scope="session")
def aslkit_root(pytestconfig: pytest.Config) -> Path:
    return Path(pytestconfig.rootpath)


def _unavailable(reason: str) -> None:
    """Skip a tier that cannot run here, saying how to enable it; under CI=true, fail instead."""
    if os.environ.get("CI"):
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def localstack(aslkit_root: Path) -> Iterator[Endpoint]:
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
def aws(localstack: Endpoint) -> AwsClients:
    from aslkit.local.clients import AwsClients

    return AwsClients(localstack.url)


@pytest.fixture(scope="session")
def backend(aws: AwsClients, localstack: Endpoint, aslkit_root: Path) -> LocalStackBackend:
    from aslkit.testing.backend import LocalStackBackend

    mock_config = Path(localstack.mock_config) if localstack.mock_config else None
    return LocalStackBackend(aws, aslkit_root, mock_config)


@pytest.fixture(scope="session")
def _aslkit_session_harness(backend: LocalStackBackend, aslkit_root: Path) -> Harness:
    from aslkit.testing.harness import Harness

    return Harness(backend, aslkit_root)


@pytest.fixture
def harness(_aslkit_session_harness: Harness) -> Iterator[Harness]:
    yield _aslkit_session_harness
    _aslkit_session_harness.clear_mocks()
