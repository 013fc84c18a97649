"""Package and push job records (`pkg.<ULID>`, `psh.<ULID>`) in the jobs table, created by the state machine that
does the work. Statuses: PENDING -> RUNNING -> SUCCEEDED | FAILED | ABORTED; the state machines move them on with
conditional writes, so an aborted record is never marked SUCCEEDED."""

from __future__ import annotations

import json
import os
import re
from datetime import UTC, datetime
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext

from tasks.sharing.contracts import errors
from tasks.sharing.ids import ULID_PATTERN, id_for_execution

logger = Logger()
tracer = Tracer()


class InvalidPackageRequest(ValueError):
    """A package request that does not match schemas/package_request.schema.json, or has no name."""


class InvalidPushRequest(ValueError):
    """A push request without a package id (`pkg.<ULID>`) or an s3:// or icav2:// destination."""


class RecordConflict(RuntimeError):
    """The id is already taken by another execution's record."""


def check_package(event: dict[str, Any]) -> None:
    name = event.get("packageName")
    request: dict[str, Any] = event.get("packageRequest") or {}
    problems = errors("package_request", event.get("packageRequest"))
    if not problems and {"fastq", "secondaryAnalysis"} <= set(request["dataTypeList"]):
        primary = request.get("primaryDataPathPrefix", "fastq")
        if primary == request.get("secondaryAnalysisPathPrefix", "secondary-analysis"):
            problems.append(f"primaryDataPathPrefix and secondaryAnalysisPathPrefix are both {primary!r}: a package of "
                            "fastq and secondaryAnalysis keeps them apart, give them different prefixes")  # fmt: skip
    if not isinstance(name, str) or not name.strip():
        problems.insert(0, "packageName: a non-empty name is required")
    if problems:
        raise InvalidPackageRequest("; ".join(problems))


def check_push(event: dict[str, Any]) -> None:
    package, destination = event.get("packageId"), event.get("shareDestination")
    problems = []
    if not isinstance(package, str) or not re.fullmatch(rf"pkg\.{ULID_PATTERN}", package):
        problems.append(f"packageId: {package!r} is not a package id (pkg.<ULID>)")
    if not isinstance(destination, str) or not (
        re.fullmatch(r"s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/.*)?", destination)
        or re.fullmatch(r"icav2://[A-Za-z0-9][A-Za-z0-9-]*(/.*)?", destination)
    ):
        problems.append(f"shareDestination: {destination!r} is not an s3://bucket/prefix/ or "
                        "icav2://project-id/folder/ location")  # fmt: skip
    if problems:
        raise InvalidPushRequest("; ".join(problems))


def new_record(kind: str, event: dict[str, Any], now: datetime) -> dict[str, Any]:
    """The PENDING record of a package or push execution. Pure."""
    record_id = id_for_execution(kind, event["execution"], event["executionName"], event["startTime"])
    record: dict[str, Any] = {
        "id": record_id,
        "kind": kind,
        "status": "PENDING",
        "execution_arn": event["execution"],
        "created_at": now.isoformat(timespec="seconds"),
        "updated_at": now.isoformat(timespec="seconds"),
    }
    if isinstance(event.get("requestedBy"), str) and event["requestedBy"]:
        record["requested_by"] = event["requestedBy"]  # who asked (the API's IAM caller, the CLI's identity)
    if kind == "package":
        record |= {"package_name": event["packageName"], "request": json.dumps(event["packageRequest"], sort_keys=True)}
    else:
        record |= {"package_id": event["packageId"], "destination": event["shareDestination"]}
    return record


def register(dynamodb: Any, table: str, kind: str, event: dict[str, Any]) -> dict[str, Any]:
    (check_package if kind == "package" else check_push)(event)
    record = new_record(kind, event, datetime.now(UTC))
    try:
        dynamodb.put_item(
            TableName=table,
            Item={key: {"S": value} for key, value in record.items()},
            # A retry of this execution's own write is not a conflict.
            ConditionExpression="attribute_not_exists(id) OR execution_arn = :me",
            ExpressionAttributeValues={":me": {"S": record["execution_arn"]}},
        )
    except dynamodb.exceptions.ConditionalCheckFailedException:
        raise RecordConflict(f"{record['id']} already belongs to another execution: start again") from None
    return record


@tracer.capture_lambda_handler
@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    kind = event.get("kind")
    if kind not in ("package", "push"):
        raise ValueError(f"kind must be package or push, not {kind!r}")
    record = register(boto3.client("dynamodb"), os.environ["JOBS_TABLE"], kind, event)
    logger.info("record registered", extra={"id": record["id"], "kind": kind})
    return record
