"""The HTTP API: `POST /submit` records a job and announces it; `GET /progress/{jobId}` says how far it is;
`GET /results/{jobId}` returns its status, guides and, once complete, a presigned link to its CSV. API Gateway (REST,
Lambda proxy) calls this handler for every route.

A public API, bounded: API Gateway throttles it per stage; a request larger than `MAX_REQUEST_BYTES` is refused
(413); the jobs accepted per UTC day are counted atomically and refused past `DAILY_JOB_QUOTA` (429); CORS allows the
page's own origin (`ALLOWED_ORIGIN`) only.
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
from botocore.exceptions import ClientError

from tasks.crackling.genome import ACCESSION
from tasks.crackling.scan import InvalidSequence, clean

logger = Logger()
tracer = Tracer()
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
JOB_ID = re.compile(r"^[A-Za-z0-9_.-]{1,80}$")  # the API's uuid hex, or an execution's name (a console start)
SOURCE = "crackling.api"
SUBMITTED = "JobSubmitted"
CSV_LINK_SECONDS = 3600
QUOTA_DAYS = 7  # a day's count is kept this long


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


def progress(job: dict[str, Any]) -> dict[str, Any]:
    """How far a job is, from its item: the step it is at, and a percentage (the genome is about a tenth of a
    job's time when it is cached, scoring the rest; an uncached genome's download and index show as one step). Pure."""
    status = str(job.get("status", "SUBMITTED"))
    done, total = int(job.get("batches_done", 0)), int(job.get("batches_total", 0))
    if status in ("COMPLETE", "FAILED"):
        step, percent = ("done" if status == "COMPLETE" else "failed"), 100
    elif total:
        step, percent = "scoring", 20 + int(75 * min(done, total) / total)
    elif status == "RUNNING":
        step, percent = "genome", 10
    else:
        step, percent = "queued", 0
    out = {"jobId": job.get("job_id"), "status": status, "step": step, "percent": percent}
    if total:
        out.update(batches_done=min(done, total), batches_total=total)
    return out


def _cors() -> dict[str, str]:
    return {
        "Access-Control-Allow-Origin": os.environ["ALLOWED_ORIGIN"],
        "Vary": "Origin",
        "Access-Control-Allow-Headers": "Content-Type",
        "Access-Control-Allow-Methods": "GET,POST,OPTIONS",
    }


def _answer(status: int, body: Any) -> dict[str, Any]:
    return {"statusCode": status, "headers": {"Content-Type": "application/json", **_cors()},
            "body": json.dumps(body, default=_plain)}  # fmt: skip


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(type(value).__name__)


def _admitted(now: float) -> bool:
    """Count this job against today's quota (UTC), unless the quota is spent: one conditional write."""
    day = time.strftime("%Y-%m-%d", time.gmtime(now))
    try:
        boto3.client("dynamodb").update_item(
            TableName=os.environ["QUOTA_TABLE"], Key={"day": {"S": day}},
            UpdateExpression="ADD jobs :one SET expires = if_not_exists(expires, :expires)",
            ConditionExpression="attribute_not_exists(jobs) OR jobs < :quota",
            ExpressionAttributeValues={":one": {"N": "1"}, ":quota": {"N": os.environ["DAILY_JOB_QUOTA"]},
                                       ":expires": {"N": str(int(now) + QUOTA_DAYS * 86400)}},
        )  # fmt: skip
    except ClientError as error:
        if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
            return False
        raise
    return True


def submit(raw: str | None) -> dict[str, Any]:
    limit = int(os.environ["MAX_REQUEST_BYTES"])
    if len((raw or "").encode()) > limit:
        return _answer(413, {"error": "RequestTooLarge", "message": f"the request is larger than {limit} bytes: "
                             "submit a shorter sequence (up to 20,000 bases)"})  # fmt: skip
    try:
        job = validate(json.loads(raw or ""))
    except json.JSONDecodeError:
        return _answer(400, {"error": "InvalidSubmission", "message": "the body is not JSON"})
    except InvalidSubmission as error:
        return _answer(400, {"error": "InvalidSubmission", "message": str(error)})
    now = time.time()
    if not _admitted(now):
        quota = os.environ["DAILY_JOB_QUOTA"]
        return _answer(429, {"error": "DailyQuotaReached", "message": f"this service accepts {quota} jobs a day "
                             "and has accepted them all today: submit again after 00:00 UTC"})  # fmt: skip
    job_id = uuid.uuid4().hex
    item = {"job_id": job_id, "status": "SUBMITTED", "submitted_at": int(now), **job}
    boto3.resource("dynamodb").Table(os.environ["JOBS_TABLE"]).put_item(Item=item)
    boto3.client("events").put_events(Entries=[{
        "Source": SOURCE, "DetailType": SUBMITTED, "EventBusName": os.environ["EVENT_BUS"],
        "Detail": json.dumps({"jobId": job_id, **job})}])  # fmt: skip
    logger.info("job submitted", extra={"job": job_id, "genome": job["genome"], "bases": len(job["sequence"])})
    return _answer(202, {"jobId": job_id, "status": "SUBMITTED", "results": f"/results/{job_id}",
                         "progress": f"/progress/{job_id}"})  # fmt: skip


def _job(job_id: str) -> dict[str, Any] | None:
    if not JOB_ID.match(job_id):
        return None
    item = boto3.resource("dynamodb").Table(os.environ["JOBS_TABLE"]).get_item(Key={"job_id": job_id}).get("Item")
    return dict(item) if item else None


def _not_found(job_id: str) -> dict[str, Any]:
    return _answer(404, {"error": "JobNotFound", "message": f"no job {job_id}"})


def results(job_id: str) -> dict[str, Any]:
    job = _job(job_id)
    if job is None:
        return _not_found(job_id)
    guides: list[dict[str, Any]] = []
    query: dict[str, Any] = {"KeyConditionExpression": Key("job_id").eq(job_id)}
    table = boto3.resource("dynamodb").Table(os.environ["GUIDES_TABLE"])
    while True:
        page = table.query(**query)
        guides += page["Items"]
        if "LastEvaluatedKey" not in page:
            break
        query["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    guides.sort(key=lambda g: (g["start"], g["strand"]))
    fields = ("job_id", "status", "genome", "submitted_at", "completed_at", "error", "cause", "candidates",
              "efficient", "selected")  # fmt: skip
    shown: dict[str, Any] = {k: job[k] for k in fields if k in job}
    for guide in guides:
        guide.pop("job_id", None)
        guide.pop("ontarget", None)
    if job.get("status") == "COMPLETE" and str(job.get("csv", "")).startswith("s3://"):
        bucket, key = str(job["csv"]).removeprefix("s3://").split("/", 1)
        attachment = f'attachment; filename="crackling-{job_id}.csv"'
        shown["csv_url"] = boto3.client("s3").generate_presigned_url(
            "get_object",
            Params={"Bucket": bucket, "Key": key, "ResponseContentDisposition": attachment},
            ExpiresIn=CSV_LINK_SECONDS,
        )
    return _answer(200, {**shown, "guides": guides})


@tracer.capture_lambda_handler
@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    method, resource = event.get("httpMethod", ""), event.get("resource", "")
    job_id = (event.get("pathParameters") or {}).get("jobId", "")
    if method == "OPTIONS":
        return {"statusCode": 204, "headers": _cors(), "body": ""}
    if method == "POST" and resource == "/submit":
        return submit(event.get("body"))
    if method == "GET" and resource == "/results/{jobId}":
        return results(job_id)
    if method == "GET" and resource == "/progress/{jobId}":
        job = _job(job_id)
        return _answer(200, progress(job)) if job else _not_found(job_id)
    return _answer(404, {"error": "NotFound", "message": f"no route {method} {resource}"})
