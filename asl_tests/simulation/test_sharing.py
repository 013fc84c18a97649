"""The sharing trigger under 500 seeds: the controller started two or three times at once for one run (the
ReadSetsAdded event delivered again, or a start by hand), with throttled planning and lost answers on the child
start; each job must be shared exactly once. Packaging and push are mocked (they are not the race); the controller, its Distributed Map, the planner and
Step Functions' execution names are real."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import pytest

from aslkit.engine import faults
from aslkit.local.deployer import Deployment
from aslkit.testing.harness import Harness
from aslkit.testing.mocks import Return
from aslkit.testing.simulation import Run, Variant, assert_caught, every_execution_ends, simulate
from workflows.sharing.local import put_jobs

pytestmark = pytest.mark.simulation

DATA = Path(__file__).resolve().parents[1] / "data" / "sharing"
JOB = json.loads((DATA / "jobs.json").read_text())[0]
SHARED = {"Output": {"packageId": "pkg.sim", "packageName": "sim", "report": "s3://report"}}
PUSHED = {"Output": {"pushId": "psh.sim", "files": 2, "bytes": 100}}
FAULTS = [
    faults.throttle(state="Plan job", probability=0.2),  # Lambda.TooManyRequestsException: retried
    faults.lost_response(state="Package and push", probability=0.1),  # the child started; its answer lost
]
_runs = itertools.count()


@pytest.fixture
def sharing(harness: Harness, aws: Any) -> Deployment:
    deployment = harness.deploy("sharing", prefix="simshr_")
    put_jobs(aws, deployment, [JOB, {**JOB, "jobName": "second-destination", "shareDestination": "s3://other/x/"}])
    harness.mock(deployment, "sharing_package_push", "sim", {"Package": [Return(SHARED, repeat=9)],
                                                             "Push": [Return(PUSHED, repeat=9)]})  # fmt: skip
    return deployment


class Triggers:
    def __init__(self, harness: Harness, aws: Any, deployment: Deployment) -> None:
        self.harness, self.aws, self.deployment = harness, aws, deployment

    def scenario(self, run: Run) -> None:
        instrument_run = f"20231010_SIM_{next(_runs):04d}_A222N7LTD3"
        self.aws.dynamodb.put_item(TableName=self.deployment.tables["sharing_libraries"], Item={
            "instrument_run_id": {"S": instrument_run}, "library_id": {"S": "L2300001"},
            "project_id": {"S": "PROJECT1"}, "subject_id": {"S": "SBJ00001"},
            "fastq_uri": {"S": f"s3://fastq/primary/{instrument_run}/L2300001/"}})  # fmt: skip
        detail = {"instrumentRunId": instrument_run}
        with run.concurrently():  # the trigger two or three times at once (delivered again, or started by hand)
            for _ in range(run.rng.randint(2, 3)):
                self.harness.start(self.deployment, detail, machine="sharing_controller", test_case="sim")

    def shared_once_per_job(self, run: Run) -> None:
        shares = run.executions_of(self.deployment.machine_arn("sharing_package_push"))
        names = sorted(r.arn.rsplit(":", 1)[1] for r in shares)
        assert len(names) == 2 and len(set(names)) == 2, f"each of 2 jobs shared once, not as {names}"
        controllers = run.executions_of(self.deployment.machine_arn("sharing_controller"))
        outcomes = [job["outcome"] for r in controllers if r.succeeded for job in r.output["jobs"]]
        assert outcomes.count("pushed") <= 2 and set(outcomes) <= {"pushed", "duplicate", "failed"}, outcomes


def test_each_job_is_shared_once_under_every_seed(harness: Harness, aws: Any, sharing: Deployment) -> None:
    triggers = Triggers(harness, aws, sharing)
    report = simulate(harness, triggers.scenario, seeds=500, faults=FAULTS,
                      invariants=[triggers.shared_once_per_job, every_execution_ends(within=600)])  # fmt: skip
    report.assert_held()
    assert report.injected > report.seeds // 10  # the faults did happen


def test_without_its_execution_name_a_job_is_shared_twice_and_replays(harness: Harness, aws: Any,
                                                                      sharing: Deployment) -> None:  # fmt: skip
    triggers = Triggers(harness, aws, sharing)
    checks = [triggers.shared_once_per_job]
    unnamed = Variant(harness, sharing.machine_arn("sharing_controller"), "Package and push", "Arguments.Name")
    found = assert_caught(harness, triggers.scenario, unnamed, invariants=checks)
    assert "each of 2 jobs shared once" in found.message
