"""HealthOmics read-set status handling: keep a table of read-set metadata in step with status events, and a
backfill that pages through a sequence store.

Events come straight from EventBridge to an EXPRESS state machine (no queue: one bad event fails its own
execution and blocks nothing). An event whose run fails (refused as malformed, or failing once its retries are
spent) is kept on the failed-events queue with its error, for `aslkit readset redrive` to run it again. Every
write is conditional on the event time, so duplicates and reordering converge on the latest event, and a deletion
(a tombstone kept for TOMBSTONE_DAYS) is not undone by a late, older event. A status update for a read set never
seen describes it in full instead of leaving a sparse item.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from aslkit.asl import (
    Catch,
    Choice,
    Condition,
    Fail,
    Map,
    Parallel,
    Pass,
    Retry,
    StateMachine,
    Succeed,
    Wait,
    aws_sdk,
    dynamodb,
    jsonata,
    lambda_invoke,
    number_parameter,
    reraise,
    sqs_send_message,
)
from aslkit.asl.values import JsonValue
from aslkit.events import Rule
from aslkit.resources import Function, Queue, Table
from aslkit.runtime import deployed
from aslkit.spec import Workflow
from tasks.readset.item import TOMBSTONE_DAYS

table = Table("readset_metadata", partition_key=("set_arn", "S"), ttl_attribute="expires_at")
#: each event whose run failed, with its error (`aslkit readset redrive` runs them again); nothing reads it else
failed_events = Queue("readset_failed_events", max_receive_count=None)
builder = Function(
    "readset_item_builder",
    handler="tasks.readset.item.handler",
    metrics=("ReadSetItemsBuilt",),
    timeout=10,
    description="Build a read set's metadata item from HealthOmics responses",
)

OMICS_RETRY = Retry(
    ["Omics.ThrottlingException", "Omics.InternalServerException", "Omics.ServiceQuotaExceededException"],
    interval_seconds=1,
    max_attempts=5,
    backoff_rate=2,
    max_delay_seconds=20,
    jitter_strategy="FULL",
)
LAMBDA_RETRY = Retry.lambda_transient()
CONDITIONAL = "DynamoDB.ConditionalCheckFailedException"
NEWER_ONLY = "attribute_not_exists(set_arn) OR event_time <= :t"
UPDATE_STATUSES = ("ACTIVATING", "ARCHIVED", "DELETING")


def result(action: str) -> dict[str, JsonValue]:
    return {"action": action, "set_arn": jsonata("$arn"), "status": jsonata("$status"), "event_time": jsonata("$time")}


def status_machine() -> StateMachine:
    stale = Succeed(
        "Stale event ignored", output=result("stale"), comment="a newer event (or the deletion) is already recorded"
    )
    build = lambda_invoke(
        "Build item",
        function=builder.arn,
        payload={
            "read_set": {"arn": jsonata("$arn"), "id": jsonata("$id"), "sequenceStoreId": jsonata("$store")},
            "event_time": jsonata("$time"),
            "status": jsonata("$status"),
            "metadata": jsonata("$states.input[0]"),
            "tags": jsonata("$states.input[1]"),
            "store": jsonata("$states.input[2]"),
        },
        output=jsonata("$states.result.Payload.item"),
        retry=[LAMBDA_RETRY],
    )
    write = dynamodb(
        "Write item",
        "putItem",
        {
            "TableName": table.name_ref,
            "Item": jsonata("$states.input"),
            "ConditionExpression": NEWER_ONLY,
            "ExpressionAttributeValues": {":t": {"S": jsonata("$time")}},
        },
        output=result("written"),
        catch=[Catch([CONDITIONAL], stale)],
    )
    describe = Parallel(
        "Describe read set",
        branches=[
            aws_sdk(
                "Get read set metadata",
                "omics",
                "getReadSetMetadata",
                {"SequenceStoreId": jsonata("$store"), "Id": jsonata("$id")},
                retry=[OMICS_RETRY],
            ),
            aws_sdk("List tags", "omics", "listTagsForResource", {"ResourceArn": jsonata("$arn")}, retry=[OMICS_RETRY]),
            aws_sdk("Get sequence store", "omics", "getSequenceStore", {"Id": jsonata("$store")}, retry=[OMICS_RETRY]),
        ],
        comment="independent calls, side by side",
    )
    describe >> build >> write
    seen = Choice("Ever seen?").when(Condition.jsonata("$exists($states.input.Item)"), stale).otherwise(describe)
    read_current = dynamodb(
        "Read current item",
        "getItem",
        {"TableName": table.name_ref, "Key": {"set_arn": {"S": jsonata("$arn")}}, "ProjectionExpression": "set_arn"},
    )
    read_current >> seen
    update = dynamodb(
        "Update status",
        "updateItem",
        {
            "TableName": table.name_ref,
            "Key": {"set_arn": {"S": jsonata("$arn")}},
            "UpdateExpression": "SET set_status = :s, event_time = :t",
            "ConditionExpression": "attribute_exists(set_arn) AND event_time <= :t",
            "ExpressionAttributeValues": {":s": {"S": jsonata("$status")}, ":t": {"S": jsonata("$time")}},
        },
        output=result("status_updated"),
        catch=[Catch([CONDITIONAL], read_current, comment="stale, or never seen: the item tells which")],
    )
    tombstone = dynamodb(
        "Record deletion",
        "putItem",
        {
            "TableName": table.name_ref,
            "Item": {
                "set_arn": {"S": jsonata("$arn")},
                "set_id": {"S": jsonata("$id")},
                "set_status": {"S": "DELETED"},
                "event_time": {"S": jsonata("$time")},
                "expires_at": {"N": jsonata(f"$string($floor($toMillis($time) / 1000) + {TOMBSTONE_DAYS * 86400})")},
            },
            "ConditionExpression": NEWER_ONLY,
            "ExpressionAttributeValues": {":t": {"S": jsonata("$time")}},
        },
        output=result("deleted"),
        catch=[Catch([CONDITIONAL], stale)],
        comment="the metadata goes; a tombstone keeps late, older events from bringing it back",
    )
    which = (
        Choice("Which status?")
        .when("$status = 'ACTIVE'", describe)
        .when(f"$status in {list(UPDATE_STATUSES)}", update)
        .when("$status = 'DELETED'", tombstone)
        .otherwise(
            Succeed(
                "Not recorded",
                output={
                    **result("ignored"),
                    "reason": jsonata("'status ' & $status & ' changes nothing in the table'"),
                },
            )
        )
    )
    start = Pass(
        "Read event",
        assign={
            "arn": jsonata("$states.input.detail.arn"),
            "id": jsonata("$states.input.detail.id"),
            "store": jsonata("$states.input.detail.sequenceStoreId"),
            "status": jsonata("$states.input.detail.status"),
            "time": jsonata("$states.input.time"),
        },
    )
    # Every field a string, and the time EventBridge's own form (UTC, 'Z'): writes are ordered by comparing it as
    # text, so "yesterday" or a local offset would freeze or misorder the item.
    fields = " and ".join(f"$type($states.input.detail.{key}) = 'string'" for key in ("arn", "id", "sequenceStoreId",
                                                                                     "status"))  # fmt: skip
    utc_time = (r"$type($states.input.time) = 'string'"
                r" and $contains($states.input.time, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/)")  # fmt: skip
    valid = (
        Choice("Valid event?")
        .when(f"{fields} and {utc_time}", start >> which)
        .otherwise(
            Fail(
                "Invalid event",
                error="InvalidReadSetEvent",
                cause="{% 'not a Read Set Status Change event (detail.arn, id, sequenceStoreId and status are strings, "
                "time is UTC like 2023-04-04T17:53:06Z): ' & $string($states.input) %}",
            )
        )
    )
    keep = sqs_send_message(
        "Keep failed event",
        queue_url=failed_events.url,
        message_body=jsonata("$string($states.input)"),
        output=jsonata("$states.input"),
        retry=[Retry(["States.ALL"], interval_seconds=1, max_attempts=5, backoff_rate=2, jitter_strategy="FULL")],
        comment="the event and its error, where an operator sees it and `aslkit readset redrive` takes it",
    )
    keep >> reraise("Event failed", "ReadSetEventFailed")
    handle = Parallel(
        "Handle event",
        branches=[valid],
        output=jsonata("$states.result[0]"),
        catch=[Catch(["States.ALL"], keep, output=jsonata(
            "{'event': $states.input, 'error': $states.errorOutput.Error, 'cause': $states.errorOutput.Cause}"))],
        comment="one place that catches whatever fails the event: the run still fails, with the event's own error",
    )  # fmt: skip
    return StateMachine(
        "readset_status",
        handle,
        query_language="JSONata",
        type="EXPRESS",
        comment="Keep the read-set metadata table in step with one Read Set Status Change event",
    )


def backfill_machine() -> StateMachine:
    start = Pass(
        "Start",
        assign={
            "store": jsonata("$states.input.sequence_store_id"),
            "time": jsonata("$now()"),
            "pages": 0,
            "written": 0,
            "token": None,
            "concurrency": number_parameter("backfill_max_concurrency"),
            "wait": number_parameter("backfill_page_wait_seconds"),
            "max_pages": number_parameter("backfill_max_pages"),
        },
        comment='Input: {"sequence_store_id": "..."}',
    )
    store = aws_sdk(
        "Get sequence store",
        "omics",
        "getSequenceStore",
        {"Id": jsonata("$store")},
        retry=[OMICS_RETRY],
        assign={"store_info": jsonata("$states.result")},
    )
    list_page = aws_sdk(
        "List read sets",
        "omics",
        "listReadSets",
        jsonata(
            "$token ? {'SequenceStoreId': $store, 'MaxResults': 100, 'NextToken': $token}"
            " : {'SequenceStoreId': $store, 'MaxResults': 100}"
        ),
        retry=[OMICS_RETRY],
        # the last page has no NextToken: assigning undefined is an error, so say null
        assign={
            "token": jsonata("$exists($states.result.NextToken) ? $states.result.NextToken : null"),
            "pages": jsonata("$pages + 1"),
        },
        output=jsonata("$states.result.ReadSets"),
    )
    put = dynamodb(
        "Put backfilled item",
        "putItem",
        {
            "TableName": table.name_ref,
            "Item": jsonata("$states.input"),
            "ConditionExpression": NEWER_ONLY,
            "ExpressionAttributeValues": {":t": {"S": jsonata("$states.input.event_time.S")}},
        },
        output={"action": "written"},
        catch=[Catch([CONDITIONAL], Succeed("Newer data kept", output={"action": "kept"}))],
    )
    build = lambda_invoke(
        "Build backfilled item",
        function=builder.arn,
        payload=jsonata("$states.input"),
        output=jsonata("$states.result.Payload.item"),
        retry=[LAMBDA_RETRY],
    )
    build >> put
    describe = Parallel(
        "Get metadata and tags",
        branches=[
            aws_sdk(
                "Get backfill metadata",
                "omics",
                "getReadSetMetadata",
                {
                    "SequenceStoreId": jsonata("$states.input.read_set.SequenceStoreId"),
                    "Id": jsonata("$states.input.read_set.Id"),
                },
                retry=[OMICS_RETRY],
            ),
            aws_sdk(
                "List backfill tags",
                "omics",
                "listTagsForResource",
                {"ResourceArn": jsonata("$states.input.read_set.Arn")},
                retry=[OMICS_RETRY],
            ),
        ],
        output=jsonata("$merge([$states.input, {'metadata': $states.result[0], 'tags': $states.result[1]}])"),
    )
    archived_tags = aws_sdk(
        "List archived tags",
        "omics",
        "listTagsForResource",
        {"ResourceArn": jsonata("$states.input.read_set.Arn")},
        retry=[OMICS_RETRY],
        output=jsonata("$merge([$states.input, {'tags': $states.result}])"),
        comment="an archived read set gets no file information",
    )
    describe >> build
    archived_tags >> build
    per_read_set = (
        Choice("Archived?").when("$states.input.read_set.Status = 'ARCHIVED'", archived_tags).otherwise(describe)
    )
    write_page = Map(
        "Write page",
        items=jsonata("$states.input"),
        max_concurrency=jsonata("$concurrency"),
        item_selector={
            "read_set": jsonata("$states.context.Map.Item.Value"),
            "status": jsonata("$states.context.Map.Item.Value.Status"),
            "event_time": jsonata("$time"),
            "store": jsonata("$store_info"),
        },
        processor=per_read_set,
        assign={"written": jsonata("$written + $count($states.result[action = 'written'])")},
        output=jsonata(
            "{'page': $pages, 'read_sets': $count($states.result),"
            " 'written': $count($states.result[action = 'written']), 'kept': $count($states.result[action = 'kept'])}"
        ),
    )
    wait = Wait("Wait between pages", seconds=jsonata("$wait"), comment="stays under GetReadSetMetadata's TPS limit")
    done = Succeed("Done", output=jsonata("{'sequence_store_id': $store, 'pages': $pages, 'written': $written}"))
    more = (
        Choice("More pages?")
        .when(
            "$token != null and $pages >= $max_pages",
            Fail(
                "Too many pages",
                error="BackfillPageLimit",
                cause="{% 'stopped after ' & $string($pages) & ' pages: raise backfill_max_pages' %}",
            ),
        )
        .when("$token != null", wait)
        .otherwise(done)
    )
    wait >> list_page
    start >> store >> list_page >> write_page >> more
    return StateMachine(
        "readset_backfill",
        start,
        query_language="JSONata",
        comment="Write an item for every read set of a sequence store, rate-limited",
    )


# -- `aslkit readset backfill` ------------------------------------------------------------------------------------
def add_commands(commands: Any) -> None:
    readset = commands.add_parser("readset", help="HealthOmics read-set metadata: backfill a store, redrive failures")
    actions = readset.add_subparsers(dest="readset_command", required=True, metavar="ACTION")
    backfill = actions.add_parser("backfill", help="write an item for every read set of a sequence store")
    # the short options are the original tool's (aws-samples healthomics-metadata-sync: backfill -s -t -r)
    backfill.add_argument("-s", "--seq-store-id", required=True, help="the HealthOmics sequence store id")
    backfill.add_argument("-t", "--table", required=True, help="the metadata table the deployed backfill must write to")
    backfill.add_argument("-r", "--region", required=True)
    backfill.add_argument("--profile", default=None, help="AWS profile (default: the environment's credentials)")
    backfill.add_argument("--endpoint-url", default=None, help="another endpoint, e.g. LocalStack")
    backfill.add_argument("--test-case", default=None, help=argparse.SUPPRESS)  # LocalStack mocked integrations
    backfill.set_defaults(run=run_backfill)
    redrive = actions.add_parser("redrive", help="run again the events whose runs failed (the failed-events queue)")
    deployed.add_options(redrive, region_required=True, short=True)
    redrive.add_argument("--max", type=int, default=1000, help="redrive at most this many events (default 1000)")
    redrive.set_defaults(run=run_redrive)


def _client(args: Any, service: str) -> Any:
    return deployed.client_factory(args.profile, args.region, args.endpoint_url)(service)


def run_backfill(args: Any) -> int:
    from aslkit.errors import UserInputError
    from aslkit.runtime.results import read_history

    sfn = _client(args, "stepfunctions")
    machines = deployed.machines(sfn, "readset", "readset_backfill")
    if not machines:  # several are fine: the table asked for picks one
        deployed.one(machines, "readset_backfill machine", "readset", None, args.region)  # raises, says to deploy
    chosen, targets = None, []
    for machine in machines:  # the deployment whose backfill writes the table asked for
        definition = sfn.describe_state_machine(stateMachineArn=machine)["definition"]
        tables = sorted(set(re.findall(r'"TableName": "([^"]+)"', definition)))
        targets.extend(tables)
        if args.table in tables:
            chosen = machine
    if chosen is None:
        raise UserInputError(f"the backfill deployed here writes to {', '.join(targets)}, not {args.table}")
    arn = chosen + (f"#{args.test_case}" if args.test_case else "")
    execution = sfn.start_execution(stateMachineArn=arn, input=json.dumps({"sequence_store_id": args.seq_store_id}))
    print(f"started {execution['executionArn']}", flush=True)
    seen = 0
    while True:
        # the status first, then the history: a run that ended meanwhile still has all its pages read
        status = sfn.describe_execution(executionArn=execution["executionArn"])
        events = read_history(sfn, execution["executionArn"])
        for event in events[seen:]:
            details = event.get("stateExitedEventDetails") or {}
            if event["type"] == "MapStateExited" and details.get("name") == "Write page":
                page = json.loads(details["output"])
                print(f"page {page['page']}: {page['read_sets']} read set(s), {page['written']} written, "
                      f"{page['kept']} kept (newer data)", flush=True)  # fmt: skip
        seen = len(events)
        if status["status"] != "RUNNING":
            break
        time.sleep(0.5)
    if status["status"] != "SUCCEEDED":
        print(f"backfill {status['status'].lower()}: {status.get('error')}: {status.get('cause')}", file=sys.stderr)
        return 1
    out = json.loads(status["output"])
    store, pages, written = out["sequence_store_id"], out["pages"], out["written"]
    print(f"backfill of sequence store {store}: {pages} page(s), {written} item(s) written")
    return 0


def run_redrive(args: Any) -> int:
    """Each kept event, in the order SQS hands them out, through the status machine again (synchronously: its outcome
    is printed); its message is deleted once started, since a run that fails again keeps the event again. Stops at
    an event it has already redriven this time (kept again) or after --max; a message that is not a kept event
    (put there by hand) is named and left where it is."""
    sfn, sqs = _client(args, "stepfunctions"), _client(args, "sqs")
    machine = deployed.one(deployed.machines(sfn, "readset", "readset_status", args.stage), "readset_status machine",
                           "readset", args.stage, args.region)  # fmt: skip
    queue = deployed.one(deployed.queues(sqs, "readset", failed_events.name, args.stage), "failed-events queue",
                         "readset", args.stage, args.region)  # fmt: skip
    done: set[str] = set()
    again = 0
    while len(done) < args.max:
        messages = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=min(10, args.max - len(done)),
                                       VisibilityTimeout=300, WaitTimeSeconds=0).get("Messages", [])  # fmt: skip
        progressed = False
        for message in messages:
            kept = _kept(message)
            key = json.dumps(kept["event"], sort_keys=True) if kept else ""
            if key in done:  # kept again by this redrive: left for the next one, visible at once
                sqs.change_message_visibility(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"],
                                              VisibilityTimeout=0)  # fmt: skip
                continue
            progressed = True
            if kept is None:  # hidden for 300 s: this redrive does not see it again
                print(f"message {message['MessageId']} is not an event this workflow kept: left on the queue")
                continue
            event = kept["event"]
            detail = event["detail"] if isinstance(event.get("detail"), dict) else {}
            what = f"{detail.get('id', '?')} {detail.get('status', '?')} at {event.get('time', '?')}"
            run = sfn.start_sync_execution(stateMachineArn=machine, input=json.dumps(event))
            sqs.delete_message(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"])
            done.add(key)
            if run["status"] == "SUCCEEDED":
                print(f"{what}: {json.loads(run['output'])['action']} (failed before: {kept.get('error')})")
            else:
                again += 1
                print(f"{what}: failed again, kept again: {run.get('error')}: {run.get('cause')}")
        if not progressed:
            break
    print(f"{len(done)} event(s) redriven, {again} failed again")
    return 1 if again else 0


def _kept(message: dict[str, Any]) -> dict[str, Any] | None:
    """The `{event, error, cause}` the status machine kept in this message; None for a message that is not one."""
    try:
        kept = json.loads(message["Body"])
    except ValueError:
        return None
    return kept if isinstance(kept, dict) and isinstance(kept.get("event"), dict) else None


# -- local stand-ins (demo, `aslkit run`): HealthOmics exists in neither LocalStack nor moto --------------------
OMICS_SEED = Path(__file__).resolve().parents[1] / "samples" / "readset" / "seed" / "omics.json"


@contextmanager
def local_environment(clients: Any, deploy: Callable[[dict[str, str]], Any]) -> Iterator[Any]:
    """aslkit's HealthOmics stand-in, seeded with the sequence store and read sets the samples name."""
    deployment = deploy({})
    clients.seed_standin("omics", json.loads(OMICS_SEED.read_text()))
    yield deployment


STATUS = status_machine()
BACKFILL = backfill_machine()

WORKFLOW = Workflow(
    "readset",
    "HealthOmics read-set status handling: a metadata table that stays right, and a backfill",
    machines=[STATUS, BACKFILL],
    functions=[builder],
    tables=[table],
    queues=[failed_events],
    rules=[
        Rule(
            "readset_status_change",
            pattern={"source": ["aws.omics"], "detail-type": ["Read Set Status Change"]},
            target=STATUS,
            description="Every read-set status event updates the metadata table",
        )
    ],
    parameters={"backfill_max_concurrency": "10", "backfill_page_wait_seconds": "1", "backfill_max_pages": "1000"},
    entry="readset_status",
    local=local_environment,
)
