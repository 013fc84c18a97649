"""Automatic data sharing stood up locally (demo, `aslkit run`, tests): the LIMS sync's library items, FASTQ files
for them, the workflow manager's runs of them with their outputs, the jobs file, and the destination buckets the jobs
name, and a stand-in of ICAv2's project data API for icav2:// pushes (project `LOCAL_ICAV2_PROJECT`)."""

from __future__ import annotations

import gzip
import hashlib
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from boto3.dynamodb.types import TypeSerializer

from .fake_icav2 import FakeIcav2
from .resources import JOBS_KEY, icav2_key

SEED = Path(__file__).resolve().parents[2] / "samples" / "sharing" / "seed"
STATEMACHINES = Path(__file__).resolve().parents[2] / "statemachines"
#: The ICAv2 project the local stand-in serves: `aslkit share push-package --share-location icav2://<it>/folder/`
LOCAL_ICAV2_PROJECT = "b1e1c0de-0000-4000-8000-00000000ica2"


def fastq(library_id: str, read: int, reads: int = 50) -> bytes:
    """A small, deterministic gzipped FASTQ for a library and read (1 or 2)."""
    lines = []
    for n in range(reads):
        digest = hashlib.sha256(f"{library_id}:{read}:{n}".encode()).digest()
        sequence = "".join("ACGT"[b % 4] for b in digest * 3)[:76]
        lines += [f"@{library_id}:{n + 1} {read}:N:0", sequence, "+", "F" * len(sequence)]
    return gzip.compress(("\n".join(lines) + "\n").encode(), mtime=0)


def seed_library(clients: Any, deployment: Any, library: dict[str, str], *, reads: int = 50) -> list[str]:
    """Write a library item and its R1/R2 FASTQ files (with SHA-256 checksums); returns the files' keys."""
    bucket = deployment.buckets["sharing_fastq"]
    prefix = f"primary/{library['instrument_run_id']}/{library['library_id']}/"
    item = {**library, "fastq_uri": f"s3://{bucket}/{prefix}"}
    clients.dynamodb.put_item(TableName=deployment.tables["sharing_libraries"],
                              Item={key: {"S": value} for key, value in item.items()})  # fmt: skip
    keys = []
    for read in (1, 2):
        key = f"{prefix}{library['library_id']}_S1_L001_R{read}_001.fastq.gz"
        clients.s3.put_object(Bucket=bucket, Key=key, Body=fastq(library["library_id"], read, reads),
                              ChecksumAlgorithm="SHA256")  # fmt: skip
        keys.append(key)
    return keys


def seed_workflow_run(clients: Any, deployment: Any, run: dict[str, Any]) -> list[str]:
    """Write a workflow run (one item per library it analysed, as the workflow manager's sync does) and its output
    files under `analysis/<workflow>/<portal run id>/`; returns the files' keys."""
    bucket = deployment.buckets["sharing_analysis"]
    prefix = f"analysis/{run['workflow_name']}/{run['portal_run_id']}/"
    record = {key: value for key, value in run.items() if key != "files"} | {"output_uri": f"s3://{bucket}/{prefix}"}
    serialize = TypeSerializer().serialize
    for library in run["libraries"]:
        item = {**record, "library_id": library["library_id"]}
        clients.dynamodb.put_item(TableName=deployment.tables["sharing_workflow_runs"],
                                  Item={key: serialize(value) for key, value in item.items()})  # fmt: skip
    keys = []
    for name in run["files"]:
        body = f"{run['workflow_name']} {run['portal_run_id']} {name}\n".encode() * 20
        clients.s3.put_object(Bucket=bucket, Key=prefix + name, Body=body, ChecksumAlgorithm="SHA256")
        keys.append(prefix + name)
    return keys


def put_jobs(clients: Any, deployment: Any, jobs: Any) -> None:
    """Write jobs.json and create the s3:// destination buckets its jobs name (they exist already in AWS)."""
    body = jobs if isinstance(jobs, str) else json.dumps(jobs, indent=1)
    clients.s3.put_object(Bucket=deployment.buckets["sharing_data"], Key=JOBS_KEY, Body=body.encode())
    for job in jobs if isinstance(jobs, list) else []:
        destination = job.get("shareDestination", "") if isinstance(job, dict) else ""
        if isinstance(destination, str) and destination.startswith("s3://"):
            ensure_bucket(clients, destination[5:].split("/", 1)[0])


def ensure_bucket(clients: Any, name: str) -> None:
    try:
        clients.s3.head_bucket(Bucket=name)
    except Exception:
        clients.s3.create_bucket(Bucket=name)


@contextmanager
def local_environment(clients: Any, deploy: Callable[[dict[str, str]], Any]) -> Iterator[Any]:
    with FakeIcav2(clients.s3, api_key=icav2_key.local_value, projects=(LOCAL_ICAV2_PROJECT,)) as icav2:
        deployment = deploy({"package_poll_seconds": "1", "icav2_base_url": icav2.url})
        for library in json.loads((SEED / "libraries.json").read_text()):
            seed_library(clients, deployment, library)
        for run in json.loads((SEED / "workflow_runs.json").read_text()):
            seed_workflow_run(clients, deployment, run)
        put_jobs(clients, deployment, json.loads((SEED / "jobs.json").read_text()))
        sample_package(clients, deployment)
        yield deployment


def sample_package(clients: Any, deployment: Any) -> None:
    """The package the console samples of push and presign name (`statemachines/sharing_push.input.json`), built by
    the packaging machine from its own sample input, and the destination bucket the push sample names: on a fresh
    local deployment, every committed sample runs as-is."""
    push = json.loads((STATEMACHINES / "sharing_push.input.json").read_text())
    ensure_bucket(clients, push["shareDestination"].removeprefix("s3://").split("/", 1)[0])
    try:
        arn = clients.stepfunctions.start_execution(
            stateMachineArn=deployment.machine_arn("sharing_packaging"), name=push["packageId"],
            input=(STATEMACHINES / "sharing_packaging.input.json").read_text())["executionArn"]  # fmt: skip
    except clients.stepfunctions.exceptions.ExecutionAlreadyExists:
        return  # built by an earlier stand-up of this deployment
    status = clients.finished(arn)
    if status != "SUCCEEDED":
        raise RuntimeError(f"the sample package {push['packageId']} did not build ({status}): see {arn}")
