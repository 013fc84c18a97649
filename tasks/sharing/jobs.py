"""Plan one automatic sharing job for a run: is the entry valid, is it enabled, does the run hold a library of one
of its projects? The controller shares only what this plan says to run."""

from __future__ import annotations

import functools
import json
import os
from collections import Counter
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.exceptions import ClientError

from tasks.sharing.contracts import errors
from tasks.sharing.ids import execution_name
from tasks.sharing.libraries import libraries_of_run, select

logger = Logger()
tracer = Tracer()


class JobsFileUnreadable(ValueError):
    """jobs.json is missing, not JSON, or not an array of jobs; the message says which."""


def duplicate_names(jobs: Any) -> dict[str, int]:
    """Job name -> how many entries of jobs.json carry it, for each name carried more than once. Pure."""
    if not isinstance(jobs, list):
        raise JobsFileUnreadable(f"jobs.json must be a JSON array of jobs, not {type(jobs).__name__}")
    names = Counter(job["jobName"] for job in jobs if isinstance(job, dict) and isinstance(job.get("jobName"), str))
    return {name: count for name, count in sorted(names.items()) if count > 1}


def plan(
    job: Any, instrument_run_id: str, libraries: list[dict[str, Any]], duplicates: dict[str, int] | None = None
) -> dict[str, Any]:
    """The plan of `job` (an entry of jobs.json, unvalidated) for the run whose libraries are given. Pure.

    `action` is `invalid` (with `errors`), `skip` (with `reason`) or `share` (with the child execution's name and
    input). A job whose name another entry carries too (`duplicates`) is invalid: its executions are named after
    it, so only one of them could ever share, and which one would be chance."""
    name = job.get("jobName") if isinstance(job, dict) and isinstance(job.get("jobName"), str) else None
    problems = errors("job", job)
    if name is not None and name in (duplicates or {}):
        problems.append(f"jobName {name!r} is carried by {(duplicates or {})[name]} entries of jobs.json: job names "
                        "must be unique (rename all but one)")  # fmt: skip
    if problems:
        return {"job": name, "action": "invalid", "errors": problems,
                "reason": f"invalid job entry: {'; '.join(problems)}"}  # fmt: skip
    assert name is not None
    matched = select(libraries, projects=job["projectIdList"], owner=job.get("ownerId"))
    projects = sorted({library["project_id"] for library in matched})
    base = {"job": name, "instrumentRunId": instrument_run_id, "matchedProjects": projects,
            "libraries": len(matched)}  # fmt: skip
    if not job["enabled"]:
        return {**base, "action": "skip", "reason": "job disabled"}
    if not matched:
        owner = f" owned by {job['ownerId']}" if job.get("ownerId") else ""
        return {**base, "action": "skip", "reason": f"no library of project(s) {', '.join(job['projectIdList'])}"
                f"{owner} in run {instrument_run_id}"}  # fmt: skip
    return {
        **base,
        "action": "share",
        "executionName": execution_name(name, instrument_run_id),
        "request": {
            "packageName": f"autosharing-{name}-{instrument_run_id}",
            "packageRequest": {
                "instrumentRunIdList": [instrument_run_id],
                "projectIdList": job["projectIdList"],
                "dataTypeList": job["dataTypeList"],
                **(
                    {"secondaryAnalysisTypeList": job["secondaryAnalysisTypeList"]}
                    if "secondaryAnalysisTypeList" in job
                    else {}
                ),
            },
            "shareDestination": job["shareDestination"],
        },
    }


@functools.cache
def _dynamodb() -> Any:
    """One client per warm environment (a Distributed Map plans every job of a run with this function)."""
    return boto3.client("dynamodb")


@tracer.capture_lambda_handler
@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    run = event["instrumentRunId"]
    libraries = libraries_of_run(_dynamodb(), os.environ["LIBRARY_TABLE"], run)
    result = plan(event.get("job"), run, libraries, event.get("duplicates") or {})
    logger.info("job planned", extra={"job": result["job"], "action": result["action"], "reason": result.get("reason")})
    return result


@tracer.capture_lambda_handler
@logger.inject_lambda_context
def names_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """`{bucket, key}` of jobs.json -> `{duplicates: {name: count}}`; JobsFileUnreadable when it cannot be read."""
    where = f"s3://{event['bucket']}/{event['key']}"
    try:
        jobs = json.loads(boto3.client("s3").get_object(Bucket=event["bucket"], Key=event["key"])["Body"].read())
    except ValueError as error:
        raise JobsFileUnreadable(f"{where} is not JSON: {error}") from None
    except ClientError as error:
        if error.response["Error"]["Code"] not in ("NoSuchKey", "404"):
            raise
        raise JobsFileUnreadable(f"{where} does not exist: put the jobs there") from None
    duplicates = duplicate_names(jobs)
    if duplicates:
        logger.warning("job names carried more than once", extra={"duplicates": duplicates})
    return {"duplicates": duplicates}
