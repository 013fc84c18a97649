from __future__ import annotations

import pytest

from aslkit.local.deployer import Deployment
from aslkit.testing.harness import Harness

from .checks_workflow import WORKFLOW


@pytest.fixture
def checks(harness: Harness) -> Deployment:
    """The checks workflow is not in the catalogue: the harness builds its ASL, then deploys it once."""
    return harness.deploy(WORKFLOW)
