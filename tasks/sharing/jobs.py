"""Plan one automatic sharing job for a run: is the entry valid, is it enabled, does the run hold a library of one
of its projects? The controller shares only what this plan says to run."""

from __future__ import annotations

import functools
import os
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext

from tasks.sharing.contracts import errors
from tasks.sharing.ids import execution_name
from tasks.sharing.libraries import libraries_of_run, select

logger = Logger()
tracer = Tracer()


def plan(job: Any, instrument_run_id: str, libraries: list[dict[str, Any]]) -> dict[str, Any]:
    """The plan of `job` (an entry of jobs.json, unvalidated) for the run whose libraries are given. Pure.

    `action` is `invalid` (with `errors`), `skip` (with `reason`) or `share` (with the child execution's name and
    input)."""
    name = job.get("jobName") if isinstance(job, dict) and isinstance(job.get("jobName"), str) else None
    problems = errors("job", job)
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
    result = plan(event.get("job"), run, libraries)
    logger.info("job planned", extra={"job": result["job"], "action": result["action"], "reason": result.get("reason")})
    return result
