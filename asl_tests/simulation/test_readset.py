"""The read-set ordering under 500 seeds: status events for one read set delivered at least once, in any order,
with throttled HealthOmics and Lambda calls; the table must end on the latest event, and a deletion must stay."""

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
from aslkit.testing.simulation import Run, Variant, assert_caught, every_execution_ends, simulate

pytestmark = pytest.mark.simulation

ROOT = Path(__file__).resolve().parents[2]
EVENT = json.loads((ROOT / "asl_tests" / "data" / "readset" / "read_set_status_change.event.json").read_text())
SEED = json.loads((ROOT / "samples" / "readset" / "seed" / "omics.json").read_text())
STORE = SEED["sequenceStores"][0]
NA12878 = STORE["readSets"][0]
#: a read set's later life, after the ACTIVE event that wrote its item (each seed delivers some of it)
LATER = [("ARCHIVED", "2023-04-04T11:00:00Z"), ("ACTIVATING", "2023-04-04T12:00:00Z"),
         ("ACTIVE", "2023-04-04T13:00:00Z"), ("DELETED", "2023-04-04T14:00:00Z")]  # fmt: skip
FAULTS = [
    faults.throttle(state="Get read set metadata", probability=0.3),  # Omics.ThrottlingException: retried
    faults.throttle(resource="readset_item_builder", probability=0.3),  # Lambda.TooManyRequestsException: retried
]
_ids = itertools.count(7_000_000_000)


@pytest.fixture
def readset(harness: Harness) -> Deployment:
    return harness.deploy("readset")


def arn_of(read_set_id: str) -> str:
    return f"arn:aws:omics:us-west-2:123456789012:sequenceStore/{STORE['id']}/readSet/{read_set_id}"


def entry(read_set_id: str, status: str, time: str) -> dict[str, Any]:
    """The committed Read Set Status Change event, for this read set, as PutEvents takes it."""
    detail = {**copy.deepcopy(EVENT["detail"]), "arn": arn_of(read_set_id), "id": read_set_id, "status": status,
              "sequenceStoreId": STORE["id"]}  # fmt: skip
    return {"Source": EVENT["source"], "DetailType": EVENT["detail-type"], "Detail": json.dumps(detail),
            "Resources": [arn_of(read_set_id)], "Time": time, "EventBusName": "default"}  # fmt: skip


class ReadSets:
    """Each seed's read set: already ACTIVE in the table (as its first event left it), then some of LATER."""

    def __init__(self, harness: Harness, aws: Any, deployment: Deployment) -> None:
        self.harness, self.aws, self.table = harness, aws, deployment.tables["readset_metadata"]
        self.machine = deployment.machine_arn("readset_status")
        self.failed_events = deployment.queues["readset_failed_events"]
        self.sent: dict[str, str] = {}  # run key -> its read set

    def scenario(self, run: Run) -> None:
        read_set_id = str(next(_ids))
        self.aws.seed_standin(
            "omics", {**SEED, "sequenceStores": [{**STORE, "readSets": [{**NA12878, "id": read_set_id}]}]}
        )
        self.aws.dynamodb.put_item(TableName=self.table, Item={
            "set_arn": {"S": arn_of(read_set_id)}, "set_id": {"S": read_set_id}, "set_status": {"S": "ACTIVE"},
            "event_time": {"S": "2023-04-04T10:00:00Z"}, "set_name": {"S": NA12878["name"]}})  # fmt: skip
        events = run.rng.sample(LATER, run.rng.randint(2, 3))
        with run.concurrently():  # one PutEvents call: delivered at least once, in any order
            self.aws.events.put_events(Entries=[entry(read_set_id, status, at) for status, at in events])
        self.sent[run.key] = read_set_id

    def nothing_lost(self, run: Run) -> None:
        """Every event whose run failed is on the failed-events queue, for a redrive."""
        failed = sorted(json.dumps(r.input, sort_keys=True) for r in run.executions_of(self.machine)
                        if r.status == "FAILED")  # fmt: skip
        kept: list[str] = []
        while failed and (messages := self.aws.sqs.receive_message(QueueUrl=self.failed_events,
                                                                   MaxNumberOfMessages=10).get("Messages")):  # fmt: skip
            kept += [json.dumps(json.loads(m["Body"])["event"], sort_keys=True) for m in messages]
            self.aws.sqs.delete_message_batch(QueueUrl=self.failed_events, Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)])  # fmt: skip
        assert sorted(kept) == failed, f"{len(failed)} run(s) failed, {len(kept)} event(s) kept"

    def converged_on_the_latest(self, run: Run) -> None:
        """The item says what the latest event that was processed says (an event whose execution failed, its
        retries spent, is not applied: it is kept, see `nothing_lost`), and a processed deletion stays."""
        read_set_id = self.sent[run.key]
        events = run.executions_of(self.machine)
        done = [(r.input["time"], r.input["detail"]["status"]) for r in events if r.status == "SUCCEEDED"]
        item = self.aws.dynamodb.get_item(TableName=self.table, Key={"set_arn": {"S": arn_of(read_set_id)}},
                                          ConsistentRead=True)["Item"]  # fmt: skip
        if any(status == "DELETED" for _, status in done):
            assert item["set_status"]["S"] == "DELETED", f"the deletion was undone: {item['set_status']['S']}"
            assert "set_name" not in item, "a deleted read set kept its metadata"
            return
        time, status = max(done, default=("2023-04-04T10:00:00Z", "ACTIVE"))
        assert (item["set_status"]["S"], item["event_time"]["S"]) == (status, time), (
            f"the item says {item['set_status']['S']} at {item['event_time']['S']}; the latest event processed "
            f"was {status} at {time}"
        )


def test_the_item_converges_on_the_latest_event_under_every_seed(harness: Harness, aws: Any, readset: Deployment
                                                                 ) -> None:  # fmt: skip
    sets = ReadSets(harness, aws, readset)
    report = simulate(harness, sets.scenario, seeds=500, faults=FAULTS, duplicates=0.25, jitter=2.0,
                      invariants=[sets.converged_on_the_latest, sets.nothing_lost,
                                  every_execution_ends(within=600)])  # fmt: skip
    report.assert_held()
    assert report.injected > report.seeds // 10  # the faults did happen, and were retried


def test_without_its_condition_the_status_update_is_caught_and_replays(harness: Harness, aws: Any,
                                                                       readset: Deployment) -> None:  # fmt: skip
    sets = ReadSets(harness, aws, readset)
    checks = [sets.converged_on_the_latest]
    update = Variant(harness, readset.machine_arn("readset_status"), "Update status", "Arguments.ConditionExpression")
    found = assert_caught(harness, sets.scenario, update, invariants=checks, duplicates=0.25, jitter=2.0)
    assert found.invariant == "converged_on_the_latest"
