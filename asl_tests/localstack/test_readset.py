"""HealthOmics read-set handling on LocalStack: omics mocked with real response shapes, DynamoDB real."""

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
from aslkit.testing.mocks import Return

DATA = Path(__file__).resolve().parents[1] / "data" / "readset"
STORE_ID = "1234567890"
STORE = {"Id": STORE_ID, "Arn": f"arn:aws:omics:us-west-2:123456789012:sequenceStore/{STORE_ID}", "Name": "prod-store",
         "CreationTime": "2023-01-01T00:00:00Z", "S3Access": {"S3Uri": "s3://prod-store-ap/"}}  # fmt: skip


def metadata(status: str = "ACTIVE") -> dict[str, Any]:
    return {"Id": "ignored", "Arn": "ignored", "SequenceStoreId": STORE_ID, "Status": status, "Name": "NA12878",
            "FileType": "FASTQ", "CreationTime": "2023-04-04T17:50:00Z", "SampleId": "PRJ001", "SubjectId": "SBJ001",
            "Files": {"Source1": {"TotalParts": 2, "PartSize": 104857600, "ContentLength": 150000000,
                                  "S3Access": {"S3Uri": "s3://prod-store-ap/readSet/x/source1.fastq.gz"}}},
            "Etag": {"Algorithm": "FASTQ_MD5up", "Source1": "etag-1"}}  # fmt: skip


@pytest.fixture
def readset(harness: Harness) -> Deployment:
    deployment = harness.deploy(
        "readset", parameters={"backfill_page_wait_seconds": "1", "backfill_max_concurrency": "5"}
    )
    harness.mock(deployment, "readset_status", "omics", {
        "Get read set metadata": [Return(metadata())],
        "List tags": [Return({"Tags": {"project": "P1", "owner": "genomics"}})],
        "Get sequence store": [Return(STORE)],
    })  # fmt: skip
    return deployment


def event(read_set_id: str, status: str, time_: str = "2023-04-04T17:53:06Z") -> dict[str, Any]:
    fixture = copy.deepcopy(json.loads((DATA / "read_set_status_change.event.json").read_text()))
    arn = f"arn:aws:omics:us-west-2:123456789012:sequenceStore/{STORE_ID}/readSet/{read_set_id}"
    fixture["detail"].update(arn=arn, id=read_set_id, status=status)
    fixture["resources"] = [arn]
    fixture["time"] = time_
    return fixture


def item(aws, read_set_id: str) -> dict[str, Any] | None:
    arn = f"arn:aws:omics:us-west-2:123456789012:sequenceStore/{STORE_ID}/readSet/{read_set_id}"
    found = aws.dynamodb.get_item(TableName="readset_metadata", Key={"set_arn": {"S": arn}}, ConsistentRead=True)
    return found.get("Item")


def send(harness: Harness, deployment: Deployment, ev: dict[str, Any]):
    return harness.run(deployment, ev, machine="readset_status", test_case="omics")


def new_id() -> str:
    return str(random.randint(10**9, 10**10 - 1))


@pytest.mark.localstack
def test_active_writes_the_whole_item(harness: Harness, readset, aws) -> None:
    rid = new_id()
    result = send(harness, readset, event(rid, "ACTIVE"))
    assert result.succeeded and result.output["action"] == "written"
    stored = item(aws, rid)
    assert stored["set_status"] == {"S": "ACTIVE"} and stored["set_id"] == {"S": rid}
    assert stored["files"]["L"][0]["M"]["file_path"] == {"S": "s3://prod-store-ap/readSet/x/source1.fastq.gz"}
    assert stored["tags"] == {"M": {"project": {"S": "P1"}, "owner": {"S": "genomics"}}}
    assert stored["store"]["M"]["store_name"] == {"S": "prod-store"}
    assert "status" not in stored


@pytest.mark.parametrize("status", ["ACTIVATING", "ARCHIVED", "DELETING"])
def test_status_updates_change_only_the_status(harness: Harness, readset, aws, status: str) -> None:
    rid = new_id()
    send(harness, readset, event(rid, "ACTIVE", "2023-04-04T17:53:06Z"))
    result = send(harness, readset, event(rid, status, "2023-04-05T08:00:00Z"))
    assert result.output["action"] == "status_updated"
    stored = item(aws, rid)
    assert stored["set_status"] == {"S": status} and stored["event_time"] == {"S": "2023-04-05T08:00:00Z"}
    assert stored["set_name"] == {"S": "NA12878"}, "the rest of the item is kept"


def test_update_for_a_read_set_never_seen_writes_a_whole_item(harness: Harness, readset, aws) -> None:
    rid = new_id()
    result = send(harness, readset, event(rid, "ARCHIVED"))
    assert result.output["action"] == "written", "described in full, not a sparse item"
    stored = item(aws, rid)
    assert stored["set_status"] == {"S": "ARCHIVED"} and "set_name" in stored and "store" in stored


def test_deleted_leaves_a_tombstone_that_expires(harness: Harness, readset, aws) -> None:
    rid = new_id()
    send(harness, readset, event(rid, "ACTIVE", "2023-04-04T17:53:06Z"))
    result = send(harness, readset, event(rid, "DELETED", "2023-04-06T00:00:00Z"))
    assert result.output["action"] == "deleted"
    stored = item(aws, rid)
    assert set(stored) == {"set_arn", "set_id", "set_status", "event_time", "expires_at"}, "the metadata is gone"
    assert int(stored["expires_at"]["N"]) == 1680739200 + 30 * 86400


@pytest.mark.parametrize("status", ["PROCESSING_UPLOAD", "UPLOAD_FAILED", "SOMETHING_NEW"])
def test_other_statuses_write_nothing(harness: Harness, readset, aws, status: str) -> None:
    rid = new_id()
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
    with_deletion, without = new_id(), new_id()
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
    poison = event(new_id(), "ACTIVE")
    del poison["detail"]["arn"]
    failed = send(harness, readset, poison)
    assert failed.status == "FAILED" and failed.error == "InvalidReadSetEvent"
    assert "not a Read Set Status Change event" in failed.cause
    rid = new_id()
    assert send(harness, readset, event(rid, "ACTIVE")).succeeded
    assert item(aws, rid) is not None


@pytest.mark.localstack
def test_the_rule_delivers_real_events(harness: Harness, readset, aws) -> None:
    rid = new_id()
    ev = event(rid, "DELETED")  # no HealthOmics call on this path: rule-started executions cannot be mocked
    harness.backend.put_events(readset, [{"Source": ev["source"], "DetailType": ev["detail-type"],
                                          "Detail": ev["detail"], "Resources": ev["resources"]}], bus="default")  # fmt: skip
    stored = harness.eventually(lambda: item(aws, rid), timeout=15, what="the rule-started run writes the item")
    assert stored["set_status"] == {"S": "DELETED"}


def read_sets(start: int, count: int) -> list[dict[str, Any]]:
    out = []
    for n in range(start, start + count):
        rid = f"9{n:09d}"
        out.append({"Arn": f"arn:aws:omics:us-west-2:123456789012:sequenceStore/{STORE_ID}/readSet/{rid}", "Id": rid,
                    "SequenceStoreId": STORE_ID, "Status": "ARCHIVED" if n % 10 == 0 else "ACTIVE",
                    "Name": f"sample-{n}", "FileType": "FASTQ", "CreationTime": "2023-01-01T00:00:00Z"})  # fmt: skip
    return out


def test_backfill_of_250_read_sets_over_3_pages_respects_its_rate_limit(harness: Harness, readset, aws) -> None:
    pages = [read_sets(0, 100), read_sets(100, 100), read_sets(200, 50)]
    archived = sum(1 for page in pages for r in page if r["Status"] == "ARCHIVED")
    active = 250 - archived
    harness.mock(readset, "readset_backfill", "three_pages", {
        "Get sequence store": [Return(STORE)],
        "List read sets": [Return({"ReadSets": pages[0], "NextToken": "page-2"}),
                           Return({"ReadSets": pages[1], "NextToken": "page-3"}), Return({"ReadSets": pages[2]})],
        "Get backfill metadata": [Return(metadata(), repeat=active)],
        "List backfill tags": [Return({"Tags": {"source": "backfill"}}, repeat=active)],
        "List archived tags": [Return({"Tags": {"source": "backfill"}}, repeat=archived)],
    })  # fmt: skip
    result = harness.run(readset, {"sequence_store_id": STORE_ID}, machine="readset_backfill",
                         test_case="three_pages", timeout=240)  # fmt: skip
    assert result.succeeded, result.explain()
    assert result.output == {"sequence_store_id": STORE_ID, "pages": 3, "written": 250}
    for entry in (pages[0][0], pages[1][5], pages[2][49]):
        stored = item(aws, entry["Id"])
        assert stored["set_id"] == {"S": entry["Id"]} and stored["set_status"] == {"S": entry["Status"]}
        if entry["Status"] == "ARCHIVED":  # described by its list entry only: no file information
            assert "files" not in stored and stored["set_name"] == {"S": entry["Name"]}
        else:  # described by GetReadSetMetadata (the mock answers the same metadata for every read set)
            assert stored["files"]["L"] and stored["set_name"] == {"S": "NA12878"}
        assert stored["tags"] == {"M": {"source": {"S": "backfill"}}}
    # the rate limit: at most 5 metadata calls in flight, and at least 1 s between pages
    # in flight: between a call's TaskStateEntered and its TaskStateExited, in the history's order (in virtual time a
    # mocked call takes no time, so timestamps alone cannot show how many overlapped)
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
    assert all((b - a).total_seconds() >= 1 for a, b in itertools.pairwise(listings))


def test_backfill_cli_prints_progress_per_page(harness: Harness, readset, localstack) -> None:
    import subprocess
    import sys

    harness.mock(readset, "readset_backfill", "cli_pages", {
        "Get sequence store": [Return(STORE)],
        "List read sets": [Return({"ReadSets": read_sets(300, 3), "NextToken": "p2"}), Return({"ReadSets": read_sets(303, 2)})],
        "Get backfill metadata": [Return(metadata(), repeat=5)],
        "List backfill tags": [Return({"Tags": {}}, repeat=5)],
        "List archived tags": [Return({"Tags": {}}, repeat=5)],
    })  # fmt: skip
    command = [sys.executable, "-m", "aslkit.cli", "readset", "backfill", "--seq-store-id", STORE_ID,
               "--table", "readset_metadata", "--region", "us-east-1", "--endpoint-url", localstack.url,
               "--test-case", "cli_pages"]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert "page 1: 3 read set(s), 3 written, 0 kept (newer data)" in lines
    assert "page 2: 2 read set(s), 2 written, 0 kept (newer data)" in lines
    assert lines[-1] == f"backfill of sequence store {STORE_ID}: 2 page(s), 5 item(s) written"
    wrong = subprocess.run([*command[:8], "other_table", *command[9:]], capture_output=True, text=True, timeout=60,
                           check=False)  # fmt: skip
    assert wrong.returncode == 2 and "not other_table" in wrong.stderr, wrong.stderr
    assert "readset_metadata" in wrong.stderr, "it names the table(s) the deployed backfills write to"
