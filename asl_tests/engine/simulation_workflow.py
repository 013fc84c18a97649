"""A workflow (not in the catalogue) for the simulation's own tests: a counter kept by optimistic concurrency (read
its version, write the next one only if nobody wrote in between, else read again), started by a rule; and a
function that records a note with its own boto3 call."""

from __future__ import annotations

import functools
import os
from typing import Any

import boto3

from aslkit.asl import Catch, Pass, Retry, StateMachine, dynamodb, jsonata, lambda_invoke
from aslkit.events import Rule
from aslkit.resources import Function, Table
from aslkit.spec import Workflow

counters = Table("sim_counters", partition_key=("pk", "S"))
notes = Table("sim_notes", partition_key=("pk", "S"))
THROTTLED = "DynamoDB.ProvisionedThroughputExceededException"
CONDITIONAL = "DynamoDB.ConditionalCheckFailedException"


@functools.cache
def _dynamodb() -> Any:
    return boto3.client("dynamodb")


def note(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Record one note per execution (its own boto3 call: faults by operation reach it)."""
    _dynamodb().put_item(TableName=os.environ["NOTES_TABLE"], Item={"pk": {"S": event["id"]},
                                                                    "key": {"S": event["key"]}})  # fmt: skip
    return {"noted": event["id"]}


noter = Function("sim_noter", handler=f"{__name__}.note", timeout=5, environment={"NOTES_TABLE": notes.name_ref})


def counter() -> StateMachine:
    read = dynamodb(
        "Read counter",
        "getItem",
        {"TableName": counters.name_ref, "Key": {"pk": {"S": jsonata("$key")}}, "ConsistentRead": True},
        assign={"version": jsonata("$exists($states.result.Item) ? $number($states.result.Item.version.N) : 0")},
    )
    write = dynamodb(
        "Write counter",
        "putItem",
        {
            "TableName": counters.name_ref,
            "Item": {"pk": {"S": jsonata("$key")}, "version": {"N": jsonata("$string($version + 1)")}},
            "ConditionExpression": "attribute_not_exists(pk) OR version = :v",
            "ExpressionAttributeValues": {":v": {"N": jsonata("$string($version)")}},
        },
        retry=[Retry([THROTTLED], interval_seconds=1, max_attempts=3)],
        catch=[Catch([CONDITIONAL], read, comment="someone wrote in between: read again")],
    )
    noted = lambda_invoke(
        "Note",
        function=noter.arn,
        payload={"id": jsonata("$states.context.Execution.Name"), "key": jsonata("$key")},
        retry=[Retry.lambda_transient()],
    )
    begin = Pass("Begin", assign={"key": jsonata("$states.input.key")})
    begin >> read >> write >> noted
    return StateMachine("sim_counter", begin, query_language="JSONata")


COUNTER = counter()

WORKFLOW = Workflow(
    "simulation",
    "the simulation's own tests",
    machines=[COUNTER],
    functions=[noter],
    tables=[counters, notes],
    rules=[Rule("sim_increment", pattern={"source": ["sim.test"]}, target=COUNTER, input_path="$.detail")],
)
