"""The HTTP API: `POST /submit` records a job and announces it; `GET /results/{jobId}` returns its status and
guides. API Gateway (REST, Lambda proxy) calls this handler for every route; answers carry CORS headers so the
static page can call the API from another origin.
"""

from __future__ import annotations

import json
import os
import re
import time
import uuid
from decimal import Decimal
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext
from boto3.dynamodb.conditions import Key

from tasks.crackling.genome import ACCESSION
from tasks.crackling.scan import InvalidSequence, clean

logger = Logger()
tracer = Tracer()
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
CORS = {"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Headers": "Content-Type",
        "Access-Control-Allow-Methods": "GET,POST,OPTIONS"}  # fmt: skip
SOURCE = "crackling.api"
SUBMITTED = "JobSubmitted"


class InvalidSubmission(ValueError):
    """A submission the API refuses with 400."""


def validate(body: Any) -> dict[str, str]:
    """The job of a submission body, or InvalidSubmission naming the problem. Pure."""
    if not isinstance(body, dict):
        raise InvalidSubmission('the body must be a JSON object: {"sequence": ..., "genome": ..., "email": ...}')
    unknown = sorted(set(body) - {"sequence", "genome", "email"})
    if unknown:
        raise InvalidSubmission(f"unknown field(s) {', '.join(unknown)}: give sequence, genome and optionally email")
    try:
        sequence = clean(body.get("sequence"))  # type: ignore[arg-type]
    except InvalidSequence as error:
        raise InvalidSubmission(str(error)) from None
    genome = body.get("genome")
    if not isinstance(genome, str) or not ACCESSION.match(genome.strip()):
        raise InvalidSubmission(f"genome must be an NCBI assembly accession such as GCA_000482205.1, not {genome!r}")
    job = {"sequence": sequence, "genome": genome.strip()}
    email = body.get("email")
    if email not in (None, ""):
        if not isinstance(email, str) or not EMAIL.match(email):
            raise InvalidSubmission(f"email {email!r} is not an email address")
        job["email"] = email
    return job


def _answer(status: int, body: Any) -> dict[str, Any]:
    return {"statusCode": status, "headers": {"Content-Type": "application/json", **CORS},
            "body": json.dumps(body, default=_plain)}  # fmt: skip


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(type(value).__name__)


def submit(raw: str | None) -> dict[str, Any]:
    try:
        job = validate(json.loads(raw or ""))
    except json.JSONDecodeError:
        return _answer(400, {"error": "InvalidSubmission", "message": "the body is not JSON"})
    except InvalidSubmission as error:
        return _answer(400, {"error": "InvalidSubmission", "message": str(error)})
    job_id = uuid.uuid4().hex
    item = {"job_id": job_id, "status": "SUBMITTED", "submitted_at": int(time.time()), **job}
    boto3.resource("dynamodb").Table(os.environ["JOBS_TABLE"]).put_item(Item=item)
    boto3.client("events").put_events(Entries=[{
        "Source": SOURCE, "DetailType": SUBMITTED, "EventBusName": os.environ["EVENT_BUS"],
        "Detail": json.dumps({"jobId": job_id, **job})}])  # fmt: skip
    logger.info("job submitted", extra={"job": job_id, "genome": job["genome"], "bases": len(job["sequence"])})
    return _answer(202, {"jobId": job_id, "status": "SUBMITTED", "results": f"/results/{job_id}"})


def results(job_id: str) -> dict[str, Any]:
    resource = boto3.resource("dynamodb")
    job = resource.Table(os.environ["JOBS_TABLE"]).get_item(Key={"job_id": job_id}).get("Item")
    if job is None:
        return _answer(404, {"error": "JobNotFound", "message": f"no job {job_id}"})
    guides: list[dict[str, Any]] = []
    query: dict[str, Any] = {"KeyConditionExpression": Key("job_id").eq(job_id)}
    table = resource.Table(os.environ["GUIDES_TABLE"])
    while True:
        page = table.query(**query)
        guides += page["Items"]
        if "LastEvaluatedKey" not in page:
            break
        query["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    guides.sort(key=lambda g: (g["start"], g["strand"]))
    shown = {k: job[k] for k in ("job_id", "status", "genome", "submitted_at", "completed_at", "error", "cause",
                                 "candidates", "efficient", "selected") if k in job}  # fmt: skip
    for guide in guides:
        guide.pop("job_id", None)
        guide.pop("ontarget", None)
    return _answer(200, {**shown, "guides": guides})


@tracer.capture_lambda_handler
@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    method, resource = event.get("httpMethod", ""), event.get("resource", "")
    if method == "OPTIONS":
        return {"statusCode": 204, "headers": CORS, "body": ""}
    if method == "POST" and resource == "/submit":
        return submit(event.get("body"))
    if method == "GET" and resource == "/results/{jobId}":
        return results((event.get("pathParameters") or {}).get("jobId", ""))
    return _answer(404, {"error": "NotFound", "message": f"no route {method} {resource}"})
