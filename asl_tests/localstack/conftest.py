from __future__ import annotations

from pathlib import Path

import pytest

from aslkit.build import build
from aslkit.local.deployer import Deployment
from aslkit.testing.harness import Harness

from .checks_workflow import WORKFLOW


@pytest.fixture(scope="session")
def checks_asl(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The checks workflow is not in the catalogue: build its ASL with the same code `aslkit build` uses."""
    out = tmp_path_factory.mktemp("checks_statemachines")
    build([WORKFLOW], out)
    return out


@pytest.fixture
def checks(harness: Harness, checks_asl: Path) -> Deployment:
    return harness.deploy(WORKFLOW, statemachines_dir=checks_asl)
