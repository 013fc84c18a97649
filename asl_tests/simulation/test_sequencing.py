"""Sequencing's WES callback under 500 seeds: a run's launches wait on task tokens that ICA's ENS messages complete
through the event manager; the messages arrive at least once, in any order, some with a late contradicting outcome,
and completing a token can lose its answer. Each WES run must end in the execution with the outcome its launch record
keeps and the bus announces, and none may wait for its heartbeat."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from typing import Any

import pytest

from asl_tests.localstack.test_sequencing import bssh_record, sheet
from aslkit.engine import faults
from aslkit.local.deployer import Deployment
from aslkit.local.run import send_records
from aslkit.testing.harness import Harness
from aslkit.testing.simulation import CallVariant, Run, assert_caught, every_execution_ends, exactly_once, simulate
from workflows.sequencing import WORKFLOW, ica_key
from workflows.sequencing.fake_wes import FakeWes

pytestmark = pytest.mark.simulation

FAULTS = [
    faults.lost_response(operation="states:SendTaskSuccess", probability=0.2),  # resumed; the manager tries again
    faults.throttle(resource="wes_launcher", probability=0.2),  # Lambda.TooManyRequestsException: retried
    faults.throttle(operation="dynamodb:GetItem", probability=0.1),  # the manager's lookup: SQS delivers it again
]
LAUNCHES = ("BCL Convert: Launch and wait", "QC: Launch and wait", "Somatic: Launch and wait")
_runs = itertools.count(1)


class Runs:
    """Each seed's sequencing run, of one library: BCL Convert and its QC each wait on WES (about 60 AWS calls a
    seed); the seed picks every run's ending and whether a contradicting one follows."""

    def __init__(self, harness: Harness, aws: Any, deployment: Deployment, wes: FakeWes, recorder: str) -> None:
        self.harness, self.aws, self.deployment, self.wes, self.recorder = harness, aws, deployment, wes, recorder
        self.orchestrator = deployment.machine_arn("sequencing_orchestrator")
        self.table = deployment.tables["sequencing_state"]
        self.names: dict[str, str] = {}  # run key -> its sequencing run's name
        self.first_launch: dict[str, int] = {}  # run key -> where its launches start in the fake WES's list
        self.announced: list[dict[str, Any]] = []

    def scenario(self, run: Run) -> None:
        n = next(_runs)
        name = self.names[run.key] = f"231101_A00001_{n:04d}_SIMRUN"
        self.first_launch[run.key] = len(self.wes.launches)
        library = f"LN{n}"
        key = f"umccr-raw-sequence-data-dev/{name}/SampleSheet.csv"
        self.aws.s3.put_object(Bucket=self.deployment.buckets["sequencing_runs"], Key=key, Body=sheet(library).encode())
        self.aws.dynamodb.put_item(TableName=self.deployment.tables["library_metadata"], Item={
            "library_id": {"S": library}, "subject_id": {"S": f"SBJS{n}"}, "phenotype": {"S": "normal"},
            "type": {"S": "WGS"}, "workflow": {"S": "clinical"}})  # fmt: skip

        def endings(workflow_run_name: str) -> list[str]:
            first = "Succeeded" if "bcl_convert" in workflow_run_name else run.rng.choice(["Succeeded", "Failed"])
            late = run.rng.random() < 0.3  # ICA sends a contradicting outcome afterwards
            return [first, "Failed" if first == "Succeeded" else "Succeeded"] if late else [first]

        self.wes.outcome = endings
        with run.concurrently():  # ENS's run-ready message, delivered at least once
            send_records(self.aws, WORKFLOW, self.deployment, [bssh_record(name, f"r.Sim{n:06d}")])

    # -- what the seed left ----------------------------------------------------------------------------------------
    def launched(self, run: Run) -> list[str]:
        return sorted({launch["name"] for launch in self.wes.launches[self.first_launch[run.key] :]})

    def acted_on(self, run: Run) -> dict[str, tuple[str, str]]:
        """Each WES run's outcome as the execution took it: (status, error)."""
        seen = {out["workflow_run_name"]: (out["status"], "") for out in run.outputs(*LAUNCHES)}
        for failed in run.outputs("QC: Run failed", "Somatic: Run failed"):
            seen[failed["workflow_run_name"]] = ("FAILED", failed["error"])
        for result in run.executions_of(self.orchestrator):
            if result.status == "FAILED":  # BCL Convert failed: the run's Fail state ended the execution
                bcl = f"umccr__automated__bcl_convert__{result.input['sequence_run_name']}__" \
                      f"{result.input['sequence_run_id']}"  # fmt: skip
                seen.setdefault(bcl, ("FAILED", result.error or ""))
        return seen

    def recorded(self, workflow_run_name: str) -> str | None:
        item = self.aws.dynamodb.get_item(TableName=self.table, ConsistentRead=True, Key={
            "pk": {"S": f"WFR#{workflow_run_name}"}, "sk": {"S": "LAUNCH"}}).get("Item", {})  # fmt: skip
        return str(json.loads(item["outcome"]["S"])["status"]) if "outcome" in item else None

    def terminal_events(self) -> Iterator[dict[str, Any]]:
        while messages := self.aws.sqs.receive_message(QueueUrl=self.recorder, MaxNumberOfMessages=10,
                                                       WaitTimeSeconds=0).get("Messages", []):  # fmt: skip
            self.announced += [json.loads(m["Body"])["detail"] for m in messages]
            self.aws.sqs.delete_message_batch(QueueUrl=self.recorder, Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)])  # fmt: skip
        yield from (d for d in self.announced if d.get("status") in ("SUCCEEDED", "FAILED", "ABORTED"))

    # -- the invariants --------------------------------------------------------------------------------------------
    def one_outcome_per_workflow_run(self, run: Run) -> None:
        """Every WES run the seed launched ended in the execution through its callback (none by a heartbeat or a
        timeout), with the outcome its launch record keeps, and the bus announced that outcome only."""
        seen = self.acted_on(run)
        announced: dict[str, set[str]] = {}
        for detail in self.terminal_events():
            announced.setdefault(detail["workflow_run_name"], set()).add(detail["status"])
        launched = self.launched(run)
        assert any("bcl_convert" in name for name in launched), "the run never launched BCL Convert"
        for name in launched:
            assert name in seen, f"{name}: WES ended it and the execution never learned how"
            status, error = seen[name]
            assert not error.startswith("States."), f"{name}: the execution gave up waiting ({error})"
            recorded = self.recorded(name)
            assert recorded == status, f"{name}: the execution took {status}, the launch record says {recorded}"
            assert announced.get(name) == {status}, f"{name}: took {status}, the bus announced {announced.get(name)}"


@pytest.fixture
def runs(harness: Harness, aws: Any) -> Iterator[Runs]:
    with FakeWes(aws.sqs, "", delay=30, api_key=ica_key.local_value, later=harness.backend.later) as wes:
        deployment = harness.deploy("sequencing", prefix="sim_", parameters={"wes_base_url": wes.url})
        wes.attach(aws.s3, deployment)
        url = aws.sqs.create_queue(QueueName="sim_sequencing_announced")["QueueUrl"]
        arn = aws.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        bus = deployment.buses["sequencing_bus"]
        aws.events.put_rule(Name="sim_workflow_runs", EventBusName=bus, EventPattern=json.dumps(
            {"source": ["sequencing.ens_event_manager"], "detail-type": ["WorkflowRunStateChange"]}))  # fmt: skip
        aws.events.put_targets(Rule="sim_workflow_runs", EventBusName=bus, Targets=[{"Id": "q", "Arn": arn}])
        yield Runs(harness, aws, deployment, wes, url)


def test_each_wes_run_ends_once_with_the_outcome_it_keeps_under_every_seed(harness: Harness, runs: Runs) -> None:
    orchestrations = exactly_once("orchestration of a run", lambda run: [
        r.arn.rsplit(":", 1)[1].split("__")[0] for r in run.executions_of(runs.orchestrator)],
        expected=lambda run: [runs.names[run.key]])  # fmt: skip
    report = simulate(harness, runs.scenario, seeds=500, faults=FAULTS, duplicates=0.25, jitter=20.0,
                      invariants=[runs.one_outcome_per_workflow_run, orchestrations,
                                  every_execution_ends(within=3600)])  # fmt: skip
    report.assert_held()
    assert report.injected > report.seeds // 10  # the faults did happen, and were retried


def test_without_its_condition_a_late_outcome_is_caught_and_replays(harness: Harness, runs: Runs) -> None:
    settle = CallVariant(harness, "dynamodb:UpdateItem", "ConditionExpression",
                         match=lambda params: "outcome" in params.get("UpdateExpression", ""))  # fmt: skip
    found = assert_caught(harness, runs.scenario, settle, invariants=[runs.one_outcome_per_workflow_run],
                          duplicates=0.25, jitter=20.0)  # fmt: skip
    assert found.invariant == "one_outcome_per_workflow_run"
