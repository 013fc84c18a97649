"""EDP's flush under 500 seeds: object events of one prefix, some delivered twice, racing the quiet-period sweeper
with throttled DynamoDB and lost answers; every event must be in exactly one flushed batch, each epoch closed once."""

from __future__ import annotations

import copy
import itertools
import json
from pathlib import Path
from typing import Any

import pytest

from aslkit.engine import faults
from aslkit.local.deployer import Deployment
from aslkit.testing.harness import Harness
from aslkit.testing.simulation import Run, Variant, assert_caught, every_execution_ends, exactly_once, simulate

pytestmark = pytest.mark.simulation

CREATED = json.loads((Path(__file__).resolve().parents[1] / "data/edp/s3_object_created.event.json").read_text())
THRESHOLD = 3  # a batch closes at its 3rd event, or when the sweeper finds it quiet (at once: 0 s)
FAULTS = [
    faults.throttle(operation="dynamodb:UpdateItem", probability=0.15),  # retried by every DynamoDB state
    faults.lost_response(state="Admit event once", probability=0.15),  # admitted, answer lost: tried again
    faults.lost_response(state="Count: announce batch", probability=0.2),  # announced twice: allowed
]
_runs = itertools.count()


@pytest.fixture
def edp(harness: Harness, aws: Any) -> Deployment:
    deployment = harness.deploy("edp", prefix="sim_", parameters={
        "edp_landing_threshold_count": str(THRESHOLD), "edp_landing_threshold_seconds": "0"})  # fmt: skip
    for name in ("edp_sweep", "edp_package_ready"):  # the scenario sweeps itself; packaging is not the race
        bus, rule = deployment.rules[name]
        aws.events.disable_rule(Name=rule, EventBusName=bus)
    return deployment


def created(bucket: str, key: str, sequencer: str) -> dict[str, Any]:
    event = copy.deepcopy(CREATED)
    event["detail"]["bucket"]["name"] = bucket
    event["detail"]["object"].update(key=key, sequencer=sequencer)
    return event


class Batches:
    def __init__(self, harness: Harness, aws: Any, deployment: Deployment) -> None:
        self.harness, self.aws, self.deployment = harness, aws, deployment
        self.bucket = deployment.buckets["edp_landing"]
        self.keys: dict[str, list[str]] = {}
        self.last: str | None = None

    def scenario(self, run: Run) -> None:
        # Each seed starts from an empty table (the sweeper scans all of it): the last seed's batch is done with.
        if self.last is not None:
            self.aws.dynamodb.delete_item(TableName=self.deployment.tables["edp_batches"],
                                          Key={"batch_id": {"S": f"{self.bucket}/{self.last}"}})  # fmt: skip
        prefix = self.last = f"run{next(_runs)}/lane1/"
        keys = self.keys[run.key] = [f"{prefix}file{n}.fastq.gz" for n in range(run.rng.randint(2, 3))]
        events = [created(self.bucket, key, f"{n:018X}") for n, key in enumerate(keys)]
        if run.rng.random() < 0.5:
            events.append(run.rng.choice(events))  # EventBridge delivers at least once
        with run.concurrently():  # the events and a sweep, in the order the seed picks
            for event in run.rng.sample(events, len(events)):
                self.harness.start(self.deployment, event, machine="edp_recorder")
            self.harness.start(self.deployment, {}, machine="edp_sweeper")
        run.settle()
        self.harness.start(self.deployment, {}, machine="edp_sweeper")  # the next sweep takes what is left

    @staticmethod
    def epochs(run: Run) -> list[tuple[str, int]]:
        """Each epoch a close wrote (from the batch as the close found it)."""
        closes = run.outputs("Count: close batch", "Quiet: close batch")
        return [(old["Attributes"]["prefix"]["S"], int(old["Attributes"]["epoch"]["N"]))
                for old in closes if "Attributes" in old]  # fmt: skip

    def every_event_in_one_flush(self, run: Run) -> None:
        unique = len(self.keys[run.key])
        announced = run.outputs("Count: announce batch", "Quiet: announce batch")
        batches = {(d["prefix"], d["epoch"]): d["count"] for d in announced}
        assert sum(batches.values()) == unique, (
            f"{unique} events, flushed as {sorted(batches.items())}: " + ("some counted twice" if
            sum(batches.values()) > unique else "some never flushed"))  # fmt: skip
        # A batch may hold more than THRESHOLD: events counted together before the close are all in it (#19).
        assert all(count > 0 for count in batches.values()), f"an empty batch announced: {batches}"


def test_every_event_is_flushed_once_under_every_seed(harness: Harness, aws: Any, edp: Deployment) -> None:
    batches = Batches(harness, aws, edp)
    report = simulate(harness, batches.scenario, seeds=500, faults=FAULTS, invariants=[
        batches.every_event_in_one_flush, exactly_once("an epoch closed", batches.epochs),
        every_execution_ends(within=600)])  # fmt: skip
    report.assert_held()
    assert report.injected > report.seeds // 10  # the faults did happen


def test_without_its_condition_the_sweeper_announces_an_empty_batch_and_replays(harness: Harness, aws: Any,
                                                                                edp: Deployment) -> None:  # fmt: skip
    batches = Batches(harness, aws, edp)
    checks = [batches.every_event_in_one_flush]
    # the sweeper's close no longer checks that the batch it found is still open with events pending
    close = Variant(harness, edp.machine_arn("edp_sweeper"), "Quiet: close batch", "Arguments.ConditionExpression",
                    replace="(epoch = :epoch OR epoch <> :epoch) AND due_at <= :now")  # fmt: skip
    found = assert_caught(harness, batches.scenario, close, invariants=checks)
    assert "empty batch" in found.message or "counted twice" in found.message
