"""Event-driven packaging on LocalStack: real S3 uploads and deletes, thresholds shrunk by parameters, the
exactly-once flush under races and a 500-event burst, and the Quilt packages (registry or quarantine + SNS)."""

from __future__ import annotations

import copy
import json
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from aslkit.local.deployer import Deployment
from aslkit.testing.harness import Harness

DATA = Path(__file__).resolve().parents[1] / "data" / "edp"
FAST = {"edp_landing_threshold_count": "20", "edp_landing_threshold_seconds": "300"}


class Announcements:
    """Every package-objects-ready put on the deployment's bus, collected by a rule into a queue of the test's."""

    def __init__(self, harness: Harness, aws: Any, deployment: Deployment) -> None:
        self.harness, self.aws = harness, aws
        name = f"edp_seen_{uuid.uuid4().hex[:8]}"
        self.url = aws.sqs.create_queue(QueueName=name)["QueueUrl"]
        arn = aws.sqs.get_queue_attributes(QueueUrl=self.url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        self.bus = deployment.buses["edp_bus"]
        self.rule = name
        aws.events.put_rule(Name=name, EventBusName=self.bus, State="ENABLED",
                            EventPattern=json.dumps({"source": ["com.quiltdata.edp"]}))  # fmt: skip
        aws.events.put_targets(Rule=name, EventBusName=self.bus, Targets=[{"Id": "q", "Arn": arn}])
        self.seen: list[dict[str, Any]] = []

    def collect(self, settle: float = 1.5, until: int | None = None, timeout: float = 60.0) -> list[dict[str, Any]]:
        """Drain the queue until at least `until` have arrived, then until nothing new arrives for `settle` s."""

        def drain() -> bool:
            messages = self.aws.sqs.receive_message(QueueUrl=self.url, MaxNumberOfMessages=10).get("Messages", [])
            for message in messages:
                self.seen.append(json.loads(message["Body"])["detail"])
                self.aws.sqs.delete_message(QueueUrl=self.url, ReceiptHandle=message["ReceiptHandle"])
            return until is None or len(self.seen) >= until

        self.harness.eventually(drain, timeout=timeout, what=f"{until} announcement(s) arrive")
        while True:
            count = len(self.seen)
            self.harness.sleep(settle)
            drained = count
            while drain() is not None and len(self.seen) > drained:  # until a receive brings nothing
                drained = len(self.seen)
            if len(self.seen) == count:
                break
        return self.seen

    def close(self) -> None:
        self.aws.events.remove_targets(Rule=self.rule, EventBusName=self.bus, Ids=["q"])
        self.aws.events.delete_rule(Name=self.rule, EventBusName=self.bus)
        self.aws.sqs.delete_queue(QueueUrl=self.url)


@pytest.fixture
def edp(harness: Harness) -> Deployment:
    return harness.deploy("edp", prefix="edpt_", parameters=FAST)


@pytest.fixture
def announced(harness: Harness, aws, edp: Deployment) -> Iterator[Announcements]:
    collector = Announcements(harness, aws, edp)
    yield collector
    collector.close()


def subscribe(aws, topic: str) -> str:
    """A queue of the test's subscribed to `topic` (raw delivery): its URL."""
    inbox = aws.sqs.create_queue(QueueName=f"edp_inbox_{uuid.uuid4().hex[:8]}")["QueueUrl"]
    inbox_arn = aws.sqs.get_queue_attributes(QueueUrl=inbox, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    aws.sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=inbox_arn, Attributes={"RawMessageDelivery": "true"})
    return inbox


def received(harness: Harness, aws, inbox: str, what: str) -> list[str]:
    """The bodies of the messages that reached `inbox` (at least one, within 30 s)."""
    bodies: list[str] = []

    def drain() -> bool:
        for message in aws.sqs.receive_message(QueueUrl=inbox, MaxNumberOfMessages=10).get("Messages", []):
            bodies.append(message["Body"])
        return bool(bodies)

    harness.eventually(drain, timeout=30, what=what)
    return bodies


def s3_event(bucket: str, key: str, *, sequencer: str | None = None, kind: str = "Object Created") -> dict[str, Any]:
    name = "s3_object_created.event.json" if kind == "Object Created" else "s3_object_deleted.event.json"
    event = copy.deepcopy(json.loads((DATA / name).read_text()))
    event["detail"]["bucket"]["name"] = bucket
    event["detail"]["object"]["key"] = key
    event["detail"]["object"]["sequencer"] = sequencer or uuid.uuid4().hex[:18].upper()
    return event


def batch(aws, edp: Deployment, bucket: str, prefix: str) -> dict[str, Any]:
    item = aws.dynamodb.get_item(TableName=edp.tables["edp_batches"], Key={"batch_id": {"S": f"{bucket}/{prefix}"}},
                                 ConsistentRead=True).get("Item", {})  # fmt: skip
    return {key: (int(value["N"]) if "N" in value else value.get("S")) for key, value in item.items()}


def without_schedule(aws, deployment: Deployment) -> Deployment:
    """The every-minute sweep would race a test that sweeps by hand: the test drives the sweeper itself."""
    bus, rule = deployment.rules["edp_sweep"]
    aws.events.disable_rule(Name=rule, EventBusName=bus)
    return deployment


def record(harness: Harness, edp: Deployment, event: dict[str, Any]) -> dict[str, Any]:
    result = harness.run(edp, event, machine="edp_recorder")
    assert result.succeeded, result.explain()
    return result.output


# On LocalStack the demo test runs this scenario from its real trigger (samples/edp/1_burst_of_20_uploads.event.json)
# and checks it green; in process it is checked to the package.
def test_twenty_uploads_flush_once_at_the_twentieth_and_become_a_package(harness, aws, edp, announced) -> None:
    bucket, run = edp.buckets["edp_landing"], f"runs/{uuid.uuid4().hex[:8]}"
    subscriber = subscribe(aws, edp.topics["edp_announcements"])
    for i in range(19):
        aws.s3.put_object(Bucket=bucket, Key=f"{run}/L001/R{i:02d}.fastq.gz", Body=f"reads {i}".encode())
    harness.eventually(
        lambda: batch(aws, edp, bucket, f"{run}/").get("pending") == 19, what="the 19 uploads are recorded"
    )
    assert announced.collect(settle=1.0) == [], "19 objects: below the threshold, nothing is announced"
    aws.s3.put_object(Bucket=bucket, Key=f"{run}/L001/R19.fastq.gz", Body=b"reads 19")
    (ready,) = announced.collect(until=1)
    assert {k: ready[k] for k in ("version", "bucket", "prefix", "count", "epoch")} == {
        "version": "0.1", "bucket": bucket, "prefix": f"{run}/", "count": 20, "epoch": 0}  # fmt: skip
    assert ready["window"]["first"] <= ready["window"]["last"]
    after = batch(aws, edp, bucket, f"{run}/")
    assert (after["pending"], after["received"], after["epoch"], after["flushes"]) == (0, 20, 1, 1)
    assert "first_event" not in after, "a flush clears the window"
    # the announcements topic carries the same event, for subscribers outside the bus
    (message,) = received(harness, aws, subscriber, "the announcement reaches the topic's subscriber")
    assert json.loads(message)["detail-type"] == "package-objects-ready" and json.loads(message)["detail"] == ready

    # The announcement started the packager: a Quilt package of the prefix, with the files EDP adds.
    executions = harness.backend.executions(edp, "edp_packager")
    results = [harness.backend.wait(arn, timeout=120) for arn in executions]
    mine = [r for r in results if r.input["detail"]["prefix"] == f"{run}/"]
    assert len(mine) == 1 and mine[0].succeeded, mine[0].explain() if mine else "no packager execution"
    package = mine[0].output
    assert package["status"] == "pushed" and package["objects"] == 20
    assert sorted(package["added"]) == [".quiltignore", "README.md", "quilt_summarize.json"]
    manifest = read_manifest(aws, edp.buckets["edp_registry"], package["package"], package["top_hash"])
    keys = sorted(entry["logical_key"] for entry in manifest[1:])
    assert keys == sorted([f"L001/R{i:02d}.fastq.gz" for i in range(20)] + [".quiltignore", "README.md",
                                                                             "quilt_summarize.json"])  # fmt: skip
    assert manifest[0]["user_meta"]["edp"] == {"bucket": bucket, "prefix": f"{run}/", "objects": 20, "epoch": 0,
                                               "window": ready["window"]}  # fmt: skip


def read_manifest(aws, registry: str, name: str, top_hash: str) -> list[dict[str, Any]]:
    latest = aws.s3.get_object(Bucket=registry, Key=f".quilt/named_packages/{name}/latest")["Body"].read().decode()
    assert latest.strip() == top_hash, "the package's latest revision is the one pushed"
    body = aws.s3.get_object(Bucket=registry, Key=f".quilt/packages/{top_hash}")["Body"].read().decode()
    return [json.loads(line) for line in body.splitlines() if line.strip()]


def test_quiet_prefix_is_flushed_once_by_the_sweeper(harness, aws) -> None:
    quiet = 4
    quick = harness.deploy("edp", prefix="edpq_", parameters={**FAST, "edp_landing_threshold_seconds": str(quiet)})
    without_schedule(aws, quick)
    collector = Announcements(harness, aws, quick)
    try:
        bucket, run = quick.buckets["edp_landing"], f"runs/{uuid.uuid4().hex[:8]}"
        for i in range(5):
            record(harness, quick, s3_event(bucket, f"{run}/f{i}.txt"))
        last = harness.clock()
        early = harness.run(quick, {}, machine="edp_sweeper")
        if harness.clock() - last < quiet - 1:  # a slow machine may take longer than the quiet period to get here
            assert early.succeeded and early.output["flushed"] == 0, "not quiet for long enough yet"
        harness.sleep(max(0.0, quiet + 1.1 - (harness.clock() - last)))
        swept = harness.run(quick, {}, machine="edp_sweeper")
        assert swept.succeeded, swept.explain()
        assert early.output["flushed"] + swept.output["flushed"] == 1, "flushed once the prefix went quiet"
        again = harness.run(quick, {}, machine="edp_sweeper")
        assert again.output["flushed"] == 0, "a flushed batch is not flushed again"
        (ready,) = collector.collect(until=1)
        assert (ready["prefix"], ready["count"]) == (f"{run}/", 5)
    finally:
        collector.close()


def test_the_every_minute_schedule_flushes_a_quiet_prefix_by_itself(harness, aws) -> None:
    """The sweep's own schedule, not a test, flushes a prefix that went quiet (on LocalStack it fires since aslkit's
    plugin delivers the schedule's constant input `{}`; in process the clock is virtual, so this runs there)."""
    quiet = 120
    swept = harness.deploy("edp", prefix="edps_", parameters={**FAST, "edp_landing_threshold_seconds": str(quiet)})
    collector = Announcements(harness, aws, swept)
    try:
        bucket, run = swept.buckets["edp_landing"], f"runs/{uuid.uuid4().hex[:8]}"
        for i in range(3):
            record(harness, swept, s3_event(bucket, f"{run}/f{i}.txt"))
        assert collector.collect(settle=1.0) == [], "not quiet yet"
        harness.sleep(quiet + 2 * 60)  # quiet for the threshold, then the next minute's sweep
        (ready,) = collector.collect(until=1)
        assert (ready["prefix"], ready["count"]) == (f"{run}/", 3)
        assert batch(aws, swept, bucket, f"{run}/")["flushes"] == 1
    finally:
        collector.close()


def test_ignored_root_level_deleted_and_repeated_events(harness, aws, edp) -> None:
    bucket, run = edp.buckets["edp_landing"], f"runs/{uuid.uuid4().hex[:8]}"
    ignored = [record(harness, edp, s3_event(bucket, key)) for key in ("raw/a/b.bcl", "scratch/x", "top.txt")]
    assert [o["action"] for o in ignored] == ["ignored"] * 3
    assert "ignored prefix" in ignored[0]["reason"] and "bucket root" in ignored[2]["reason"]
    assert batch(aws, edp, bucket, "raw/a/") == {}, "nothing is recorded for an ignored prefix"

    other = record(harness, edp, s3_event("somebody-elses-bucket", f"{run}/x"))
    assert other == {"action": "ignored", "reason": "bucket somebody-elses-bucket is not monitored"}

    event = s3_event(bucket, f"{run}/sample+1%2Bv2.fastq.gz")  # S3 encodes keys: "sample 1+v2.fastq.gz"
    first, second = record(harness, edp, event), record(harness, edp, event)
    assert first == {"action": "recorded", "batch_id": f"{bucket}/{run}/", "pending": 1}
    assert second["action"] == "duplicate" and second["event_id"].endswith("sample 1+v2.fastq.gz#" + event["detail"]
                                                                           ["object"]["sequencer"])  # fmt: skip
    removal = s3_event(bucket, f"{run}/sample+1%2Bv2.fastq.gz", kind="Object Deleted")
    deleted, again = record(harness, edp, removal), record(harness, edp, removal)
    assert deleted["action"] == "delete_noted"
    assert again["action"] == "duplicate", "a repeated delete is noted once, like a repeated create"
    state = batch(aws, edp, bucket, f"{run}/")
    assert (state["pending"], state["received"], state["deletes"]) == (1, 1, 1), "deletes do not count"

    shallow = record(harness, edp, s3_event(bucket, "runs/only-one-level.txt"))
    assert shallow["batch_id"] == f"{bucket}/runs/", "fewer segments than the depth: batched where it is"
    flat = record(harness, edp, s3_event(edp.buckets["edp_archive"], "2026/11/22/report.pdf"))
    assert flat["batch_id"] == f"{edp.buckets['edp_archive']}/2026/", "the archive bucket batches at depth 1"

    invalid = harness.run(edp, {"detail-type": "Object Created", "detail": {}}, machine="edp_recorder")
    assert (invalid.status, invalid.error) == ("FAILED", "InvalidS3Event")


def test_count_path_and_quiet_path_racing_flush_each_batch_exactly_once(harness, aws) -> None:
    racy = harness.deploy("edp", prefix="edpr_", parameters={"edp_landing_threshold_count": "3",
                                                              "edp_landing_threshold_seconds": "0"})  # fmt: skip
    without_schedule(aws, racy)
    collector = Announcements(harness, aws, racy)
    try:
        bucket, prefixes = racy.buckets["edp_landing"], [f"race{i}/{uuid.uuid4().hex[:6]}" for i in range(6)]
        for prefix in prefixes:
            for n in range(2):
                record(harness, racy, s3_event(bucket, f"{prefix}/f{n}"))
        # Each prefix is due for the sweeper and one event away from its count: both paths flush at once.
        if harness.in_process:  # started together, interleaved by the engine's seed: the same order every run
            engine = harness.backend.engine
            started = [engine.start(racy.machine_arn("edp_sweeper"), {}) for _ in range(2)]
            started += [engine.start(racy.machine_arn("edp_recorder"), s3_event(bucket, f"{p}/f2")) for p in prefixes]
            finished = [harness.wait(arn) for arn in started]
            swept, outcomes = finished[:2], [result.output for result in finished[2:]]
        else:
            with ThreadPoolExecutor(max_workers=8) as pool:
                sweeps = [pool.submit(harness.run, racy, {}, machine="edp_sweeper") for _ in range(2)]
                thirds = [pool.submit(record, harness, racy, s3_event(bucket, f"{p}/f2")) for p in prefixes]
                outcomes = [f.result() for f in thirds]
                swept = [f.result() for f in sweeps]
        assert all(s.succeeded for s in swept), [s.explain() for s in swept]
        ready = collector.collect(until=len(prefixes))
        for prefix in prefixes:
            found = [r for r in ready if r["prefix"] == f"{prefix}/"]
            first = [r for r in found if r["epoch"] == 0]
            assert len(first) == 1, f"{prefix}: epoch 0 flushed once by whichever path won, not twice: {found}"
            # a third event the first sweep's flush missed waits in epoch 1, or the other sweep (running after it,
            # as the seed may order them) has already flushed it: quiet at once
            left = batch(aws, racy, bucket, f"{prefix}/")["pending"]
            assert sum(r["count"] for r in found) + left == 3, f"{prefix}: {found}, {left} pending"
        assert {o["action"] for o in outcomes} <= {"flushed", "already_flushed", "recorded"}
        harness.run(racy, {}, machine="edp_sweeper")  # and the next sweep flushes what waits
        ready = collector.collect(settle=1.5)
        assert sum(r["count"] for r in ready) == 3 * len(prefixes), "every event in exactly one flush"
        assert len({(r["prefix"], r["epoch"]) for r in ready}) == len(ready), "no epoch announced twice"
    finally:
        collector.close()


def test_burst_of_500_events_over_25_prefixes_flushes_exactly_25_batches(harness, aws) -> None:
    burst = without_schedule(aws, harness.deploy("edp", prefix="edpb_", parameters=FAST))
    bus, package_rule = burst.rules["edp_package_ready"]
    aws.events.disable_rule(Name=package_rule, EventBusName=bus)  # the announcements are what is measured here
    collector = Announcements(harness, aws, burst)
    try:
        bucket, run = burst.buckets["edp_landing"], uuid.uuid4().hex[:6]
        events = [s3_event(bucket, f"burst{run}/p{p:02d}/obj{n:02d}.dat") for p in range(25) for n in range(20)]
        events += events[:40]  # EventBridge delivers at least once: 40 repeats, counted once
        entries = [{"Source": "aws.s3", "DetailType": e["detail-type"], "Detail": json.dumps(e["detail"]),
                    "Time": e["time"], "Resources": e["resources"]} for e in events]  # fmt: skip
        started = time.perf_counter()
        batches = [entries[i : i + 10] for i in range(0, len(entries), 10)]
        if harness.in_process:  # one thread: the executions the events start interleave in the engine
            for entries_of_one_call in batches:
                aws.events.put_events(Entries=entries_of_one_call)
        else:
            with ThreadPoolExecutor(max_workers=8) as pool:
                list(pool.map(lambda batch: aws.events.put_events(Entries=batch), batches))
        put_s = time.perf_counter() - started
        ready = collector.collect(until=25, settle=3.0, timeout=300)
        flushed_s = time.perf_counter() - started
        prefixes = sorted(r["prefix"] for r in ready)
        assert prefixes == [f"burst{run}/p{p:02d}/" for p in range(25)], "one flush per prefix: none lost or doubled"
        assert {r["count"] for r in ready} == {20}
        recorded = sum(batch(aws, burst, bucket, f"burst{run}/p{p:02d}/")["received"] for p in range(25))
        assert recorded == 500
        print(
            f"\nEDP burst: {len(entries)} events ({len(entries) - 500} repeats) put in {put_s:.1f} s; "
            f"{len(ready)} flushes, {recorded} events recorded, last flush {flushed_s:.1f} s after the first put"
        )
    finally:
        aws.events.enable_rule(Name=package_rule, EventBusName=bus)
        collector.close()


def test_invalid_metadata_quarantines_the_package_and_notifies(harness, aws) -> None:
    """The package goes to quarantine with the errors first in its README; the alert names them and links the
    package's page in the Quilt catalog the deployment names (the original's QUILT_URL)."""
    edp = harness.deploy("edp", prefix="edpq_", parameters={**FAST, "quilt_catalog_url": "https://quilt.example.org/"})
    inbox = subscribe(aws, edp.topics["edp_alerts"])
    bucket, run = edp.buckets["edp_landing"], f"runs/{uuid.uuid4().hex[:8]}"
    aws.s3.put_object(Bucket=bucket, Key=f"{run}/data.csv", Body=b"a,b\n1,2\n")
    aws.s3.put_object(Bucket=bucket, Key=f"{run}/metadata.json", Body=json.dumps({"project": "not a project id"}))
    ready = json.loads((DATA / "package_objects_ready.event.json").read_text())
    ready["detail"].update({"bucket": bucket, "prefix": f"{run}/"})
    (result,) = harness.put_event(edp, source=ready["source"], detail_type=ready["detail-type"],
                                  detail=ready["detail"], expect=1, timeout=90)  # fmt: skip
    assert (result.status, result.error) == ("FAILED", "PackageMetadataInvalid"), result.explain()
    name = run  # package_name("runs/<id>/")
    assert result.cause.startswith(f"{name}: project: 'not a project id' does not match")
    assert result.states == ["Build and push package", "Metadata valid?", "Notify quarantine", "Quarantined"]
    quarantined = aws.s3.list_objects_v2(Bucket=edp.buckets["edp_quarantine"], Prefix=f".quilt/named_packages/{name}/")
    assert quarantined.get("KeyCount", 0) >= 1, "the package is kept in quarantine"
    registry = aws.s3.list_objects_v2(Bucket=edp.buckets["edp_registry"], Prefix=f".quilt/named_packages/{name}/")
    assert registry.get("KeyCount", 0) == 0, "and not in the registry"
    body = received(harness, aws, inbox, "an SNS notification is published")[0]
    assert f"Package {name} (s3://{bucket}/{run}/) failed metadata validation" in body and "project:" in body
    quarantine = edp.buckets["edp_quarantine"]
    assert body.endswith(f". In the catalog: https://quilt.example.org/b/{quarantine}/packages/{name}")
    readme = aws.s3.get_object(Bucket=quarantine, Key=f"{name}/README.md")["Body"].read().decode()
    assert "## Quarantined: its metadata failed validation\n\n- project: 'not a project id' does not match" in readme


def test_a_stage_sets_the_prefix_depth_and_ignores_of_a_bucket(harness, aws) -> None:
    """The seed's per-deployment settings: this stage batches the landing bucket one level deep and ignores `*.tmp`
    and everything under `staging/` (not the workflow's `raw/`, `scratch/`)."""
    from workflows.edp import ignore_regex

    stage = {**FAST, "edp_landing_prefix_depth": "1", "edp_landing_ignore": ignore_regex(("staging/*", "*.tmp"))}
    deployment = harness.deploy("edp", prefix="edps_", parameters=stage)
    bucket = deployment.buckets["edp_landing"]
    shallow = record(harness, deployment, s3_event(bucket, "runs/R1/L001/a.fastq.gz"))
    assert shallow["batch_id"] == f"{bucket}/runs/", "depth 1"
    outcomes = [record(harness, deployment, s3_event(bucket, key))["action"]
                for key in ("staging/x/y", "runs/R1/part.tmp", "raw/R1/x.bcl")]  # fmt: skip
    assert outcomes == ["ignored", "ignored", "recorded"], "the stage's ignores replace the workflow's"
