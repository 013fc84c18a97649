"""Automatic data sharing on LocalStack: the ReadSetsAdded fixture through the controller (Distributed Map over a real
jobs.json), packaging with real FASTQ objects, pushes with real S3 copies (multipart included), presigned downloads,
aborts and refusals, and the `aslkit share` commands."""

from __future__ import annotations

import copy
import json
import random
import subprocess
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from aslkit.local.deployer import Deployment
from aslkit.testing.harness import Harness
from tasks.sharing.contracts import errors
from workflows.sharing.fake_icav2 import FakeIcav2
from workflows.sharing.local import ensure_bucket, put_jobs, seed_library, seed_workflow_run
from workflows.sharing.resources import icav2_key

DATA = Path(__file__).resolve().parents[1] / "data" / "sharing"
EVENT = json.loads((DATA / "read_sets_added.event.json").read_text())
RUN = EVENT["detail"]["instrumentRunId"]
FAST = {"package_poll_seconds": "1", "package_poll_max_attempts": "30", "multipart_copy_bytes": str(8 * 1024**2),
        "copy_part_bytes": str(5 * 1024**2), "restore_poll_seconds": "1"}  # fmt: skip


@pytest.fixture
def sharing(harness: Harness) -> Deployment:
    return harness.deploy("sharing", prefix="shr_", parameters=FAST)


def unique_run() -> str:
    return f"{RUN[:-4]}{uuid.uuid4().hex[:4].upper()}"


def seed_run(aws: Any, deployment: Deployment, run: str, projects: dict[str, str]) -> dict[str, list[str]]:
    """Libraries (id -> project) of a fresh run, each with R1/R2 FASTQs; returns library -> its FASTQ keys."""
    return {
        library: seed_library(aws, deployment, {"instrument_run_id": run, "library_id": library, "project_id": project,
                                                "subject_id": f"SBJ{library[-4:]}"})
        for library, project in projects.items()
    }  # fmt: skip


class StateChanges:
    """The sharing manager's state-change events on the deployment's bus, through a queue of the test's."""

    def __init__(self, aws: Any, deployment: Deployment) -> None:
        self.aws, self.bus, self.rule = aws, deployment.buses["sharing_bus"], f"shr_changes_{uuid.uuid4().hex[:6]}"
        self.url = aws.sqs.create_queue(QueueName=self.rule)["QueueUrl"]
        arn = aws.sqs.get_queue_attributes(QueueUrl=self.url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        aws.events.put_rule(
            Name=self.rule, EventBusName=self.bus, EventPattern=json.dumps({"source": ["sharing.manager"]})
        )
        aws.events.put_targets(Rule=self.rule, EventBusName=self.bus, Targets=[{"Id": "q", "Arn": arn}])
        self.seen: list[dict[str, Any]] = []

    def of(self, harness: Harness, record_id: str, until: str) -> list[tuple[str, str]]:
        """(detail-type, status) of the record's events, in order, once its `until` status arrived; each matches its
        schema."""
        seen = self.seen

        def arrived() -> bool:
            for message in self.aws.sqs.receive_message(QueueUrl=self.url, MaxNumberOfMessages=10).get("Messages", []):
                seen.append(json.loads(message["Body"]))
            return any(record_id in e["detail"].values() and e["detail"]["status"] == until for e in seen)

        harness.eventually(arrived, timeout=30, what=f"{record_id} is announced {until}")
        mine = [e for e in seen if record_id in (e["detail"].get("packageId"), e["detail"].get("pushId"))
                and (e["detail-type"] == "PackageStateChange") == record_id.startswith("pkg.")]  # fmt: skip
        for event in mine:
            assert errors(event["detail-type"], event["detail"]) == [], event
        return [(e["detail-type"], e["detail"]["status"]) for e in sorted(mine, key=lambda e: e["detail"]["timestamp"])]

    def close(self) -> None:
        self.aws.events.remove_targets(Rule=self.rule, EventBusName=self.bus, Ids=["q"])
        self.aws.events.delete_rule(Name=self.rule, EventBusName=self.bus)


def registered(aws: Any, deployment: Deployment, push_id: str) -> list[dict[str, str]]:
    """The push's files in the registry of pushed files."""
    items = aws.dynamodb.query(TableName=deployment.tables["sharing_pushed_files"], KeyConditionExpression="push_id = :p",
                               ExpressionAttributeValues={":p": {"S": push_id}})["Items"]  # fmt: skip
    return [{key: next(iter(value.values())) for key, value in item.items()} for item in items]


def destination_keys(aws: Any, bucket: str, prefix: str = "") -> list[str]:
    pages = aws.s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    return sorted(item["Key"] for page in pages for item in page.get("Contents", []))


# On LocalStack the demo test runs the controller from its trigger (samples/sharing/1_read_sets_added.event.json)
# through packaging and push; in process every job's outcome is checked.
def test_controller_shares_each_matching_enabled_job_once(
    harness: Harness, aws: Any, icav2: tuple[FakeIcav2, Deployment]
) -> None:
    fake, sharing = icav2
    run = unique_run()
    libraries = seed_run(aws, sharing, run, {"L9000001": "PROJECT1", "L9000002": "PROJECT1", "L9000003": "PROJECT2",
                                             "L9000004": "CONTROL"})  # fmt: skip
    target = f"shr-target-{uuid.uuid4().hex[:8]}"
    fixture_job = json.loads((DATA / "jobs.json").read_text())[0]
    jobs = [
        {**fixture_job, "shareDestination": f"s3://{target}/path/"},
        {**fixture_job, "jobName": "p2-disabled", "enabled": False, "projectIdList": ["PROJECT2"]},
        {**fixture_job, "jobName": "p9-absent", "projectIdList": ["PROJECT9"], "shareDestination": f"s3://{target}/p9/"},
        {**fixture_job, "jobName": "p2-and-control", "projectIdList": ["PROJECT2", "CONTROL"],
         "shareDestination": f"s3://{target}/p2/"},
        {**fixture_job, "jobName": "p1-to-icav2", "shareDestination": f"icav2://{PROJECT}/incoming/"},
        {"jobName": "broken", "enabled": "yes", "projectIdList": [], "dataTypeList": ["bam"]},
    ]  # fmt: skip
    put_jobs(aws, sharing, jobs)
    event = copy.deepcopy(EVENT)
    event["detail"]["instrumentRunId"] = run
    [result] = harness.put_event(sharing, source=event["source"], detail_type=event["detail-type"],
                                 detail=event["detail"], machine="sharing_controller", timeout=120)  # fmt: skip
    assert result.succeeded, (result.error, result.cause)
    outcomes = {job["job"]: job for job in result.output["jobs"]}
    assert {name: job["outcome"] for name, job in outcomes.items()} == {
        "project-shortname": "pushed", "p2-disabled": "skipped", "p9-absent": "skipped",
        "p2-and-control": "pushed", "p1-to-icav2": "pushed", "broken": "invalid",
    }  # fmt: skip
    assert fake.files(PROJECT) == sorted(f"/incoming/fastq/{run}/{lib}/{key.rsplit('/', 1)[1]}"
                                         for lib in ("L9000001", "L9000002") for key in libraries[lib])  # fmt: skip
    assert outcomes["p2-disabled"]["reason"] == "job disabled"
    assert "PROJECT9" in outcomes["p9-absent"]["reason"]
    assert "enabled" in outcomes["broken"]["reason"] and "dataTypeList" in outcomes["broken"]["reason"]
    assert result.output["counts"] == {"pushed": 3, "packaged": 0, "skipped": 2, "duplicate": 0, "invalid": 1,
                                       "failed": 0}  # fmt: skip
    expected = sorted(f"path/fastq/{run}/{lib}/{key.rsplit('/', 1)[1]}"
                      for lib in ("L9000001", "L9000002") for key in libraries[lib])  # fmt: skip
    assert destination_keys(aws, target, "path/") == expected
    assert len(destination_keys(aws, target, "p2/")) == 4 and destination_keys(aws, target, "p9/") == []
    source = aws.s3.get_object(Bucket=sharing.buckets["sharing_fastq"], Key=libraries["L9000001"][0])["Body"].read()
    copied = aws.s3.get_object(Bucket=target, Key=expected[0])["Body"].read()
    assert copied == source
    package = outcomes["project-shortname"]["packageId"]
    record = aws.dynamodb.get_item(TableName=sharing.tables["sharing_jobs"], Key={"id": {"S": package}})["Item"]
    assert record["status"]["S"] == "SUCCEEDED" and record["file_count"]["N"] == "4"

    # The same trigger again: no second package, no second push.
    records_before = aws.dynamodb.scan(TableName=sharing.tables["sharing_jobs"], Select="COUNT")["Count"]
    [again] = harness.put_event(sharing, source=event["source"], detail_type=event["detail-type"],
                                detail=event["detail"], machine="sharing_controller", timeout=120)  # fmt: skip
    assert again.succeeded
    assert {job["job"]: job["outcome"] for job in again.output["jobs"]}["project-shortname"] == "duplicate"
    assert again.output["counts"]["duplicate"] == 3 and again.output["counts"]["pushed"] == 0
    assert aws.dynamodb.scan(TableName=sharing.tables["sharing_jobs"], Select="COUNT")["Count"] == records_before
    print(f"controller transitions: {len(result.steps)} (first run), {len(again.steps)} (repeat)")


def test_invalid_trigger_and_unreadable_jobs_file_fail_by_name(harness: Harness, aws: Any, sharing: Deployment) -> None:
    empty = harness.run(sharing, {"runId": "x"}, machine="sharing_controller")
    assert (empty.status, empty.error) == ("FAILED", "InvalidTrigger")
    assert "instrumentRunId" in (empty.cause or "")
    put_jobs(aws, sharing, '{"jobName": "not-a-list"')
    try:
        broken = harness.run(sharing, {"instrumentRunId": unique_run()}, machine="sharing_controller")
    finally:
        put_jobs(aws, sharing, [])
    assert (broken.status, broken.error) == ("FAILED", "JobsFileUnreadable")
    assert "auto_package_push_jobs/jobs.json" in (broken.cause or "")


def test_duplicate_job_names_are_refused_by_name_and_a_fastq_list_rows_added_event_runs_the_rest(
    harness: Harness, aws: Any, sharing: Deployment
) -> None:
    """Two entries named alike would share once, for one of them by chance: both are refused, naming the name, and
    the other jobs go on. The seed's FastqListRowsAdded starts the controller as ReadSetsAdded does."""
    run = unique_run()
    seed_run(aws, sharing, run, {"L9100001": "PROJECT1"})
    changes = StateChanges(aws, sharing)
    target = f"shr-target-{uuid.uuid4().hex[:8]}"
    fixture_job = json.loads((DATA / "jobs.json").read_text())[0]
    put_jobs(aws, sharing, [
        {**fixture_job, "jobName": "twin", "shareDestination": f"s3://{target}/a/"},
        {**fixture_job, "jobName": "twin", "shareDestination": f"s3://{target}/b/"},
        {**fixture_job, "jobName": "single", "shareDestination": f"s3://{target}/c/"},
    ])  # fmt: skip
    try:
        [result] = harness.put_event(sharing, source=EVENT["source"], detail_type="FastqListRowsAdded",
                                     detail={"instrumentRunId": run}, machine="sharing_controller", timeout=120)  # fmt: skip
    finally:
        put_jobs(aws, sharing, [])
    assert result.succeeded, result.explain()
    outcomes = [(job["job"], job["outcome"]) for job in result.output["jobs"]]
    assert sorted(outcomes) == [("single", "pushed"), ("twin", "invalid"), ("twin", "invalid")]
    reason = next(job["reason"] for job in result.output["jobs"] if job["job"] == "twin")
    assert "jobName 'twin' is carried by 2 entries of jobs.json: job names must be unique" in reason
    assert destination_keys(aws, target, "a/") == destination_keys(aws, target, "b/") == []
    assert len(destination_keys(aws, target, "c/")) == 2
    # each record's changes are announced on the bus, as its schema says; each file pushed is in the registry
    single = next(job for job in result.output["jobs"] if job["job"] == "single")
    assert sorted(f["destination"] for f in registered(aws, sharing, single["pushId"])) == [
        f"s3://{target}/{key}" for key in destination_keys(aws, target, "c/")]  # fmt: skip
    try:
        assert changes.of(harness, single["packageId"], "SUCCEEDED") == [
            ("PackageStateChange", "RUNNING"), ("PackageStateChange", "SUCCEEDED")]  # fmt: skip
        assert changes.of(harness, single["pushId"], "SUCCEEDED") == [
            ("PushStateChange", "RUNNING"), ("PushStateChange", "SUCCEEDED")]  # fmt: skip
    finally:
        changes.close()


def test_packaging_failures_are_named_and_recorded(harness: Harness, aws: Any, sharing: Deployment) -> None:
    invalid = harness.run(sharing, {"packageName": "x", "packageRequest": {"projectIdList": ["P"]}},
                          machine="sharing_packaging")  # fmt: skip
    assert (invalid.status, invalid.error) == ("FAILED", "InvalidPackageRequest")
    assert "instrumentRunIdList" in (invalid.cause or "") and "dataTypeList" in (invalid.cause or "")
    name = f"nothing-{uuid.uuid4().hex[:8]}"
    empty = harness.run(sharing, {"packageName": name, "packageRequest": {
        "instrumentRunIdList": [unique_run()], "dataTypeList": ["fastq"]}}, machine="sharing_packaging")  # fmt: skip
    assert (empty.status, empty.error) == ("FAILED", "EmptyPackage")
    assert "nothing to package" in (empty.cause or "")
    items = aws.dynamodb.scan(TableName=sharing.tables["sharing_jobs"], FilterExpression="package_name = :n",
                              ExpressionAttributeValues={":n": {"S": name}})["Items"]  # fmt: skip
    assert len(items) == 1
    assert items[0]["status"]["S"] == "FAILED" and items[0]["failure_error"]["S"] == "EmptyPackage"


PROJECT = "0d3c1f2e-aaaa-4bbb-8ccc-123456789abc"


@pytest.fixture
def icav2(harness: Harness, aws: Any) -> Iterator[tuple[FakeIcav2, Deployment]]:
    """The ICAv2 stand-in on loopback and a sharing deployment whose pushes to icav2:// call it."""
    with FakeIcav2(aws.s3, api_key=icav2_key.local_value, projects=(PROJECT,)) as fake:
        yield fake, harness.deploy("sharing", prefix="shri_", parameters={**FAST, "icav2_base_url": fake.url})


@pytest.mark.localstack
def test_a_push_to_icav2_uploads_every_file_into_the_project_folder_and_registers_it(
    harness: Harness, aws: Any, icav2: tuple[FakeIcav2, Deployment]
) -> None:
    """Through ICAv2's project data API (the stand-in): each file created under the destination folder, uploaded with
    the temporary credentials issued for it (the 12 MiB one in parts), byte for byte; the registry says where."""
    fake, sharing = icav2
    run = unique_run()
    keys = seed_run(aws, sharing, run, {"L9500001": "PROJECT6"})["L9500001"]
    big = f"primary/{run}/L9500001/L9500001_S1_L002_R1_001.fastq.ora"
    big_body = random.Random(11).randbytes(12 * 1024**2)
    aws.s3.put_object(Bucket=sharing.buckets["sharing_fastq"], Key=big, Body=big_body, ChecksumAlgorithm="SHA256")
    packaged = harness.run(sharing, {"packageName": "to-ica", "packageRequest": {
        "instrumentRunIdList": [run], "dataTypeList": ["fastq"]}}, machine="sharing_packaging", timeout=120)  # fmt: skip
    assert packaged.succeeded, packaged.explain()
    folder = f"/shares/october/fastq/{run}/L9500001/"
    # a file already there whose path starts with a pushed one's (ICAv2 matches a filePath as a prefix by default)
    checksum = keys[0].rsplit("/", 1)[-1] + ".md5"
    assert fake.create(PROJECT, {"name": checksum, "folderPath": folder, "dataType": "FILE"})[0] == 201
    # and one whose path differs only in case (ICAv2 keeps both apart)
    shouting = keys[1].rsplit("/", 1)[-1].upper()
    assert fake.create(PROJECT, {"name": shouting, "folderPath": folder, "dataType": "FILE"})[0] == 201
    pushed = harness.run(sharing, {"packageId": packaged.output["packageId"],
                                   "shareDestination": f"icav2://{PROJECT}/shares/october"},
                         machine="sharing_push", timeout=120)  # fmt: skip
    assert pushed.succeeded, pushed.explain()
    assert (pushed.output["files"], pushed.output["destination"]) == (3, f"icav2://{PROJECT}/shares/october")
    assert fake.files(PROJECT) == sorted([folder + name.rsplit("/", 1)[-1] for name in [*keys, big, checksum]]
                                         + [folder + shouting])  # fmt: skip
    assert fake.uploaded(PROJECT, folder + big.rsplit("/", 1)[-1]) == big_body
    original = aws.s3.get_object(Bucket=sharing.buckets["sharing_fastq"], Key=keys[0])["Body"].read()
    assert fake.uploaded(PROJECT, folder + keys[0].rsplit("/", 1)[-1]) == original
    second = aws.s3.get_object(Bucket=sharing.buckets["sharing_fastq"], Key=keys[1])["Body"].read()
    assert fake.uploaded(PROJECT, folder + keys[1].rsplit("/", 1)[-1]) == second, "its own file, not the upper-case one"
    destinations = sorted(row["destination"] for row in registered(aws, sharing, pushed.output["pushId"]))
    planted = (folder + checksum, folder + shouting)
    assert destinations == [f"icav2://{PROJECT}{path}" for path in fake.files(PROJECT) if path not in planted]
    again = harness.run(sharing, {"packageId": packaged.output["packageId"],
                                  "shareDestination": f"icav2://{PROJECT}/shares/october/"},
                        machine="sharing_push", timeout=120)  # fmt: skip
    assert again.succeeded and len(fake.files(PROJECT)) == 5, "a second push finds the files it made, makes none"


def test_a_push_to_an_unknown_icav2_project_or_with_a_bad_key_fails_by_name(
    harness: Harness, aws: Any, icav2: tuple[FakeIcav2, Deployment]
) -> None:
    fake, sharing = icav2
    run = unique_run()
    seed_run(aws, sharing, run, {"L9500101": "PROJECT6"})
    packaged = harness.run(sharing, {"packageName": "to-nowhere", "packageRequest": {
        "instrumentRunIdList": [run], "dataTypeList": ["fastq"]}}, machine="sharing_packaging", timeout=120)  # fmt: skip
    package = packaged.output["packageId"]
    unknown = harness.run(sharing, {"packageId": package, "shareDestination": "icav2://no-such-project/x/"},
                          machine="sharing_push", timeout=120)  # fmt: skip
    assert (unknown.status, unknown.error) == ("FAILED", "PushFailed")
    assert "Icav2ProjectNotFound" in (unknown.cause or "") and "no-such-project" in (unknown.cause or "")
    fake.api_key = "rotated"  # the stage's secret still holds the old key
    refused = harness.run(sharing, {"packageId": package, "shareDestination": f"icav2://{PROJECT}/x/"},
                          machine="sharing_push", timeout=120)  # fmt: skip
    assert refused.error == "PushFailed" and "Icav2Unauthorized" in (refused.cause or "")
    bad = harness.run(sharing, {"packageId": package, "shareDestination": "ftp://host/x/"}, machine="sharing_push")
    assert (bad.error, bad.states) == ("InvalidShareDestination", ["Push: destination?", "Push: invalid destination"])


@pytest.mark.usefixtures("localstack")  # a race between the abort and a packaging that runs in real time
def test_an_aborted_package_ends_package_push_at_once_naming_it(
    harness: Harness, aws: Any, sharing: Deployment
) -> None:
    """A real abort (`aslkit share abort-package`) of the packaging child while it runs. The abort races the
    packaging, so a run where packaging finished first is tried again with a fresh run (at most 3 times)."""
    from aslkit.cli import main

    sfn = aws.stepfunctions
    packaging = sharing.machine_arn("sharing_packaging")
    for _attempt in range(3):
        target = f"shr-target-{uuid.uuid4().hex[:8]}"  # fresh per attempt: a lost race's run pushes its files
        ensure_bucket(aws, target)
        run = unique_run()
        seed_run(aws, sharing, run, {f"L95{n:05d}": "PROJECT1" for n in range(12)})
        name = f"abort-{run}"
        request = {"packageName": f"abortable-{run}", "shareDestination": f"s3://{target}/x/",
                   "packageRequest": {"instrumentRunIdList": [run], "dataTypeList": ["fastq"]}}  # fmt: skip
        parent = harness.start(sharing, request, machine="sharing_package_push", name=name)
        child = f"{packaging.replace(':stateMachine:', ':execution:')}:{name}"
        record = None
        deadline = time.monotonic() + 20
        while record is None and time.monotonic() < deadline:
            items = aws.dynamodb.scan(TableName=sharing.tables["sharing_jobs"], FilterExpression="execution_arn = :e",
                                      ExpressionAttributeValues={":e": {"S": child}})["Items"]  # fmt: skip
            record = items[0] if items else None
        assert record is not None, "the packaging child never registered its package"
        aborted_at = time.monotonic()
        code = main(["share", "abort-package", "--package-id", record["id"]["S"], "--endpoint-url", aws.endpoint_url,
                     "--stage", sharing.prefix])  # fmt: skip
        result = harness.wait(parent, timeout=60)
        if code == 0:
            break
    else:
        pytest.fail("packaging always finished before the abort: make the package bigger")
    assert (result.status, result.error) == ("FAILED", "PackageAborted")
    assert f"abortable-{run}" in (result.cause or "")
    assert "Push" not in result.states and destination_keys(aws, target) == []
    assert result.stopped is not None and (time.monotonic() - aborted_at) < 10
    # Stopped by the abort, or (when it reached its last write first) failed by that write's condition.
    child_run = sfn.describe_execution(executionArn=child)
    assert child_run["status"] == "ABORTED" or (child_run["status"], child_run.get("error")) == (
        "FAILED", "PackageAborted")  # fmt: skip
    item = aws.dynamodb.get_item(TableName=sharing.tables["sharing_jobs"], Key={"id": record["id"]})["Item"]
    assert item["status"]["S"] == "ABORTED"


def test_push_waiting_for_a_package_ends_at_once_when_it_is_aborted(
    harness: Harness, aws: Any, sharing: Deployment
) -> None:
    """A push started while its package is still being built waits (bounded); ABORTED ends the wait at once."""
    from aslkit.cli import main
    from tasks.sharing.ids import new_id

    package = new_id("package")
    building = harness.start(sharing, {"packageName": "placeholder", "packageRequest": {
        "instrumentRunIdList": ["none"], "dataTypeList": ["fastq"]}}, machine="sharing_packaging")  # fmt: skip
    harness.wait(building)
    aws.dynamodb.put_item(TableName=sharing.tables["sharing_jobs"], Item={
        "id": {"S": package}, "kind": {"S": "package"}, "status": {"S": "RUNNING"},
        "package_name": {"S": "still-building"}, "execution_arn": {"S": building}})  # fmt: skip
    push = harness.start(sharing, {"packageId": package, "shareDestination": "s3://shr-nowhere/x/"},
                         machine="sharing_push")  # fmt: skip
    changes = StateChanges(aws, sharing)
    harness.sleep(2.5)
    assert harness.result(push).status == "RUNNING"
    aborted_at = harness.clock()
    assert main(["share", "abort-package", "--package-id", package, *harness.cli_options(),
                 "--stage", sharing.prefix]) == 0  # fmt: skip
    result = harness.wait(push, timeout=30)
    waited = harness.clock() - aborted_at
    assert (result.status, result.error) == ("FAILED", "PackageAborted")
    assert "still-building" in (result.cause or "") and package in (result.cause or "")
    assert result.states.count("Wait for package") >= 2 and waited < 5
    pushes = aws.dynamodb.scan(TableName=sharing.tables["sharing_jobs"], FilterExpression="package_id = :p",
                               ExpressionAttributeValues={":p": {"S": package}})["Items"]  # fmt: skip
    assert [(p["kind"]["S"], p["status"]["S"], p["failure_error"]["S"]) for p in pushes] == [
        ("push", "FAILED", "PackageAborted")
    ]
    try:  # the abort is announced as the machines announce theirs; the push's failure too, naming why
        assert changes.of(harness, package, "ABORTED") == [("PackageStateChange", "ABORTED")]
        assert changes.of(harness, pushes[0]["id"]["S"], "FAILED") == [("PushStateChange", "FAILED")]
    finally:
        changes.close()


@pytest.mark.usefixtures("localstack")  # a browser, a shell script and curl fetch what the commands made
def test_share_commands_generate_view_push_and_presign(
    harness: Harness, aws: Any, sharing: Deployment, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The data-sharing tool's four commands against LocalStack, on a LIMS manifest CSV shaped like the mart's."""
    import hashlib
    import os
    import random
    import re
    import urllib.request

    from aslkit.cli import main

    run = unique_run()
    keys = seed_run(aws, sharing, run, {"L9100001": "PROJECT7", "L9100002": "PROJECT7", "L9100003": "PROJECT8"})
    fastq_bucket = sharing.buckets["sharing_fastq"]
    big = f"primary/{run}/L9100001/L9100001_S1_L002_R1_001.fastq.ora"  # 12 MiB: copied in 3 parts of 5 MiB
    big_body = random.Random(7).randbytes(12 * 1024**2)
    aws.s3.put_object(Bucket=fastq_bucket, Key=big, Body=big_body, ChecksumAlgorithm="SHA256")
    manifest_csv = tmp_path / "lims_manifest.csv"
    manifest_csv.write_text(
        "sequencing_run_id,sequencing_run_date,library_id,internal_subject_id,project_id,type,phenotype\n"
        f"{run},2023-10-10,L9100001,SBJ00001,PROJECT7,WGS,tumor\n"
        f"{run},2023-10-10,L9100002,SBJ00001,PROJECT7,WGS,normal\n"
    )
    where = ["--endpoint-url", aws.endpoint_url, "--stage", sharing.prefix]

    assert main(["share", "generate-package", "--package-name", "project7-tn", "--lims-manifest-csv",
                 str(manifest_csv), "--wait", *where]) == 0  # fmt: skip
    out = capsys.readouterr().out
    package = re.search(r"Generating package '(pkg\.[0-9A-Z]{26})'", out).group(1)  # type: ignore[union-attr]
    assert "2 libraries, 5 files" in out and "Collect libraries and files" in out
    pair = [{"library_id": "L9100001", "phenotype": "tumor"}, {"library_id": "L9100002", "phenotype": "normal"}]
    seed_workflow_run(aws, sharing, {"portal_run_id": f"{run[-4:].lower()}tn", "workflow_name": "tumor-normal",
                                     "status": "SUCCEEDED", "timestamp": "2023-10-16T00:00:00Z", "libraries": pair,
                                     "files": ["somatic.vcf.gz"]})  # fmt: skip
    assert main(["share", "generate-package", "--package-name", "project7-tn-analysis", "--lims-manifest-csv",
                 str(manifest_csv), "--data-type", "secondaryAnalysis", "--secondary-analysis-type", "tumor-normal",
                 "--wait", *where]) == 0  # fmt: skip
    assert "2 libraries, 1 workflow runs, 1 files" in capsys.readouterr().out
    manifest = json.loads(aws.s3.get_object(Bucket=sharing.buckets["sharing_data"],
                                            Key=f"packages/{package}/manifest.json")["Body"].read())  # fmt: skip
    assert [lib["library_id"] for lib in manifest["libraries"]] == ["L9100001", "L9100002"]
    by_path = {row["relative_path"]: row for row in manifest["files"]}
    big_row = by_path[f"fastq/{run}/L9100001/L9100001_S1_L002_R1_001.fastq.ora"]
    assert big_row["size"] == len(big_body)
    assert big_row["checksum"] == {
        "algorithm": "sha256",
        "value": __import__("base64").b64encode(hashlib.sha256(big_body).digest()).decode(),
    }

    opener = tmp_path / "open.sh"
    opened = tmp_path / "opened.txt"
    opener.write_text(f'#!/bin/sh\nprintf "%s" "$1" > {opened}\n')
    opener.chmod(0o755)
    report_file = tmp_path / "report.html"
    view = subprocess.run(
        [str(Path(os.sys.executable).with_name("aslkit")), "share", "view-package-report", "--package-id", package,
         "-o", str(report_file), *where],
        capture_output=True, text=True, env={**os.environ, "BROWSER": f"{opener} %s"}, timeout=60,
    )  # fmt: skip
    assert view.returncode == 0, view.stderr
    url = opened.read_text()
    assert url.startswith("http") and url in view.stdout
    html = urllib.request.urlopen(url, timeout=10).read().decode()
    assert html == report_file.read_text()
    files_table = html.split('id="files"', 1)[1].split("</table>", 1)[0]
    assert files_table.count("<tr>") == 1 + 5 and all(path in files_table for path in by_path)
    assert "L9100003" not in html and big_row["checksum"]["value"] in html

    target = f"shr-target-{uuid.uuid4().hex[:8]}"
    ensure_bucket(aws, target)
    assert main(["share", "push-package", "--package-id", package, "--share-location", f"s3://{target}/incoming",
                 "--wait", *where]) == 0  # fmt: skip
    out = capsys.readouterr().out
    assert f"5 files, 12.0 MiB copied to s3://{target}/incoming" in out
    pushed = destination_keys(aws, target)
    assert pushed == sorted(f"incoming/{path}" for path in by_path)
    copy_head = aws.s3.head_object(Bucket=target, Key=f"incoming/{big_row['relative_path']}")
    assert copy_head["ETag"].strip('"').endswith("-3")  # a multipart copy of 3 parts
    assert aws.s3.get_object(Bucket=target, Key=f"incoming/{big_row['relative_path']}")["Body"].read() == big_body

    assert main(["share", "presign-package", "--package-id", package, *where]) == 0
    out = capsys.readouterr().out
    script_url = next(line for line in out.splitlines() if line.startswith("http"))
    script = urllib.request.urlopen(script_url, timeout=10).read().decode()
    expiries = {int(v) for v in re.findall(r"X-Amz-Expires=(\d+)", script)}
    assert expiries == {7 * 24 * 3600} and script.count("\ndownload ") == 5  # valid at least 6 days
    (tmp_path / "download.sh").write_text(script)
    fetched = subprocess.run(["bash", str(tmp_path / "download.sh"), str(tmp_path / "received")],
                             capture_output=True, text=True, timeout=60)  # fmt: skip
    assert fetched.returncode == 0, fetched.stderr
    for path in by_path:
        source_key = by_path[path]["uri"].split("/", 3)[3]
        expected = aws.s3.get_object(Bucket=fastq_bucket, Key=source_key)["Body"].read()
        assert (tmp_path / "received" / path).read_bytes() == expected
    assert len(keys) == 3


def test_push_and_presign_of_an_unknown_package_fail_by_name(harness: Harness, sharing: Deployment) -> None:
    from tasks.sharing.ids import new_id

    package = new_id("package")
    push = harness.run(sharing, {"packageId": package, "shareDestination": "s3://shr-nowhere/x/"},
                       machine="sharing_push")  # fmt: skip
    assert (push.status, push.error) == ("FAILED", "PackageNotFound") and package in (push.cause or "")
    presign = harness.run(sharing, {"packageId": package}, machine="sharing_presign")
    assert (presign.status, presign.error) == ("FAILED", "PackageNotFound") and package in (presign.cause or "")


def test_a_controller_run_is_priced_whole_with_every_execution_it_led_to(
    harness: Harness, aws: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The demo's seed and jobs, then ReadSetsAdded: the controller's own history is a few transitions; the run it
    starts (a Distributed Map child per job, package-push, packaging, push and a child per file) is the bill."""
    from workflows.sharing.local import SEED

    deployment = harness.deploy("sharing", prefix="cost_")
    for library in json.loads((SEED / "libraries.json").read_text()):
        seed_library(aws, deployment, library)
    put_jobs(aws, deployment, json.loads((SEED / "jobs.json").read_text()))
    [controller] = harness.put_event(deployment, source=EVENT["source"], detail_type=EVENT["detail-type"],
                                     detail=EVENT["detail"], machine="sharing_controller", timeout=120)  # fmt: skip
    assert controller.succeeded, controller.explain()
    run = harness.backend.run_of(controller.arn)
    machines = [result.arn.split(":")[6] for result in run]
    jobs, files = len(controller.output["jobs"]), sum(r.output.get("files", 0) for r in run if "push" in r.arn)
    assert machines.count("cost_sharing_controller/For each job") == jobs
    assert {"cost_sharing_package_push", "cost_sharing_packaging", "cost_sharing_push"} <= set(machines)
    cost = harness.run_cost(controller)
    assert cost.executions == len(run) > 4 + jobs
    assert cost.transitions == sum(r.transitions for r in run) > 3 * controller.transitions
    assert 45 <= cost.transitions <= 65, cost.describe()  # benchmarks/transitions_sharing.py models 55 on LocalStack
    assert f"{cost.executions} executions: {cost.transitions} transitions" in cost.describe()
    assert files > 0

    # `aslkit report` prices it whole too, reading the Step Functions API: the Distributed Map's children through
    # ListExecutions by map run, and the `.sync` children they started
    from aslkit.cli import main

    report = tmp_path / "report.html"
    assert main(["report", controller.arn, "-o", str(report), *harness.cli_options()]) == 0
    printed = capsys.readouterr().out
    assert f"{cost.executions} executions: {cost.transitions} transitions" in printed
    assert "for the whole run" in printed and f"{cost.executions} executions" in report.read_text()


def test_an_aborted_push_stops_its_copies_and_leaves_no_multipart_upload_open(
    harness: Harness, aws: Any, sharing: Deployment, capsys: pytest.CaptureFixture[str]
) -> None:
    """`aslkit share abort-push` midway through a push whose large files copy in parts: the execution (and its
    Distributed Map's copies) stops, every multipart upload it opened at the destination is aborted, the record is
    ABORTED and announced so; the files copied before stay."""
    if not harness.in_process:
        pytest.skip("holding a copy part midway is the engine's fault injection")
    from aslkit.cli import main
    from aslkit.engine import faults

    run = unique_run()
    seed_run(aws, sharing, run, {"L9200001": "PROJECT3"})
    big = f"primary/{run}/L9200001/L9200001_S1_L002_R1_001.fastq.ora"  # 12 MiB: 3 parts of 5 MiB
    aws.s3.put_object(Bucket=sharing.buckets["sharing_fastq"], Key=big, Body=b"A" * (12 * 1024**2))
    packaged = harness.run(sharing, {"packageName": "abort-me", "packageRequest": {
        "instrumentRunIdList": [run], "dataTypeList": ["fastq"]}}, machine="sharing_packaging")  # fmt: skip
    assert packaged.succeeded, packaged.explain()
    target = f"shr-target-{uuid.uuid4().hex[:8]}"
    ensure_bucket(aws, target)
    changes = StateChanges(aws, sharing)
    engine = harness.backend.engine  # type: ignore[attr-defined]
    engine.faults = faults.Plan([faults.slow(600, state="Copy part")])  # a part copy that takes ten minutes
    try:
        push = harness.start(sharing, {"packageId": packaged.output["packageId"],
                                       "shareDestination": f"s3://{target}/incoming/"}, machine="sharing_push")  # fmt: skip
        harness.sleep(30)
        assert aws.s3.list_multipart_uploads(Bucket=target).get("Uploads"), "the large file's upload is open"
        record = next(i for i in aws.dynamodb.scan(TableName=sharing.tables["sharing_jobs"])["Items"]
                      if i.get("execution_arn", {}).get("S") == push)  # fmt: skip
        push_id = record["id"]["S"]
        assert (
            main(["share", "abort-push", "--push-id", push_id, *harness.cli_options(), "--stage", sharing.prefix]) == 0
        )
    finally:
        engine.faults = None
    assert f"Push {push_id} aborted; its execution is stopped; 1 open multipart upload(s) aborted" in (
        capsys.readouterr().out)  # fmt: skip
    assert harness.result(push).status == "ABORTED"
    assert aws.s3.list_multipart_uploads(Bucket=target).get("Uploads", []) == []
    kept = {k: v["S"] for k, v in aws.dynamodb.get_item(TableName=sharing.tables["sharing_jobs"],
                                                         Key={"id": {"S": push_id}})["Item"].items() if "S" in v}  # fmt: skip
    assert kept["status"] == "ABORTED"
    copied = destination_keys(aws, target, "incoming/")
    assert len(copied) == 2 and not any(key.endswith(".ora") for key in copied), "the small files were copied"
    assert sorted(f["destination"] for f in registered(aws, sharing, push_id)) == [
        f"s3://{target}/{key}" for key in copied], "the registry holds what was copied, and only that"  # fmt: skip
    try:
        # (in process the machine's times are the virtual clock's, the command's the wall clock's: no order claimed)
        assert sorted(changes.of(harness, push_id, "ABORTED")) == [
            ("PushStateChange", "ABORTED"),
            ("PushStateChange", "RUNNING"),
        ]
    finally:
        changes.close()
    assert main(["share", "abort-push", "--push-id", push_id, *harness.cli_options(), "--stage", sharing.prefix]) == 2
    assert "has already ended (ABORTED): nothing to abort" in capsys.readouterr().err


def test_an_archived_fastq_is_restored_before_the_package_is_ready_and_then_pushed(
    harness: Harness, aws: Any, sharing: Deployment
) -> None:
    """A library whose R2 is in Glacier: packaging asks S3 to restore it (once), waits until it is, then reports
    the package ready; the push copies it (an archived object that is not restored cannot be copied)."""
    run = unique_run()
    keys = seed_run(aws, sharing, run, {"L9300001": "PROJECT4"})["L9300001"]
    fastq_bucket = sharing.buckets["sharing_fastq"]
    body = aws.s3.get_object(Bucket=fastq_bucket, Key=keys[1])["Body"].read()
    aws.s3.put_object(Bucket=fastq_bucket, Key=keys[1], Body=body, StorageClass="GLACIER")  # archived since
    assert "Restore" not in aws.s3.head_object(Bucket=fastq_bucket, Key=keys[1])
    packaged = harness.run(sharing, {"packageName": "from-glacier", "packageRequest": {
        "instrumentRunIdList": [run], "dataTypeList": ["fastq"]}}, machine="sharing_packaging", timeout=120)  # fmt: skip
    assert packaged.succeeded, packaged.explain()
    states = packaged.states
    assert states.count("Request restore") == 1 and "Wait for restores" in states
    assert states.index("Restore archived files") < states.index("Write report"), "ready only once restored"
    assert 'ongoing-request="false"' in aws.s3.head_object(Bucket=fastq_bucket, Key=keys[1])["Restore"]
    target = f"shr-target-{uuid.uuid4().hex[:8]}"
    ensure_bucket(aws, target)
    pushed = harness.run(sharing, {"packageId": packaged.output["packageId"], "shareDestination": f"s3://{target}/"},
                         machine="sharing_push", timeout=120)  # fmt: skip
    assert pushed.succeeded, pushed.explain()
    assert len(destination_keys(aws, target)) == 2


@pytest.mark.localstack
def test_secondary_analysis_of_a_tumor_normal_pair_is_packaged_restored_and_pushed(
    harness: Harness, aws: Any, sharing: Deployment
) -> None:
    """A package of both data types for a tumor/normal pair: its FASTQs and the outputs of the latest succeeded
    tumor-normal run over the pair (not the run it repeats, not the failed one, not umccrise: the request names
    tumor-normal), one of them in Glacier and restored first; the push copies them under secondary-analysis/."""
    run = unique_run()
    seed_run(aws, sharing, run, {"L9400001": "PROJECT5", "L9400002": "PROJECT5"})
    pair = [{"library_id": "L9400001", "phenotype": "tumor"}, {"library_id": "L9400002", "phenotype": "normal"}]
    runs = {name: {"portal_run_id": f"{run[-4:].lower()}{name}", "workflow_name": workflow, "workflow_version": "1",
                   "status": status, "timestamp": f"2023-10-{day}T00:00:00Z", "libraries": pair, "files": files}
            for name, workflow, status, day, files in [
                ("first", "tumor-normal", "SUCCEEDED", 14, ["SBJ/somatic.vcf.gz"]),
                ("rerun", "tumor-normal", "SUCCEEDED", 16, ["SBJ/somatic.vcf.gz", "SBJ/somatic.vcf.gz.tbi"]),
                ("failed", "tumor-normal", "FAILED", 18, []),
                ("umccrise", "umccrise", "SUCCEEDED", 17, ["report.html"])]}  # fmt: skip
    keys = {name: seed_workflow_run(aws, sharing, spec) for name, spec in runs.items()}
    analysis = sharing.buckets["sharing_analysis"]
    index = keys["rerun"][1]
    body = aws.s3.get_object(Bucket=analysis, Key=index)["Body"].read()
    aws.s3.put_object(Bucket=analysis, Key=index, Body=body, StorageClass="GLACIER")
    packaged = harness.run(sharing, {"packageName": "tn-pair", "packageRequest": {
        "instrumentRunIdList": [run], "dataTypeList": ["fastq", "secondaryAnalysis"],
        "secondaryAnalysisTypeList": ["tumor-normal"]}}, machine="sharing_packaging", timeout=120)  # fmt: skip
    assert packaged.succeeded, packaged.explain()
    out = packaged.output
    assert (out["libraries"], out["workflows"], out["files"], out["missingSecondary"]) == (2, 1, 6, [])
    assert packaged.states.count("Request restore") == 1, "the archived index is restored before the package is ready"
    manifest = json.loads(aws.s3.get_object(Bucket=sharing.buckets["sharing_data"],
                                            Key=f"packages/{out['packageId']}/manifest.json")["Body"].read())  # fmt: skip
    rerun = runs["rerun"]["portal_run_id"]
    assert [w["portal_run_id"] for w in manifest["workflows"]] == [rerun]
    secondary = sorted(f["relative_path"] for f in manifest["files"] if f["data_type"] == "secondaryAnalysis")
    assert secondary == [f"secondary-analysis/tumor-normal/{rerun}/SBJ/somatic.vcf.gz",
                         f"secondary-analysis/tumor-normal/{rerun}/SBJ/somatic.vcf.gz.tbi"]  # fmt: skip
    report = aws.s3.get_object(Bucket=sharing.buckets["sharing_data"],
                               Key=f"packages/{out['packageId']}/report.html")["Body"].read().decode()  # fmt: skip
    assert "L9400001 (tumor), L9400002 (normal)" in report.split('id="panel-secondary"')[1]
    target = f"shr-target-{uuid.uuid4().hex[:8]}"
    ensure_bucket(aws, target)
    pushed = harness.run(sharing, {"packageId": out["packageId"], "shareDestination": f"s3://{target}/tn/"},
                         machine="sharing_push", timeout=120)  # fmt: skip
    assert pushed.succeeded, pushed.explain()
    copied = destination_keys(aws, target, "tn/")
    assert len(copied) == 6 and {f"tn/{path}" for path in secondary} <= set(copied)
    copied_index = aws.s3.get_object(Bucket=target, Key=f"tn/{secondary[1]}")["Body"].read()
    assert copied_index == body


@pytest.mark.localstack
def test_the_rest_api_generates_views_pushes_presigns_and_aborts_for_signed_callers_and_serves_its_openapi(
    harness: Harness, aws: Any, sharing: Deployment, aslkit_backend_name: str
) -> None:
    """The sharing manager's API (IAM on every operation): its OpenAPI document, a package generated, viewed and
    its report fetched, pushed and presigned through it, each record naming its caller; refusals named."""
    from botocore.credentials import Credentials

    from aslkit.runtime.signed import call

    url, region = sharing.apis["sharing_api"], aws.region
    me = Credentials("testing", "testing")

    def api(method: str, path: str, payload: Any = None, credentials: Credentials | None = me) -> Any:
        return call(method, url + path, payload, credentials=credentials, region=region)

    if aslkit_backend_name == "inprocess":  # LocalStack's community edition does not check IAM signatures
        assert (api("GET", "/openapi.json", credentials=None).status, api("GET", "/openapi.json", credentials=None)
                .json()) == (403, {"message": "Missing Authentication Token"})  # fmt: skip
        forged = api("GET", "/openapi.json", credentials=Credentials("testing", "not-the-secret"))
        assert forged.status == 403 and "signature we calculated does not match" in forged.json()["message"]
        assert api("GET", "/openapi.json", credentials=Credentials("AKIAUNKNOWN", "x")).status == 403
    document = api("GET", "/openapi.json").json()
    assert document["openapi"].startswith("3.") and document["security"] == [{"sigv4": []}]
    assert {"/packages", "/packages/{packageId}", "/packages/{packageId}/push", "/packages/{packageId}/presign",
            "/packages/{packageId}/abort", "/pushes/{pushId}", "/pushes/{pushId}/abort"} <= set(document["paths"])  # fmt: skip
    assert "swagger" in api("GET", "/swagger").body.decode().lower()

    invalid = api("POST", "/packages", {"packageName": "x", "packageRequest": {"dataTypeList": ["fastq"]}})
    assert invalid.status == 400 and "instrumentRunIdList" in invalid.json()["message"]
    assert api("POST", "/packages", {"packageName": "x"}).status == 422  # the body's model: packageRequest missing
    run = unique_run()
    seed_run(aws, sharing, run, {"L9600001": "PROJECT7"})
    started = api("POST", "/packages", {"packageName": "via-api", "packageRequest": {
        "instrumentRunIdList": [run], "dataTypeList": ["fastq"]}})  # fmt: skip
    assert started.status == 202, started.body
    package = started.json()["id"]
    record = harness.eventually(lambda: (r := api("GET", f"/packages/{package}").json()).get("status") == "SUCCEEDED"
                                and r, timeout=60, what="the package is built")  # fmt: skip
    assert record["file_count"] == "2" and record["request"]["instrumentRunIdList"] == [run]
    # the IAM caller API Gateway authenticated; LocalStack authenticates no one and says so
    caller = {"inprocess": "arn:aws:iam::123456789012:user/moto"}.get(aslkit_backend_name, "unauthenticated")
    assert record["requested_by"] == caller
    report = api("GET", f"/packages/{package}/report").json()
    assert f"packages/{package}/report.html" in report["reportUrl"] and "Signature=" in report["reportUrl"]
    if aslkit_backend_name == "localstack":  # in process the link names moto's S3, which no socket serves
        with urllib.request.urlopen(report["reportUrl"], timeout=10) as page:
            assert "via-api" in page.read().decode()

    target = f"shr-target-{uuid.uuid4().hex[:8]}"
    ensure_bucket(aws, target)
    pushed = api("POST", f"/packages/{package}/push", {"shareDestination": f"s3://{target}/api/"})
    assert pushed.status == 202, pushed.body
    push_id = pushed.json()["id"]
    push = harness.eventually(lambda: (r := api("GET", f"/pushes/{push_id}").json()).get("status") == "SUCCEEDED" and r,
                              timeout=60, what="the push is done")  # fmt: skip
    assert push["requested_by"] == caller and len(destination_keys(aws, target, "api/")) == 2
    presigned = api("POST", f"/packages/{package}/presign")
    assert (
        presigned.status == 200 and presigned.json()["files"] == 2 and presigned.json()["scriptUrl"].startswith("http")
    )

    ended = api("POST", f"/pushes/{push_id}/abort")
    assert ended.status == 409 and "has already ended (SUCCEEDED): nothing to abort" in ended.json()["message"]
    assert api("GET", "/packages/pkg.01JBX8Y9Z2S5K3M7N4P6Q8R0T1").status == 404
    assert api("GET", f"/pushes/{package}").status == 422, "a package id is not a push id"
    assert api("POST", f"/packages/{package}/push", {"shareDestination": "ftp://x/"}).status == 400
