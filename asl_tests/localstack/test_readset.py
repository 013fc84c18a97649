"""HealthOmics read-set handling on both tiers: HealthOmics is aslkit's stand-in (seeded with the committed seed's
real response shapes), DynamoDB real."""

from __future__ import annotations

import copy
import itertools
import json
import random
from pathlib import Path
from typing import Any

import pytest

from aslkit.local.deployer import Deployment
from aslkit.testing.harness import Harness
from aslkit.testing.mocks import Return, Throw

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "asl_tests" / "data" / "readset"
SEED = json.loads((ROOT / "samples" / "readset" / "seed" / "omics.json").read_text())
STORE_ID = "1234567890"
NA12878 = SEED["sequenceStores"][0]["readSets"][0]


def seed_store(aws, store_id: str, read_sets: list[dict[str, Any]]) -> None:
    """One more sequence store (or more read sets in one), shaped like the committed seed's."""
    store = {**{k: v for k, v in SEED["sequenceStores"][0].items() if k != "readSets"}, "id": store_id}
    aws.seed_standin("omics", {**SEED, "sequenceStores": [{**store, "readSets": read_sets}]})


@pytest.fixture
def readset(harness: Harness, aws) -> Deployment:
    deployment = harness.deploy(
        "readset", parameters={"backfill_page_wait_seconds": "1", "backfill_max_concurrency": "5"}
    )
    aws.seed_standin("omics", SEED)
    return deployment


def event(read_set_id: str, status: str, time_: str = "2023-04-04T17:53:06Z") -> dict[str, Any]:
    fixture = copy.deepcopy(json.loads((DATA / "read_set_status_change.event.json").read_text()))
    arn = f"arn:aws:omics:us-west-2:123456789012:sequenceStore/{STORE_ID}/readSet/{read_set_id}"
    fixture["detail"].update(arn=arn, id=read_set_id, status=status)
    fixture["resources"] = [arn]
    fixture["time"] = time_
    return fixture


def item(aws, read_set_id: str, store_id: str = STORE_ID) -> dict[str, Any] | None:
    arn = f"arn:aws:omics:us-west-2:123456789012:sequenceStore/{store_id}/readSet/{read_set_id}"
    found = aws.dynamodb.get_item(TableName="readset_metadata", Key={"set_arn": {"S": arn}}, ConsistentRead=True)
    return found.get("Item")


def send(harness: Harness, deployment: Deployment, ev: dict[str, Any]):
    return harness.run(deployment, ev, machine="readset_status")


def new_id(aws) -> str:
    """A read set HealthOmics knows: NA12878's metadata under a fresh id."""
    rid = str(random.randint(10**9, 10**10 - 1))
    seed_store(aws, STORE_ID, [{**NA12878, "id": rid}])
    return rid


@pytest.mark.localstack
def test_active_writes_the_whole_item(harness: Harness, readset, aws) -> None:
    rid = new_id(aws)
    result = send(harness, readset, event(rid, "ACTIVE"))
    assert result.succeeded and result.output["action"] == "written"
    stored = item(aws, rid)
    assert stored["set_status"] == {"S": "ACTIVE"} and stored["set_id"] == {"S": rid}
    assert stored["files"]["L"][0]["M"]["file_path"] == {"S": NA12878["files"]["source1"]["s3Access"]["s3Uri"]}
    assert stored["files"]["L"][1]["M"]["etag"] == {"S": NA12878["etag"]["source2"]}
    assert stored["tags"] == {"M": {"project": {"S": "P1"}, "owner": {"S": "genomics"}}}
    assert stored["store"]["M"]["store_name"] == {"S": "prod-store"}
    assert stored["store"]["M"]["store_type"] == {"S": "sequence_store"}, "the original's value"
    assert "status" not in stored


@pytest.mark.parametrize("status", ["ACTIVATING", "ARCHIVED", "DELETING"])
def test_status_updates_change_only_the_status(harness: Harness, readset, aws, status: str) -> None:
    rid = new_id(aws)
    send(harness, readset, event(rid, "ACTIVE", "2023-04-04T17:53:06Z"))
    result = send(harness, readset, event(rid, status, "2023-04-05T08:00:00Z"))
    assert result.output["action"] == "status_updated"
    stored = item(aws, rid)
    assert stored["set_status"] == {"S": status} and stored["event_time"] == {"S": "2023-04-05T08:00:00Z"}
    assert stored["set_name"] == {"S": "NA12878"}, "the rest of the item is kept"


def test_update_for_a_read_set_never_seen_writes_a_whole_item(harness: Harness, readset, aws) -> None:
    rid = new_id(aws)
    result = send(harness, readset, event(rid, "ARCHIVED"))
    assert result.output["action"] == "written", "described in full, not a sparse item"
    stored = item(aws, rid)
    assert stored["set_status"] == {"S": "ARCHIVED"} and "set_name" in stored and "store" in stored


def test_deleted_leaves_a_tombstone_that_expires(harness: Harness, readset, aws) -> None:
    rid = new_id(aws)
    send(harness, readset, event(rid, "ACTIVE", "2023-04-04T17:53:06Z"))
    result = send(harness, readset, event(rid, "DELETED", "2023-04-06T00:00:00Z"))
    assert result.output["action"] == "deleted"
    stored = item(aws, rid)
    assert set(stored) == {"set_arn", "set_id", "set_status", "event_time", "expires_at"}, "the metadata is gone"
    assert int(stored["expires_at"]["N"]) == 1680739200 + 30 * 86400


@pytest.mark.parametrize("status", ["PROCESSING_UPLOAD", "UPLOAD_FAILED", "SOMETHING_NEW"])
def test_other_statuses_write_nothing(harness: Harness, readset, aws, status: str) -> None:
    rid = new_id(aws)
    result = send(harness, readset, event(rid, status))
    assert result.succeeded and result.output["action"] == "ignored"
    assert status in result.output["reason"]
    assert item(aws, rid) is None


LIFECYCLE = [
    ("ACTIVE", "2023-04-04T10:00:00Z"),
    ("ARCHIVED", "2023-04-04T11:00:00Z"),
    ("ACTIVATING", "2023-04-04T12:00:00Z"),
    ("ACTIVE", "2023-04-04T13:00:00Z"),
    ("DELETED", "2023-04-04T14:00:00Z"),
]


def orders() -> list[tuple[int, ...]]:
    """In order, reversed, deletion first, the last ACTIVE first, duplicates mixed in, and a fixed random sample."""
    n = len(LIFECYCLE)
    chosen = {tuple(range(n)), tuple(reversed(range(n))), (4, 0, 1, 2, 3), (3, 0, 1, 2, 4), (0, 0, 1, 4, 4, 2, 3, 3)}
    rng = random.Random(20261122)
    chosen.update(rng.sample(list(itertools.permutations(range(n))), 6))
    return sorted(chosen)


@pytest.mark.parametrize("order", orders(), ids=lambda o: "-".join(map(str, o)))
def test_duplicated_and_shuffled_events_converge_on_the_latest(harness: Harness, readset, aws, order) -> None:
    with_deletion, without = new_id(aws), new_id(aws)
    for index in order:
        status, at = LIFECYCLE[index]
        assert send(harness, readset, event(with_deletion, status, at)).succeeded
        if index != 4:
            assert send(harness, readset, event(without, status, at)).succeeded
    deleted = item(aws, with_deletion)
    assert deleted["set_status"] == {"S": "DELETED"} and "set_name" not in deleted, "a deletion is never undone"
    active = item(aws, without)
    assert active["set_status"] == {"S": "ACTIVE"} and active["event_time"] == {"S": "2023-04-04T13:00:00Z"}
    assert active["set_name"] == {"S": "NA12878"}


def test_a_poison_event_fails_its_own_execution_and_later_events_apply(harness: Harness, readset, aws) -> None:
    poison = event(new_id(aws), "ACTIVE")
    del poison["detail"]["arn"]
    failed = send(harness, readset, poison)
    assert failed.status == "FAILED" and failed.error == "InvalidReadSetEvent"
    assert "not a Read Set Status Change event" in failed.cause
    rid = new_id(aws)
    assert send(harness, readset, event(rid, "ACTIVE")).succeeded
    assert item(aws, rid) is not None


@pytest.mark.parametrize(("change", "why"), [
    (lambda ev: ev.update(time="yesterday"), "a time that is not RFC 3339 would freeze the item (compared as text)"),
    (lambda ev: ev.update(time="2023-04-04T19:53:06+02:00"), "a local offset would misorder it against UTC times"),
    (lambda ev: ev["detail"].update(id=3456789012), "a numeric id"),
    (lambda ev: ev["detail"].update(status=7), "a numeric status"),
    (lambda ev: ev["detail"].update(arn=["arn:aws:omics:..."]), "an ARN that is not a string"),
])  # fmt: skip
def test_a_malformed_event_is_refused_before_it_touches_the_table(harness: Harness, readset, aws, change,
                                                                  why) -> None:  # fmt: skip
    rid = new_id(aws)
    bad = event(rid, "ACTIVE")
    change(bad)
    failed = send(harness, readset, bad)
    assert (failed.status, failed.error) == ("FAILED", "InvalidReadSetEvent"), why
    assert "time is UTC like 2023-04-04T17:53:06Z" in failed.cause
    assert item(aws, rid) is None, "nothing written"
    assert send(harness, readset, event(rid, "ACTIVE")).succeeded, "a later well-formed event applies"


def test_a_failed_event_is_kept_with_its_error_and_redrive_runs_it_again(harness: Harness, readset, aws,
                                                                          capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    """Nothing is lost: a run that fails keeps its event on the failed-events queue (the original's SQS queue
    redelivered it); `aslkit readset redrive` runs it again once the cause is gone, and says which fail again."""
    from aslkit.cli import main

    queue = readset.queues["readset_failed_events"]
    aws.sqs.purge_queue(QueueUrl=queue)  # the other tests' failures are theirs
    rid = str(random.randint(10**9, 10**10 - 1))  # HealthOmics does not know it (yet)
    early = event(rid, "ACTIVE")
    failed = send(harness, readset, early)
    assert (failed.status, failed.error) == ("FAILED", "Omics.ResourceNotFoundException"), "the run still fails"
    poison = event(new_id(aws), "ACTIVE", time_="yesterday")
    assert send(harness, readset, poison).error == "InvalidReadSetEvent"
    kept = [json.loads(m["Body"]) for m in aws.sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10,
                                                                   VisibilityTimeout=0)["Messages"]]  # fmt: skip
    assert [(k["event"], k["error"]) for k in kept] == [(early, "Omics.ResourceNotFoundException"),
                                                        (poison, "InvalidReadSetEvent")]  # fmt: skip
    assert rid in kept[0]["cause"] and "time is UTC" in kept[1]["cause"]

    seed_store(aws, STORE_ID, [{**NA12878, "id": rid}])  # the cause is gone for the first
    by_hand = aws.sqs.send_message(QueueUrl=queue, MessageBody="not an event")["MessageId"]
    assert main(["readset", "redrive", *harness.cli_options(), "-r", "us-east-1"]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert f"message {by_hand} is not an event this workflow kept: left on the queue" in lines
    lines.remove(f"message {by_hand} is not an event this workflow kept: left on the queue")
    assert lines == [
        f"{rid} ACTIVE at 2023-04-04T17:53:06Z: written (failed before: Omics.ResourceNotFoundException)",
        f"{poison['detail']['id']} ACTIVE at yesterday: failed again, kept again: InvalidReadSetEvent: "
        + send(harness, readset, poison).cause,
        "2 event(s) redriven, 1 failed again",
    ]
    assert item(aws, rid)["set_name"] == {"S": NA12878["name"]}
    still = aws.sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, VisibilityTimeout=0).get("Messages", [])
    assert [json.loads(m["Body"])["event"] for m in still] == [poison, poison], "kept again (and once more above)"


@pytest.mark.localstack
def test_the_rule_delivers_real_events(harness: Harness, readset, aws) -> None:
    """The documented event, through the rule, describes the read set from HealthOmics: no mock cases."""
    ev = json.loads((ROOT / "samples" / "readset" / "1_active.input.json").read_text())
    rid = ev["detail"]["id"]
    harness.backend.put_events(readset, [{"Source": ev["source"], "DetailType": ev["detail-type"],
                                          "Detail": ev["detail"], "Resources": ev["resources"]}], bus="default")  # fmt: skip
    stored = harness.eventually(lambda: item(aws, rid), timeout=15, what="the rule-started run writes the item")
    assert stored["set_status"] == {"S": "ACTIVE"} and stored["set_name"] == {"S": NA12878["name"]}
    assert stored["set_sample_id"] == {"S": NA12878["sampleId"]} and stored["store"]["M"]["store_name"]
    assert stored["tags"] == {"M": {k: {"S": v} for k, v in NA12878["tags"].items()}}


def test_an_unknown_read_set_fails_its_execution_with_the_services_error(harness: Harness, readset) -> None:
    result = send(harness, readset, event("9999999999", "ACTIVE"))
    assert result.status == "FAILED" and result.error == "Omics.ResourceNotFoundException", result.explain()
    assert "9999999999" in result.cause and "does not exist" in result.cause


def test_a_healthomics_call_that_times_out_or_loses_its_answer_fails_as_the_sdk_says(harness: Harness, readset,
                                                                                     aws) -> None:  # fmt: skip
    """Operation faults reach HealthOmics (aslkit's stand-in) too: a timeout and a lost answer end the call with
    the SDK's error, not silently as a success."""
    if not harness.in_process:
        pytest.skip("faults are the in-process engine's")
    from aslkit.engine import faults

    engine = harness.backend.engine  # type: ignore[attr-defined]
    for fault in (faults.timeout(operation="omics:GetReadSetMetadata"),
                  faults.lost_response(operation="omics:GetReadSetMetadata")):  # fmt: skip
        engine.faults = faults.Plan([fault])
        try:
            result = send(harness, readset, event(new_id(aws), "ACTIVE"))
        finally:
            engine.faults = None
        assert (result.status, result.error) == ("FAILED", "Omics.SdkClientException"), fault


def test_throttling_is_retried_with_backoff(harness: Harness, readset, aws) -> None:
    """A fault the stand-in does not make: a mock case on top of it, for the one state."""
    rid = new_id(aws)
    harness.mock(readset, "readset_status", "throttled", {
        "Get read set metadata": [Throw("Omics.ThrottlingException", "Rate exceeded", repeat=2),
                                  Return({**{k[:1].upper() + k[1:]: v for k, v in NA12878.items()}, "Id": rid})],
        "List tags": [Return({"Tags": {}})],
        "Get sequence store": [Return({"Id": STORE_ID, "Name": "prod-store"})],
    })  # fmt: skip
    result = harness.run(readset, event(rid, "ACTIVE"), machine="readset_status", test_case="throttled")
    assert result.succeeded, result.explain()
    throttled = [
        e for e in result.history if e.get("taskFailedEventDetails", {}).get("error") == "Omics.ThrottlingException"
    ]
    assert len(throttled) == 2, [
        (e["type"], {k: v for k, v in e.items() if k.endswith("Details")}) for e in result.history
    ]
    assert item(aws, rid)["set_name"] == {"S": NA12878["name"]}


def read_sets(start: int, count: int) -> list[dict[str, Any]]:
    """Read sets as HealthOmics holds them: every tenth archived (no file information is read for those)."""
    out = []
    for n in range(start, start + count):
        files = {
            "source1": {
                "totalParts": 1,
                "partSize": 104857600,
                "contentLength": 1000 + n,
                "s3Access": {"s3Uri": f"s3://1234567890-prod-store-ap/readSet/9{n:09d}/r1.fastq.gz"},
            }
        }
        out.append({"id": f"9{n:09d}", "status": "ARCHIVED" if n % 10 == 0 else "ACTIVE", "name": f"sample-{n}",
                    "fileType": "FASTQ", "creationTime": "2023-01-01T00:00:00Z", "files": files,
                    "tags": {"source": "backfill"}})  # fmt: skip
    return out


def test_backfill_of_250_read_sets_over_3_pages_respects_its_rate_limit(harness: Harness, readset, aws) -> None:
    store_id = "2000000250"
    seeded = read_sets(0, 250)
    seed_store(aws, store_id, seeded)
    archived = sum(1 for r in seeded if r["status"] == "ARCHIVED")
    active = 250 - archived
    result = harness.run(readset, {"sequence_store_id": store_id}, machine="readset_backfill", timeout=240)
    assert result.succeeded, result.explain()
    assert result.output == {"sequence_store_id": store_id, "pages": 3, "written": 250}
    for entry in (seeded[0], seeded[105], seeded[249]):
        stored = item(aws, entry["id"], store_id)
        assert stored["set_id"] == {"S": entry["id"]} and stored["set_status"] == {"S": entry["status"]}
        assert stored["set_name"] == {"S": entry["name"]} and stored["tags"] == {"M": {"source": {"S": "backfill"}}}
        if entry["status"] == "ARCHIVED":  # described by its list entry only: no file information
            assert "files" not in stored
        else:  # described by GetReadSetMetadata
            assert stored["files"]["L"][0]["M"]["content_length"] == {
                "N": str(entry["files"]["source1"]["contentLength"])
            }
    # the rate limit: at most 5 metadata calls in flight, and at least 1 s between pages
    # in flight: between a call's TaskStateEntered and its TaskStateExited, in the history's order (in virtual time a
    # call takes no time, so timestamps alone cannot show how many overlapped)
    calls = [v for v in result.visits if v.name == "Get backfill metadata"]
    assert len(calls) == active
    in_flight = peak = 0
    for event in result.history:
        if event.get("stateEnteredEventDetails", {}).get("name") == "Get backfill metadata":
            in_flight += 1
        elif event.get("stateExitedEventDetails", {}).get("name") == "Get backfill metadata":
            in_flight -= 1
        peak = max(peak, in_flight)
    assert 1 <= peak <= 5
    listings = [v.entered for v in result.visits if v.name == "List read sets"]
    assert len(listings) == 3
    assert all((b - a).total_seconds() >= 1 for a, b in itertools.pairwise(listings))


def test_backfill_cli_prints_progress_per_page(harness: Harness, readset, localstack, aws) -> None:
    import subprocess
    import sys

    store_id = "2000000005"
    seeded = read_sets(300, 5)
    seed_store(aws, store_id, seeded)
    listed = [{k[:1].upper() + k[1:]: v for k, v in r.items() if k in ("id", "status", "name")} for r in seeded]
    for entry in listed:
        entry.update(SequenceStoreId=store_id, Arn=f"arn:aws:omics:us-west-2:123456789012:sequenceStore/{store_id}"
                                                 f"/readSet/{entry['Id']}")  # fmt: skip
    # pages of 3 and 2 instead of HealthOmics' 100: the stand-in answers every other call
    harness.mock(readset, "readset_backfill", "cli_pages", {
        "List read sets": [Return({"ReadSets": listed[:3], "NextToken": "p2"}), Return({"ReadSets": listed[3:]})],
    })  # fmt: skip
    # the original tool's short options (-s -t -r)
    command = [sys.executable, "-m", "aslkit.cli", "readset", "backfill", "-s", store_id,
               "-t", "readset_metadata", "-r", "us-east-1", "--endpoint-url", localstack.url,
               "--test-case", "cli_pages"]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert "page 1: 3 read set(s), 3 written, 0 kept (newer data)" in lines
    assert "page 2: 2 read set(s), 2 written, 0 kept (newer data)" in lines
    assert lines[-1] == f"backfill of sequence store {store_id}: 2 page(s), 5 item(s) written"
    written = item(aws, seeded[4]["id"], store_id)
    assert written["set_name"] == {"S": seeded[4]["name"]}
    assert written["store"]["M"]["store_type"] == {"S": "sequence_store"}, "the original's value"
    wrong = subprocess.run([*command[:8], "other_table", *command[9:]], capture_output=True, text=True, timeout=60,
                           check=False)  # fmt: skip
    assert wrong.returncode == 2 and "not other_table" in wrong.stderr, wrong.stderr
    assert "readset_metadata" in wrong.stderr, "it names the table(s) the deployed backfills write to"


def test_a_deployment_that_adopts_the_accounts_table_writes_there_and_teardown_leaves_it(harness: Harness, aws) -> None:
    """The original's configuration (`dynamoTableName=healthomics_set_metadata`, a table the account has): the
    deployment creates no table of its own, writes the read set's item into the named one, and teardown keeps it."""
    table = "healthomics_set_metadata"
    adopted = harness.deploy("readset", prefix="adopt_", adopt={"readset_metadata": table}, fresh=True)
    aws.seed_standin("omics", SEED)
    assert adopted.tables == {"readset_metadata": table}
    assert adopted.substitutions["readset_metadata_table_name"] == table
    rid = new_id(aws)
    result = send(harness, adopted, event(rid, "ACTIVE"))
    assert result.succeeded and result.output["action"] == "written"
    arn = f"arn:aws:omics:us-west-2:123456789012:sequenceStore/{STORE_ID}/readSet/{rid}"
    stored = aws.dynamodb.get_item(TableName=table, Key={"set_arn": {"S": arn}}, ConsistentRead=True)["Item"]
    assert stored["set_status"] == {"S": "ACTIVE"}
    assert "adopt_readset_metadata" not in aws.dynamodb.list_tables()["TableNames"]
    tags = aws.stepfunctions.list_tags_for_resource(resourceArn=adopted.machine_arn("readset_status"))["tags"]
    assert {t["key"]: t["value"] for t in tags} == {"aslkit:workflow": "readset", "aslkit:resource": "readset_status",
                                                    "aslkit:stage": "adopt_"}  # fmt: skip
    harness.backend.teardown(adopted)
    harness.forget_deployments()
    assert table in aws.dynamodb.list_tables()["TableNames"], "an adopted table is the account's: teardown keeps it"
    assert aws.dynamodb.get_item(TableName=table, Key={"set_arn": {"S": arn}}).get("Item")


def test_the_item_builder_counts_items_as_a_powertools_metric_in_its_own_log(harness: Harness, readset, aws) -> None:
    """What a function prints goes to its log, not to the caller (as on AWS): here the builder's Powertools metric
    (CloudWatch's embedded metric format) of the workflow's service, in the business namespace."""
    engine = getattr(harness.backend, "engine", None)
    if engine is None:
        pytest.skip("reads the in-process engine's function log")
    assert send(harness, readset, event(new_id(aws), "ACTIVE")).succeeded
    log = engine.lambdas.functions[readset.functions["readset_item_builder"]].log.lines
    records = [json.loads(line) for line in log if line.startswith('{"_aws"')]
    assert records, "the builder flushed its metrics"
    emf = records[-1]["_aws"]["CloudWatchMetrics"][0]
    assert emf["Namespace"] == "aslkit" and emf["Metrics"] == [{"Name": "ReadSetItemsBuilt", "Unit": "Count"}]
    assert records[-1]["service"] == "readset" and records[-1]["ReadSetItemsBuilt"] == [1.0]
