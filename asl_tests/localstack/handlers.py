"""Handlers that exercise the Lambda executor: each fails (or not) the way a real handler can."""

from __future__ import annotations

import os
import time
from typing import Any

INVOCATIONS = 0


class PartNotFound(Exception):
    """A custom error: Step Functions must see it by this name."""


def echo(event: dict[str, Any], context: Any) -> dict[str, Any]:
    global INVOCATIONS
    INVOCATIONS += 1
    print(f"echo called with {event}")
    return {
        "event": event,
        "invocations": INVOCATIONS,
        "pid": os.getpid(),
        "function": context.function_name,
        "remaining_ms": context.get_remaining_time_in_millis(),
        "endpoint": os.environ.get("AWS_ENDPOINT_URL", ""),
    }


def raise_custom(event: dict[str, Any], context: Any) -> None:
    raise PartNotFound(f"part {event.get('part')} is missing")


def sleep_past_timeout(event: dict[str, Any], context: Any) -> None:
    time.sleep(5)


def exit_hard(event: dict[str, Any], context: Any) -> None:
    os._exit(3)


def unserialisable(event: dict[str, Any], context: Any) -> Any:
    return {"a set": {1, 2}}


def ingest(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """An SQS-triggered ingress: start one execution per message; report the bad ones as partial failures."""
    import json

    import boto3

    sfn = boto3.client("stepfunctions")
    failures = []
    for record in event["Records"]:
        try:
            body = json.loads(record["body"])
            kind = record["messageAttributes"]["kind"]["stringValue"]
            sfn.start_execution(stateMachineArn=os.environ["TARGET_ARN"], input=json.dumps({"kind": kind, **body}))
        except (ValueError, KeyError) as error:
            print(f"rejecting {record['messageId']}: {error!r}")
            failures.append({"itemIdentifier": record["messageId"]})
    return {"batchItemFailures": failures}
