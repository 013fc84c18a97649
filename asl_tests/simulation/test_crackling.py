"""Crackling's genome lock under 500 seeds: jobs on one genome racing for its single-flight build, with slow and
throttled builds, failing reads and lost answers. The download, index and scoring are mocked (they are not the
race); every DynamoDB call of the lock and the job is real."""

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
from aslkit.testing.simulation import Run, Variant, all_final, assert_caught, every_execution_ends, simulate

pytestmark = pytest.mark.simulation

JOB = json.loads((Path(__file__).resolve().parents[1] / "data/crackling/default_job.json").read_text())
POLL, POLLS = 5, 60  # a waiting job checks every 5 s, 60 times at most
#: everything but the lock and the job's own records answers at once, as a small genome's build would
MOCKED = {
    "Plan download": [
        Return(
            {
                "Payload": {
                    "url": "https://ncbi.test/g.fna.gz",
                    "size": 10,
                    "parts": [{"Range": "bytes=0-9", "PartNumber": 1}],
                }
            },
            repeat=9,
        )
    ],
    "Start upload": [Return({"UploadId": "upload-1"}, repeat=9)],
    "Download part": [Return({"Payload": {"ETag": '"e1"', "PartNumber": 1}}, repeat=9)],
    "Complete upload": [Return({}, repeat=9)],
    "Check size": [Return({"ContentLength": 10}, repeat=9)],
    "Index (Lambda)": [Return({"Payload": {"indexKey": "indexes/g.crkidx"}}, repeat=9)],
    "Scan": [Return({"Payload": {"batches": ["batches/1.json"], "candidates": 3}}, repeat=9)],
    "Score batch": [Return({"Payload": {"scoredKey": "scored/1.json"}}, repeat=9)],
    "Store guides": [Return({"Payload": {"efficient": 2, "selected": 1, "csv": "s3://results/g.csv"}}, repeat=9)],
    "Mark running": [Return({}, repeat=9)],
    "Mark complete": [Return({}, repeat=9)],
    "Notify": [Return({"MessageId": "m-1"}, repeat=9)],
    "Notify failure": [Return({"MessageId": "m-2"}, repeat=9)],
    "Mark failed": [Return({}, repeat=9)],
}
FAULTS = [
    faults.slow(6, state="Index (Lambda)", probability=0.5),  # others wait for the build, polling
    faults.throttle(state="Index (Lambda)", probability=0.2),  # Lambda.TooManyRequestsException: retried
    faults.lost_response(state="Take genome lock", probability=0.2),  # the lock was written; its answer lost
    faults.error("DynamoDB.InternalServerErrorException", "try again", state="Check genome", probability=0.05),
]
#: what the faults above make a job fail with, once its retries are spent
INJECTED = {"DynamoDB.InternalServerErrorException", "Lambda.TooManyRequestsException", "DynamoDB.SdkClientException"}
_genomes = itertools.count(100_000_000)


@pytest.fixture
def crackling(harness: Harness) -> Deployment:
    deployment = harness.deploy("crackling", prefix="sim_", parameters={
        "genome_poll_seconds": str(POLL), "genome_poll_max_attempts": str(POLLS)})  # fmt: skip
    harness.mock(deployment, "crackling_pipeline", "sim", MOCKED)
    return deployment


class Genomes:
    def __init__(self, harness: Harness, aws: Any, deployment: Deployment) -> None:
        self.harness, self.aws, self.deployment = harness, aws, deployment
        self.accession: dict[str, str] = {}
        self.items: dict[str, dict[str, Any]] = {}

    def scenario(self, run: Run) -> None:
        accession = self.accession[run.key] = f"GCA_{next(_genomes)}.1"
        with run.concurrently():
            for n in range(2):
                self.harness.start(self.deployment, {**JOB, "genome": accession, "jobId": f"{run.key}-{n}"},
                                   machine="crackling_pipeline", test_case="sim")  # fmt: skip
        run.harness.sleep(run.rng.uniform(0, 12))  # a late job, while the build runs or after it ended
        self.harness.start(self.deployment, {**JOB, "genome": accession, "jobId": f"{run.key}-late"},
                           machine="crackling_pipeline", test_case="sim")  # fmt: skip

    def genome(self, run: Run) -> dict[str, Any]:
        """The genome's item once the run is over (read once per run)."""
        if run.key not in self.items:
            table = self.deployment.tables["crackling_genomes"]
            found = self.aws.dynamodb.get_item(TableName=table, Key={"accession": {"S": self.accession[run.key]}})
            self.items[run.key] = dict(found.get("Item", {}))
        return self.items[run.key]

    @staticmethod
    def built_once_at_a_time(run: Run) -> None:
        """No build of the genome starts while another one runs (from `Plan download` to `Genome ready` or
        `Genome build failed`, in the order the seed ran them)."""
        building: set[str] = set()
        builds = 0
        for arn, event in run.journal:
            name = (event.get("stateEnteredEventDetails") or {}).get("name")
            if name == "Plan download":
                assert not building, f"a second build began while {len(building)} ran"
                building.add(arn)
                builds += 1
            elif name in ("Genome ready", "Genome build failed"):
                building.discard(arn)
        assert builds >= 1, "nobody built the genome"

    def genomes(self, run: Run) -> list[tuple[str, str]]:
        item = self.genome(run)
        return [(self.accession[run.key], item.get("status", {}).get("S", "absent"))]

    def jobs_end_as_the_genome_did(self, run: Run) -> None:
        """With the genome READY, every job completed but those an injected fault failed (or that waited for a
        build an injected fault failed, before a later job built it)."""
        if self.genome(run).get("status", {}).get("S") != "READY":
            return
        jobs = run.executions_of(self.deployment.machine_arn("crackling_pipeline"))
        failed_build = any("Genome build failed" in result.states for result in jobs)
        allowed = INJECTED | ({"GenomeUnavailable"} if failed_build else set())
        for result in jobs:
            assert result.status == "SUCCEEDED" or result.error in allowed, (
                f"{result.input['jobId']} ended {result.status} ({result.error}) with the genome READY"
            )


def test_the_genome_lock_builds_once_under_every_seed(harness: Harness, aws: Any, crackling: Deployment) -> None:
    genomes = Genomes(harness, aws, crackling)
    invariants = [genomes.built_once_at_a_time, all_final("genome", genomes.genomes, {"READY", "FAILED"}),
                  genomes.jobs_end_as_the_genome_did, every_execution_ends(within=POLL * POLLS + 60)]  # fmt: skip
    report = simulate(harness, genomes.scenario, seeds=500, faults=FAULTS, invariants=invariants)
    report.assert_held()
    assert report.injected > report.seeds // 10  # the faults did happen


def test_without_its_condition_the_lock_is_caught_and_replays(harness: Harness, aws: Any,
                                                              crackling: Deployment) -> None:  # fmt: skip
    genomes = Genomes(harness, aws, crackling)
    checks = [genomes.built_once_at_a_time]
    # a condition that always holds (it still names every value, as DynamoDB requires of the request)
    lock = Variant(
        harness,
        crackling.machine_arn("crackling_pipeline"),
        "Take genome lock",
        "Arguments.ConditionExpression",
        replace="attribute_exists(accession) OR attribute_not_exists("
        "accession) OR #status = :failed OR (#status = :building AND #lock_expires < :now) OR #owner = :me",
    )
    found = assert_caught(harness, genomes.scenario, lock, invariants=checks)
    assert "a second build began" in found.message
