"""Build a package: collect the requested data of its libraries, write its manifest and its HTML report.

Two data types, as the seed has them: `fastq` (each library's FASTQ files of the run) and `secondaryAnalysis` (the
output files of the succeeded workflow runs, tumor/normal and others, that analysed the package's libraries; see
workflow_runs.py for which runs).

Layout in the sharing bucket, per package: `packages/<id>/manifest.json` (libraries, workflow runs, files, sizes,
checksums), `packages/<id>/files.json` (the copy list a push reads, one object per file) and
`packages/<id>/report.html`. In a package a FASTQ's path is `<primaryDataPathPrefix>/<instrument run>/<library>/<file
name>` and a secondary file's `<secondaryAnalysisPathPrefix>/<workflow>/<portal run id>/<path under the run's
output>` (prefixes `fastq` and `secondary-analysis` unless the request names others).
"""

from __future__ import annotations

import json
import os
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlparse

import boto3
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from tasks.sharing.libraries import libraries_of_run, select
from tasks.sharing.report import render_report
from tasks.sharing.workflow_runs import choose, runs_of_library

logger = Logger()
tracer = Tracer()
metrics = Metrics(namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "aslkit"))
FASTQ_SUFFIXES = (".fastq.gz", ".fq.gz", ".fastq", ".fq", ".fastq.ora")
CHECKSUMS = ("ChecksumSHA256", "ChecksumSHA1", "ChecksumCRC64NVME", "ChecksumCRC32C", "ChecksumCRC32")


class EmptyPackage(ValueError):
    """No library of the requested runs matches the request: there is nothing to package."""


class UnsupportedDataType(ValueError):
    """A data type this service cannot package (`fastq` and `secondaryAnalysis` are the two it can)."""


DATA_TYPES = ("fastq", "secondaryAnalysis")


def package_prefix(package_id: str) -> str:
    return f"packages/{package_id}/"


def split_uri(uri: str) -> tuple[str, str]:
    parsed = urlparse(uri)
    if parsed.scheme != "s3" or not parsed.netloc:
        raise ValueError(f"{uri!r} is not an s3:// URI")
    return parsed.netloc, parsed.path.lstrip("/")


def _under(prefix: str, *parts: str) -> str:
    return "/".join(part for part in (prefix, *parts) if part)


def relative_path(library: dict[str, Any], key: str, prefix: str = "fastq") -> str:
    return _under(prefix, library["instrument_run_id"], library["library_id"], key.rsplit("/", 1)[-1])


def secondary_path(run: dict[str, Any], key: str, prefix: str = "secondary-analysis") -> str:
    """Where a workflow run's output file goes in the package: its path under the run's output prefix kept. Pure."""
    _, output = split_uri(run["output_uri"])
    return _under(prefix, run["workflow_name"], run["portal_run_id"], key.removeprefix(output).lstrip("/"))


def checksum(head: dict[str, Any]) -> dict[str, str]:
    """The strongest checksum S3 keeps for an object; its ETag (an MD5 only for single-part uploads) otherwise."""
    for field in CHECKSUMS:
        if head.get(field):
            return {"algorithm": field.removeprefix("Checksum").lower(), "value": head[field]}
    return {"algorithm": "etag", "value": head.get("ETag", "").strip('"')}


def collect_libraries(dynamodb: Any, table: str, request: dict[str, Any]) -> list[dict[str, Any]]:
    unsupported = sorted(set(request["dataTypeList"]) - set(DATA_TYPES))
    if unsupported:
        raise UnsupportedDataType(f"data type(s) {', '.join(unsupported)} cannot be packaged: give "
                                  f"{' or '.join(DATA_TYPES)}")  # fmt: skip
    libraries: list[dict[str, Any]] = []
    for run in request["instrumentRunIdList"]:
        libraries += select(
            libraries_of_run(dynamodb, table, run),
            projects=request.get("projectIdList", ()),
            library_ids=request.get("libraryIdList", ()),
        )
    if not libraries:
        raise EmptyPackage(
            f"no library of run(s) {', '.join(request['instrumentRunIdList'])} matches projects "
            f"{request.get('projectIdList') or 'any'} and libraries {request.get('libraryIdList') or 'any'}: "
            "nothing to package. Check the ids, or that the LIMS sync wrote the run's libraries."
        )
    return sorted(libraries, key=lambda lib: (lib["instrument_run_id"], lib["library_id"]))


#: Storage classes whose objects must be restored before they can be read or copied.
ARCHIVED = ("GLACIER", "DEEP_ARCHIVE")


def archived(storage_class: str | None, restore: str | None) -> bool:
    """Whether an object needs a restore (or waits for one) before it can be copied: in an archive storage class
    without a finished restore (`x-amz-restore: ongoing-request="false", ...`). Pure."""
    return storage_class in ARCHIVED and 'ongoing-request="false"' not in (restore or "")


def collect_workflow_runs(
    dynamodb: Any, table: str, request: dict[str, Any], libraries: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The workflow runs whose outputs the package shares (none unless it asks for secondaryAnalysis)."""
    if "secondaryAnalysis" not in request["dataTypeList"]:
        return []
    found = {}
    for library_id in sorted({library["library_id"] for library in libraries}):
        for run in runs_of_library(dynamodb, table, library_id):
            found[run["portal_run_id"]] = run
    return choose(
        found.values(),
        types=request.get("secondaryAnalysisTypeList", ()),
        include=request.get("portalRunIdList", ()),
        exclude=request.get("portalRunIdExclusionList", ()),
    )


def _objects(s3: Any, uri: str, suffixes: tuple[str, ...] | None = None) -> list[dict[str, Any]]:
    """Every object under an s3:// prefix (those ending in one of `suffixes` when given)."""
    bucket, prefix = split_uri(uri)
    found = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            if suffixes is None or item["Key"].endswith(suffixes):
                found.append({"bucket": bucket, "key": item["Key"], "size": item["Size"],
                              "storage_class": item.get("StorageClass", "STANDARD")})  # fmt: skip
    return found


def build_manifest(
    package_id: str, name: str, request: dict[str, Any], libraries: list[dict[str, Any]],
    files: dict[str, list[dict[str, Any]]], created_at: str, runs: list[dict[str, Any]] | None = None,
    run_files: dict[str, list[dict[str, Any]]] | None = None,
) -> dict[str, Any]:  # fmt: skip
    """The package's manifest from its libraries and each library's FASTQ files, and its workflow runs and each run's
    output files (all with checksums). Pure."""
    primary = request.get("primaryDataPathPrefix", "fastq")
    secondary = request.get("secondaryAnalysisPathPrefix", "secondary-analysis")
    rows, summaries, workflows = [], [], []
    for library in libraries:
        own = files.get(f"{library['instrument_run_id']}/{library['library_id']}", [])
        summaries.append({
            **{key: library.get(key) for key in ("instrument_run_id", "library_id", "project_id", "owner_id",
                                                  "subject_id", "sample_id") if library.get(key) is not None},
            "files": len(own), "bytes": sum(f["size"] for f in own),
        })  # fmt: skip
        for item in own:
            rows.append({
                "data_type": "fastq", "library_id": library["library_id"],
                "instrument_run_id": library["instrument_run_id"],
                "relative_path": relative_path(library, item["key"], primary),
                "uri": f"s3://{item['bucket']}/{item['key']}", "size": item["size"], "checksum": item["checksum"],
            })  # fmt: skip
    for run in runs or []:
        own = (run_files or {}).get(run["portal_run_id"], [])
        analysed = [lib["library_id"] for lib in run.get("libraries", [])]
        workflows.append({
            **{key: run[key] for key in ("portal_run_id", "workflow_name", "workflow_version", "timestamp",
                                         "output_uri") if run.get(key) is not None},
            "libraries": run.get("libraries", []), "files": len(own), "bytes": sum(f["size"] for f in own),
        })  # fmt: skip
        for item in own:
            rows.append({
                "data_type": "secondaryAnalysis", "portal_run_id": run["portal_run_id"],
                "workflow_name": run["workflow_name"], "library_ids": analysed,
                "relative_path": secondary_path(run, item["key"], secondary),
                "uri": f"s3://{item['bucket']}/{item['key']}", "size": item["size"], "checksum": item["checksum"],
            })  # fmt: skip
    with_runs = {lib["library_id"] for run in runs or [] for lib in run.get("libraries", [])}
    wanted = request["dataTypeList"]
    missing = [s["library_id"] for s in summaries if s["files"] == 0] if "fastq" in wanted else []
    unanalysed = [s["library_id"] for s in summaries if s["library_id"] not in with_runs]
    return {
        "packageId": package_id,
        "packageName": name,
        "createdAt": created_at,
        "request": request,
        "libraries": summaries,
        "workflows": workflows,
        "files": rows,
        "missing": missing,
        "missingSecondary": unanalysed if "secondaryAnalysis" in wanted else [],
        "totals": {
            "libraries": len(summaries),
            "workflows": len(workflows),
            "files": len(rows),
            "bytes": sum(r["size"] for r in rows),
        },
    }


def copy_list(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    """files.json: what a push copies, one small object per file (a Distributed Map reads it). Pure."""
    out = []
    for row in manifest["files"]:
        bucket, key = split_uri(row["uri"])
        out.append({"source_bucket": bucket, "source_key": key, "relative_path": row["relative_path"],
                    "size": row["size"]})  # fmt: skip
    return out


def collect(
    event: dict[str, Any], *, s3: Any, dynamodb: Any, table: str, bucket: str, runs_table: str
) -> dict[str, Any]:
    package_id, request = event["packageId"], event["packageRequest"]
    libraries = collect_libraries(dynamodb, table, request)
    runs = collect_workflow_runs(dynamodb, runs_table, request, libraries)
    fastq = "fastq" in request["dataTypeList"]
    with ThreadPoolExecutor(max_workers=16) as pool:
        listed = list(pool.map(lambda lib: _objects(s3, lib["fastq_uri"], FASTQ_SUFFIXES) if fastq else [],
                               libraries))  # fmt: skip
        outputs = list(pool.map(lambda run: _objects(s3, run["output_uri"]), runs))

        def with_checksum(item: dict[str, Any]) -> dict[str, Any]:
            head = s3.head_object(Bucket=item["bucket"], Key=item["key"], ChecksumMode="ENABLED")
            return {
                **item,
                "checksum": checksum(head),
                "archived": archived(item["storage_class"], head.get("Restore")),
            }

        files = {
            f"{lib['instrument_run_id']}/{lib['library_id']}": list(pool.map(with_checksum, objects))
            for lib, objects in zip(libraries, listed, strict=True)
        }
        run_files = {
            run["portal_run_id"]: list(pool.map(with_checksum, objects))
            for run, objects in zip(runs, outputs, strict=True)
        }
    created = datetime.now(UTC).isoformat(timespec="seconds")
    manifest = build_manifest(package_id, event["packageName"], request, libraries, files, created, runs, run_files)
    prefix = package_prefix(package_id)
    s3.put_object(Bucket=bucket, Key=prefix + "manifest.json", Body=json.dumps(manifest, indent=1).encode(),
                  ContentType="application/json")  # fmt: skip
    s3.put_object(Bucket=bucket, Key=prefix + "files.json", Body=json.dumps(copy_list(manifest)).encode(),
                  ContentType="application/json")  # fmt: skip
    logger.info("package collected", extra={"package": package_id, **manifest["totals"]})
    # the archived files, restored before the package is reported ready (the packaging machine waits, bounded)
    every = [f for own in (*files.values(), *run_files.values()) for f in own]
    return {
        "manifestKey": prefix + "manifest.json",
        "filesKey": prefix + "files.json",
        **manifest["totals"],
        "missing": manifest["missing"],
        "missingSecondary": manifest["missingSecondary"],
        "archived": [{"bucket": f["bucket"], "key": f["key"]} for f in every if f["archived"]],
    }


def write_report(event: dict[str, Any], *, s3: Any, bucket: str) -> dict[str, Any]:
    manifest = json.loads(s3.get_object(Bucket=bucket, Key=event["manifestKey"])["Body"].read())
    key = package_prefix(manifest["packageId"]) + "report.html"
    s3.put_object(Bucket=bucket, Key=key, Body=render_report(manifest).encode(), ContentType="text/html")
    return {"reportKey": key}


@metrics.log_metrics
@tracer.capture_lambda_handler
@logger.inject_lambda_context
def collect_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    result = collect(event, s3=boto3.client("s3"), dynamodb=boto3.client("dynamodb"),
                     table=os.environ["LIBRARY_TABLE"], bucket=os.environ["SHARING_BUCKET"],
                     runs_table=os.environ["WORKFLOW_RUN_TABLE"])  # fmt: skip
    metrics.add_metric(name="FilesPackaged", unit=MetricUnit.Count, value=result["files"])
    metrics.add_metric(name="BytesPackaged", unit=MetricUnit.Bytes, value=result["bytes"])
    return result


@tracer.capture_lambda_handler
@logger.inject_lambda_context
def report_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return write_report(event, s3=boto3.client("s3"), bucket=os.environ["SHARING_BUCKET"])
