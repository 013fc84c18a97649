"""What the sharing manager does on request, for its REST API (tasks/sharing/api.py) and for `aslkit share`: start a
package, a push or a presign, read a record, link its report, abort a package or a push.

`Operations` needs three things of the deployment, which its subclasses find each their own way: a state machine's
ARN by spec name, the jobs table and the bus (the API from its function's environment, the CLI from the deployed
machines' tags and definitions).
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError

from tasks.sharing.ids import new_id

#: A record's statuses once it has ended (records.py: PENDING -> RUNNING -> one of these)
ENDED = ("SUCCEEDED", "FAILED", "ABORTED")
#: The source of the sharing manager's state-change events (the state machines' and these operations')
SOURCE = "sharing.manager"


class OperationRefused(ValueError):
    """An operation that cannot go on (no such package or push, the wrong kind, already ended); the message says
    what to do."""


class Operations:
    def __init__(self, client: Callable[..., Any]) -> None:
        self.client = client
        self.sfn = client("stepfunctions")

    # -- what the deployment tells -------------------------------------------------------------------------------
    def machine(self, name: str) -> str:
        raise NotImplementedError

    def table(self) -> str:
        raise NotImplementedError

    def bus(self) -> str:
        raise NotImplementedError

    # -- operations -----------------------------------------------------------------------------------------------
    def record(self, record_id: str) -> dict[str, str]:
        item = self.client("dynamodb").get_item(TableName=self.table(), Key={"id": {"S": record_id}},
                                                ConsistentRead=True).get("Item")  # fmt: skip
        if item is None:
            raise OperationRefused(f"no package or push {record_id}: check the id (generate-package and "
                                   "push-package give it)")  # fmt: skip
        return {key: next(iter(value.values())) for key, value in item.items()}

    def start(self, machine: str, name: str, payload: dict[str, Any]) -> str:
        arn: str = self.sfn.start_execution(stateMachineArn=self.machine(machine), name=name,
                                            input=json.dumps(payload))["executionArn"]  # fmt: skip
        return arn

    def generate(self, name: str, request: dict[str, Any], requested_by: str) -> tuple[str, str]:
        """(package id, execution ARN) of a new package of `request`."""
        package_id = new_id("package")
        payload = {"packageName": name, "packageRequest": request, "requestedBy": requested_by}
        return package_id, self.start("sharing_packaging", package_id, payload)

    def push(self, package_id: str, destination: str, requested_by: str) -> tuple[str, str]:
        """(push id, execution ARN) of a new push of the package to `destination`."""
        push_id = new_id("push")
        payload = {"packageId": package_id, "shareDestination": destination, "requestedBy": requested_by}
        return push_id, self.start("sharing_push", push_id, payload)

    def presign(self, package_id: str, requested_by: str) -> str:
        """The execution ARN of a presign of the package (a download script of presigned URLs)."""
        name = f"{package_id}-presign-{uuid.uuid4().hex[:8]}"
        return self.start("sharing_presign", name, {"packageId": package_id, "requestedBy": requested_by})

    def report_url(self, package_id: str, expires: int = 3600) -> tuple[dict[str, str], str]:
        """The package's record and a presigned link to its report."""
        record = self.record(package_id)
        if record.get("status") != "SUCCEEDED" or "report_uri" not in record:
            raise OperationRefused(f"package {package_id} is {record.get('status')}: its report is written when it "
                                   "succeeds")  # fmt: skip
        bucket, key = record["report_uri"][5:].split("/", 1)
        s3 = self.client("s3", signature_version="s3v4")  # not the SigV2 boto3 uses in us-east-1
        return record, s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": key},
                                                 ExpiresIn=expires)  # fmt: skip

    def abort_package(self, package_id: str, by: str, stop_seconds: float = 60.0) -> tuple[dict[str, str], bool]:
        """Stop the package's execution and wait for it to end, then mark its record ABORTED: the execution never
        meets an ABORTED record half-way through a step (its conditional writes guard against records aborted by
        other means). The record, and whether its execution was still running."""
        record, stopped = self._stop(package_id, "package", "PackageAborted", by, stop_seconds)
        self.announce("PackageStateChange", {"packageId": package_id, "packageName": record.get("package_name", ""),
                                             "status": "ABORTED", "execution_arn": record["execution_arn"],
                                             "timestamp": _now()})  # fmt: skip
        return record, stopped

    def abort_push(self, push_id: str, by: str, stop_seconds: float = 60.0) -> tuple[dict[str, str], bool, int | None]:
        """Stop the push's execution (its Distributed Map's copies stop with it) and wait for it to end, abort every
        multipart upload it left open at an s3:// destination, then mark its record ABORTED. The files it had
        copied stay. The record, whether its execution was still running, and how many uploads were aborted (None:
        these credentials may not abort them)."""
        record, stopped = self._stop(push_id, "push", "PushAborted", by, stop_seconds)
        destination = record["destination"]
        aborted = self._abort_uploads(destination) if destination.startswith("s3://") else 0
        self.announce("PushStateChange", {"pushId": push_id, "packageId": record.get("package_id", ""),
                                          "destination": destination, "status": "ABORTED",
                                          "execution_arn": record["execution_arn"], "timestamp": _now()})  # fmt: skip
        return record, stopped, aborted

    def settled(self, execution_arn: str, seconds: float) -> dict[str, Any] | None:
        """The execution's description once it has ended, waiting at most `seconds`; None if it still runs."""
        deadline = time.monotonic() + seconds
        while (described := self.sfn.describe_execution(executionArn=execution_arn))["status"] == "RUNNING":
            if time.monotonic() > deadline:
                return None
            time.sleep(0.2)
        return dict(described)

    def announce(self, detail_type: str, detail: dict[str, Any]) -> None:
        """A state change on the workflow's bus, as the state machines announce theirs."""
        entry = {"Source": SOURCE, "DetailType": detail_type, "EventBusName": self.bus(), "Detail": json.dumps(detail)}
        self.client("events").put_events(Entries=[entry])

    def _abort_uploads(self, destination: str) -> int | None:
        """How many multipart uploads were open under the destination and are aborted; None when these
        credentials may not list or abort them there (the API's role outside the workflow's buckets)."""
        bucket, _, prefix = destination.removeprefix("s3://").partition("/")
        s3, aborted = self.client("s3"), 0
        try:
            for page in s3.get_paginator("list_multipart_uploads").paginate(Bucket=bucket, Prefix=prefix):
                for upload in page.get("Uploads", []):
                    s3.abort_multipart_upload(Bucket=bucket, Key=upload["Key"], UploadId=upload["UploadId"])
                    aborted += 1
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") not in ("AccessDenied", "AllAccessDisabled"):
                raise
            return None
        return aborted

    def _stop(self, record_id: str, kind: str, error: str, by: str, stop_seconds: float) -> tuple[dict[str, str], bool]:
        record = self.record(record_id)
        if record.get("kind") != kind:
            raise OperationRefused(f"{record_id} is a {record.get('kind')}, not a {kind}: abort it as a "
                                   f"{record.get('kind')}")  # fmt: skip
        if record.get("status") in ENDED:
            raise OperationRefused(f"{kind} {record_id} has already ended ({record['status']}): nothing to abort")
        running = self.sfn.describe_execution(executionArn=record["execution_arn"])["status"] == "RUNNING"
        if running:
            self.sfn.stop_execution(executionArn=record["execution_arn"], error=error,
                                    cause=f"{kind} {record_id} aborted by {by}")  # fmt: skip
            if self.settled(record["execution_arn"], stop_seconds) is None:  # a step in flight finishes first
                raise OperationRefused(f"the execution of {record_id} is still running {stop_seconds:.0f} s "
                                       "after being stopped: abort it again")  # fmt: skip
        dynamodb = self.client("dynamodb")
        try:
            dynamodb.update_item(
                TableName=self.table(), Key={"id": {"S": record_id}},
                UpdateExpression="SET #status = :aborted, updated_at = :now, aborted_by = :by",
                ConditionExpression="#status IN (:pending, :running)",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={":aborted": {"S": "ABORTED"}, ":pending": {"S": "PENDING"},
                                           ":running": {"S": "RUNNING"}, ":by": {"S": by},
                                           ":now": {"S": time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime())}},
            )  # fmt: skip
        except dynamodb.exceptions.ConditionalCheckFailedException:
            raise OperationRefused(f"{kind} {record_id} ended before it could be aborted: check it again") from None
        return record, running


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
