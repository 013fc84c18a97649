"""The console promise: every committed sample input (`statemachines/<machine>.input.json`, which the README tells a
console user to paste) runs as-is on a fresh local deployment of its workflow with the workflow's stand-ins."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

import pytest

from aslkit.build import discover
from aslkit.local.deployer import Deployment
from aslkit.testing.harness import Harness

ROOT = Path(__file__).resolve().parents[2]
MACHINES = [(workflow, machine) for workflow in discover(ROOT) for machine in workflow.machines]


@pytest.mark.parametrize(("workflow", "machine"), MACHINES, ids=[m.name for _, m in MACHINES])
def test_the_committed_sample_input_runs_as_is(harness: Harness, aws: Any, workflow: Any, machine: Any) -> None:
    sample = json.loads((ROOT / "statemachines" / f"{machine.name}.input.json").read_text())

    def deploy(extra: dict[str, str] | None = None) -> Deployment:
        return harness.deploy(workflow, parameters=extra or None, fresh=True)

    stand_ins = workflow.local(aws, deploy) if workflow.local else contextlib.nullcontext(deploy())
    with stand_ins as deployment:
        result = harness.run(deployment, sample, machine=machine.name, timeout=3600)
    assert result.succeeded, result.explain()
