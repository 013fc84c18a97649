"""Event-driven packaging (EDP): group S3 object events per prefix into batches, flush each batch exactly once (by
count, or after a quiet period), and turn every flushed batch into a Quilt package.

    S3 Object Created/Deleted ─rule─▶ edp_recorder (EXPRESS, no Lambda: DynamoDB direct integrations)
                                          │ count reached: close the batch epoch, then package-objects-ready
    schedule (every minute) ───────▶ edp_sweeper (EXPRESS): batches quiet for threshold_seconds, flushed alike
    package-objects-ready ─rule (edp_bus)─▶ edp_packager (STANDARD): quilt3 package to the registry bucket, or to
                                          quarantine plus an SNS notification when its metadata is invalid
    package-objects-ready ─rule (edp_bus)─▶ edp_announcements (SNS): the same event, for any subscriber

Settled cases the original documentation leaves open (the README says the same):
- prefix: the first `prefix_depth` directory segments of the key, with a trailing `/`. A key with fewer directory
  segments batches under the directories it has (`a/file` at depth 2 batches under `a/`); a key at the bucket's
  root has no prefix and is ignored (a package needs a prefix).
- keys arrive URL-encoded (S3 encodes event keys: `+` for a space, `%xx` otherwise) and are decoded first.
- `ignore_prefixes` are globs matched against the whole decoded key; `*` matches across `/` (`raw/*` ignores
  everything under `raw/`).
- per bucket, the prefix depth, the ignores (`ignore_regex(globs)`: the JSONata regex the recorder matches) and both
  thresholds are deploy-time parameters (`<bucket>_prefix_depth`, `_ignore`, `_threshold_count`,
  `_threshold_seconds`) with the defaults below: a stage sets its own (infra/stages.py).
- deletes are recorded on the batch (`deletes`), once each like creates, never counted towards the threshold, and
  never flush.
- a repeated S3 event (same bucket, key and `sequencer`) is counted once: a conditional write to `edp_seen`
  (kept for 7 days) admits each event once.
- a flush is one conditional write that moves the batch to its next epoch: `pending` back to 0, the window
  (`first_event`) cleared, `flushes` + 1. Totals (`received`, `deletes`) are kept. The count path and the quiet path
  condition on the same epoch, so exactly one of them flushes it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote_plus

from aslkit.asl import (
    Catch,
    Choice,
    Fail,
    Map,
    Pass,
    Retry,
    StateMachine,
    Succeed,
    aws_sdk,
    dynamodb,
    jsonata,
    lambda_invoke,
    put_events,
    sns_publish,
)
from aslkit.asl.errors import States
from aslkit.asl.values import Jsonata, Placeholder
from aslkit.events import EventBus, Rule, Schedule
from aslkit.resources import Bucket, Function, Table, Topic, reads, writes
from aslkit.spec import SpecError, Workflow

SOURCE = "com.quiltdata.edp"
READY = "package-objects-ready"
#: what the packager and the announcements topic both receive: every flushed batch's announcement
READY_EVENTS = {"source": [SOURCE], "detail-type": [READY]}
SEEN_DAYS = 7
CONDITIONAL = "DynamoDB.ConditionalCheckFailedException"
DYNAMODB_RETRY = Retry.dynamodb_transient(States.TIMEOUT)
EVENTS_RETRY = Retry(["States.ALL"], interval_seconds=1, max_attempts=6, backoff_rate=2, jitter_strategy="FULL")


@dataclass(frozen=True)
class Monitored:
    """A bucket whose object events are batched: its own depth, ignores and (parameterised) thresholds."""

    bucket: Bucket
    prefix_depth: int = 2
    ignore_prefixes: tuple[str, ...] = ()
    threshold_count: int = 20
    threshold_seconds: int = 300

    def parameter(self, what: str) -> str:
        """The deploy-time parameter of this bucket's `count` or `seconds` threshold, `depth` or `ignore` regex."""
        return f"{self.bucket.name}_{what if what in ('prefix_depth', 'ignore') else 'threshold_' + what}"

    def defaults(self) -> dict[str, str]:
        """Its parameters with the values this declaration gives them (a stage may set others)."""
        return {
            self.parameter("count"): str(self.threshold_count),
            self.parameter("seconds"): str(self.threshold_seconds),
            self.parameter("prefix_depth"): str(self.prefix_depth),
            self.parameter("ignore"): ignore_regex(self.ignore_prefixes),
        }


def ignore_regex(globs: Iterable[str]) -> str:
    """Globs as the one anchored JSONata regex the recorder matches a decoded key with: `*` any characters (across
    `/`), `?` one character. No globs: a regex no key matches. A stage's `<bucket>_ignore` parameter is this.

    It is deploy-time text filled into the definition's JSON, so it holds no backslash or quote: a special character
    is a one-character class (`[.]`), and `/` needs no escape inside the group (JSONata ends a regex only at a `/`
    outside brackets)."""
    parts = []
    for glob in globs:
        bad = sorted(set(glob) & set('[]\\"'))
        if bad:
            raise SpecError(f"ignore glob {glob!r}: {' '.join(bad)} cannot be matched; use * and ? only")
        parts.append("".join(f"[{c}]" if c in "^$.|+(){}" else c for c in glob).replace("*", ".*").replace("?", "."))
    return f"/^({'|'.join(parts)})$/" if parts else "/^(?!)/"


landing = Bucket("edp_landing", event_bridge=True)  # instrument and pipeline output, batched per prefix
archive = Bucket("edp_archive", event_bridge=True)  # a second monitored bucket, flat layout
registry = Bucket("edp_registry")  # the Quilt registry packages are pushed to
quarantine = Bucket("edp_quarantine")  # packages whose metadata failed validation
MONITORED = (
    Monitored(landing, prefix_depth=2, ignore_prefixes=("raw/*", "scratch/*")),
    Monitored(archive, prefix_depth=1, threshold_count=50, threshold_seconds=600),
)
batches = Table("edp_batches", partition_key=("batch_id", "S"))
seen = Table("edp_seen", partition_key=("event_id", "S"), ttl_attribute="expires_at")
bus = EventBus("edp_bus")
alerts = Topic("edp_alerts")  # quarantined packages
#: every package-objects-ready announcement, for subscribers outside the bus (the original's topic, for debugging)
announcements = Topic("edp_announcements")
packager = Function(
    "edp_package_builder",
    handler="tasks.edp.packager.handler",
    metrics=("PackagesPushed", "PackagesQuarantined", "ObjectsPackaged"),
    timeout=300,
    memory=1024,
    environment={
        "REGISTRY_BUCKET": registry.name_ref,
        "QUARANTINE_BUCKET": quarantine.name_ref,
        # quilt3 keeps its config and cache under the user's directories: only /tmp is writable on Lambda.
        "XDG_CONFIG_HOME": "/tmp/quilt",
        "XDG_DATA_HOME": "/tmp/quilt",
        "XDG_CACHE_HOME": "/tmp/quilt",
        "QUILT_DISABLE_USAGE_METRICS": "true",
        "QUILT_URL": Placeholder("quilt_catalog_url"),
    },
    access=[*(reads(m.bucket) for m in MONITORED), writes(registry), writes(quarantine)],
    description="Build a Quilt package of a flushed prefix and push it to the registry (or to quarantine)",
)


# -- recording ------------------------------------------------------------------------------------------------------
def _config() -> Jsonata:
    """Per monitored bucket (by its deployed name): depth, thresholds, and whether a key is ignored."""
    entries, placeholders = [], []
    for m in MONITORED:
        name = m.bucket.name_ref
        placeholders += [name.name, *(m.parameter(what) for what in ("count", "seconds", "prefix_depth", "ignore"))]
        entries.append(
            f"'{name}': {{'depth': $number('{Placeholder(m.parameter('prefix_depth'))}'), "
            f"'count': $number('{Placeholder(m.parameter('count'))}'), "
            f"'quiet': $number('{Placeholder(m.parameter('seconds'))}'), "
            f"'ignored': $contains($key, {Placeholder(m.parameter('ignore'))})}}"
        )
    expression = f"""(
  $d := $states.input.detail;
  $key := $decodeUrlComponent($replace($d.object.key, '+', ' '));
  $config := {{{", ".join(entries)}}};
  $cfg := $lookup($config, $d.bucket.name);
  $segments := $split($key, '/');
  $depth := $min([$exists($cfg) ? $cfg.depth : 0, $count($segments) - 1]);
  $prefix := $depth > 0 ? $join($segments[[0..$depth - 1]], '/') & '/' : '';
  {{
    'bucket': $d.bucket.name,
    'key': $key,
    'kind': $states.input.`detail-type`,
    'time': $states.input.time,
    'event_id': $d.bucket.name & '/' & $key & '#' & ($exists($d.object.sequencer) ? $d.object.sequencer
                : $states.input.id),
    'prefix': $prefix,
    'batch_id': $d.bucket.name & '/' & $prefix,
    'count': $exists($cfg) ? $cfg.count : 0,
    'quiet': $exists($cfg) ? $cfg.quiet : 0,
    'reason': $not($exists($cfg)) ? 'bucket ' & $d.bucket.name & ' is not monitored'
              : $cfg.ignored ? 'key ' & $key & ' is under an ignored prefix'
              : $prefix = '' ? 'key ' & $key & ' is at the bucket root: no prefix to batch under'
              : null
  }}
)"""
    return Jsonata(expression, placeholders=tuple(placeholders))


def flush(batch_id: str, epoch: str, extra_condition: str = "", *, label: str) -> Any:
    """Close the batch's epoch with one conditional write, then announce it: whoever wins the write emits."""
    already = Succeed(f"{label}: already flushed", output=jsonata("$states.input"),
                      comment="another path flushed this epoch first (or nothing is pending)")  # fmt: skip
    close = dynamodb(
        f"{label}: close batch",
        "updateItem",
        {
            "TableName": batches.name_ref,
            "Key": {"batch_id": {"S": jsonata(batch_id)}},
            "UpdateExpression": "SET epoch = epoch + :one, pending = :zero, flushed_at = :now, "
            "flushes = if_not_exists(flushes, :zero) + :one REMOVE first_event",
            "ConditionExpression": "epoch = :epoch AND pending > :zero" + extra_condition,
            "ExpressionAttributeValues": {
                ":one": {"N": "1"},
                ":zero": {"N": "0"},
                ":epoch": {"N": jsonata(epoch)},
                ":now": {"N": jsonata("$string($floor($millis() / 1000))")},
            },
            "ReturnValues": "ALL_OLD",
        },
        retry=[DYNAMODB_RETRY],
        # In a Catch, $states.input is still the state's input (the error is $states.errorOutput).
        catch=[Catch([CONDITIONAL], already, output={"action": "already_flushed", "batch_id": jsonata(batch_id)})],
        assign={"closed": jsonata("$states.result.Attributes")},
    )
    detail = (
        "{'version': '0.1', 'bucket': $closed.bucket_name.S, 'prefix': $closed.prefix.S,"
        " 'count': $number($closed.pending.N), 'epoch': $number($closed.epoch.N),"
        " 'window': {'first': $closed.first_event.S, 'last': $closed.last_event.S}}"
    )
    announce = put_events(
        f"{label}: announce batch",
        entries=[
            {
                "Source": SOURCE,
                "DetailType": READY,
                "EventBusName": bus.name_ref,
                "Resources": [jsonata("'arn:aws:s3:::' & $closed.bucket_name.S")],
                "Detail": jsonata(detail),
            }
        ],
        retry=[EVENTS_RETRY],
        output=jsonata(
            f"$merge([{{'action': 'flushed', 'failed_entries': $states.result.FailedEntryCount}}, {detail}])"
        ),
    )
    lost = Fail(
        f"{label}: announcement refused",
        error="AnnouncementFailed",
        cause="{% 'EventBridge refused package-objects-ready for ' & $closed.bucket_name.S & '/' & $closed.prefix.S"
        " & ': the batch is closed; replay it from the edp_batches item' %}",
    )
    sent = Succeed(f"{label}: flushed")
    check = Choice(f"{label}: announced?").when("$states.input.failed_entries > 0", lost).otherwise(sent)
    close >> announce >> check
    return close


def recorder_machine() -> StateMachine:
    read = Pass("Read event", assign={"e": _config()})
    not_batched = Succeed("Not batched", output=jsonata("{'action': 'ignored', 'reason': $e.reason}"))
    delete = dynamodb(
        "Note delete",
        "updateItem",
        {
            "TableName": batches.name_ref,
            "Key": {"batch_id": {"S": jsonata("$e.batch_id")}},
            "UpdateExpression": "ADD deletes :one SET last_delete = :t",
            "ExpressionAttributeValues": {":one": {"N": "1"}, ":t": {"S": jsonata("$e.time")}},
        },
        retry=[DYNAMODB_RETRY],
        output=jsonata("{'action': 'delete_noted', 'batch_id': $e.batch_id}"),
        comment="deletes are noted, never counted towards the threshold",
    )
    duplicate = Succeed("Duplicate", output=jsonata("{'action': 'duplicate', 'event_id': $e.event_id}"))

    def admit_once(name: str) -> Any:
        """The event's id (bucket, key, sequencer) written once: a repeat of the event is a duplicate."""
        return dynamodb(
            name,
            "putItem",
            {
                "TableName": seen.name_ref,
                "Item": {
                    "event_id": {"S": jsonata("$e.event_id")},
                    "admitted_by": {"S": jsonata("$states.context.Execution.Id")},
                    "expires_at": {"N": jsonata(f"$string($floor($millis() / 1000) + {SEEN_DAYS * 86400})")},
                },
                # A retry of this execution's own write (its response lost) is not a duplicate.
                "ConditionExpression": "attribute_not_exists(event_id) OR admitted_by = :me",
                "ExpressionAttributeValues": {":me": {"S": jsonata("$states.context.Execution.Id")}},
            },
            retry=[DYNAMODB_RETRY],
            catch=[Catch([CONDITIONAL], duplicate, comment="the same S3 event (bucket, key, sequencer) again")],
        )

    admit = admit_once("Admit event once")
    admit_delete = admit_once("Admit delete once")
    admit_delete >> delete
    count = dynamodb(
        "Count event",
        "updateItem",
        {
            "TableName": batches.name_ref,
            "Key": {"batch_id": {"S": jsonata("$e.batch_id")}},
            "UpdateExpression": "ADD pending :one, received :one SET bucket_name = :b, prefix = :p, "
            "first_event = if_not_exists(first_event, :t), last_event = :t, due_at = :due, "
            "epoch = if_not_exists(epoch, :zero)",
            "ExpressionAttributeValues": {
                ":one": {"N": "1"},
                ":zero": {"N": "0"},
                ":b": {"S": jsonata("$e.bucket")},
                ":p": {"S": jsonata("$e.prefix")},
                ":t": {"S": jsonata("$e.time")},
                ":due": {"N": jsonata("$string($floor($millis() / 1000) + $e.quiet)")},
            },
            "ReturnValues": "ALL_NEW",
        },
        retry=[DYNAMODB_RETRY],
        assign={
            "pending": jsonata("$number($states.result.Attributes.pending.N)"),
            "epoch": jsonata("$states.result.Attributes.epoch.N"),
        },
    )
    recorded = Succeed(
        "Recorded", output=jsonata("{'action': 'recorded', 'batch_id': $e.batch_id, 'pending': $pending}")
    )
    reached = (
        Choice("Threshold reached?")
        .when("$pending >= $e.count", flush("$e.batch_id", "$epoch", label="Count"))
        .otherwise(recorded)
    )
    admit >> count >> reached
    invalid = Fail("Invalid event", error="InvalidS3Event",
                   cause="{% 'not an S3 Object Created/Deleted event with bucket, key and time: ' "
                         "& $string($states.input) %}")  # fmt: skip
    route = (
        Choice("Route")
        .when("$e.reason != null", not_batched)
        .when("$e.kind = 'Object Deleted'", admit_delete)
        .otherwise(admit)
    )
    valid = (
        Choice("Valid event?")
        .when(
            "$exists($states.input.detail.bucket.name) and $exists($states.input.detail.object.key)"
            " and $exists($states.input.time) and $states.input.`detail-type` in ['Object Created', 'Object Deleted']",
            read >> route,
        )
        .otherwise(invalid)
    )
    return StateMachine(
        "edp_recorder",
        valid,
        query_language="JSONata",
        type="EXPRESS",
        comment="Record one S3 object event on its prefix's batch; flush the batch when the count is reached",
    )


# -- sweeping -------------------------------------------------------------------------------------------------------
def sweeper_machine() -> StateMachine:
    start = Pass("Start", assign={"start_key": None, "flushed": 0, "pages": 0})
    scan = aws_sdk(
        "Find quiet batches",
        "dynamodb",
        "scan",
        Jsonata(
            "$merge([{'TableName': '" + str(batches.name_ref) + "',"
            " 'FilterExpression': 'pending > :zero AND due_at <= :now',"
            " 'ExpressionAttributeValues': {':zero': {'N': '0'}, ':now': {'N': $string($floor($millis() / 1000))}},"
            " 'ProjectionExpression': 'batch_id, epoch'},"
            " $start_key ? {'ExclusiveStartKey': $start_key} : {}])",
            placeholders=(batches.name_ref.name,),
        ),
        retry=[DYNAMODB_RETRY],
        assign={
            "start_key": jsonata("$exists($states.result.LastEvaluatedKey) ? $states.result.LastEvaluatedKey : null"),
            "pages": jsonata("$pages + 1"),
        },
        output=jsonata("$states.result.Items"),
    )
    due_condition = " AND due_at <= :now"
    each = Map(
        "Flush quiet batches",
        items=jsonata("$states.input"),
        max_concurrency=10,
        item_selector={
            "batch_id": jsonata("$states.context.Map.Item.Value.batch_id.S"),
            "epoch": jsonata("$states.context.Map.Item.Value.epoch.N"),
        },
        processor=flush("$states.input.batch_id", "$states.input.epoch", due_condition, label="Quiet"),
        assign={"flushed": jsonata("$flushed + $count($states.result[action = 'flushed'])")},
    )
    done = Succeed("Swept", output=jsonata("{'pages': $pages, 'flushed': $flushed}"))
    more = Choice("More batches?").when("$start_key != null", scan).otherwise(done)
    start >> scan >> each >> more
    return StateMachine(
        "edp_sweeper",
        start,
        query_language="JSONata",
        type="EXPRESS",
        comment="Flush every batch with events pending and no new event for its threshold_seconds",
    )


# -- packaging ------------------------------------------------------------------------------------------------------
def packager_machine() -> StateMachine:
    build = lambda_invoke(
        "Build and push package",
        function=packager.arn,
        payload=jsonata("$states.input"),
        retry=[Retry.lambda_transient()],
        output=jsonata("$states.result.Payload"),
    )
    notify = sns_publish(
        "Notify quarantine",
        topic_arn=alerts.arn,
        subject=jsonata("'EDP: package ' & $states.input.package & ' quarantined'"),
        message=jsonata(
            "'Package ' & $states.input.package & ' (s3://' & $states.input.source.bucket & '/'"
            " & $states.input.source.prefix & ') failed metadata validation and was pushed to s3://'"
            " & $states.input.registry & ' instead of the registry. Errors: ' & $join($states.input.errors, '; ')"
            " & ($states.input.catalog_url ? '. In the catalog: ' & $states.input.catalog_url : '')"
        ),
        output=jsonata("$states.input"),
    )
    quarantined = Fail("Quarantined", error="PackageMetadataInvalid",
                       cause="{% $states.input.package & ': ' & $join($states.input.errors, '; ') %}")  # fmt: skip
    notify >> quarantined
    packaged = Succeed("Packaged")
    valid = Choice("Metadata valid?").when("$states.input.status = 'quarantined'", notify).otherwise(packaged)
    build >> valid
    return StateMachine(
        "edp_packager",
        build,
        query_language="JSONata",
        comment="package-objects-ready in: a Quilt package of the prefix in the registry, or in quarantine",
    )


# -- local stand-ins (demo, `aslkit run`) ----------------------------------------------------------------------------
@contextmanager
def local_environment(clients: Any, deploy: Callable[[dict[str, str]], Any]) -> Iterator[Any]:
    """The objects the demo's sample events describe exist in the landing bucket, so the package has content: they
    are uploaded while the object-events rule is disabled (their own S3 events would be counted on top)."""
    deployment = deploy({})
    samples = Path(__file__).resolve().parents[1] / "samples" / "edp"
    bus, rule = deployment.rules["edp_object_events"]
    clients.events.disable_rule(Name=rule, EventBusName=bus)
    try:
        for sample in sorted(samples.glob("*.event.json")):
            events = json.loads(sample.read_text())
            for event in events if isinstance(events, list) else [events]:
                detail = event.get("detail", {})
                if event.get("detail-type") == "Object Created" and detail.get("bucket", {}).get("name") == str(
                    landing.name_ref
                ):
                    key = unquote_plus(detail["object"]["key"])
                    body = f"{key}: demo content, {detail['object'].get('size', 0)} bytes in the real run\n"
                    clients.s3.put_object(Bucket=deployment.buckets[landing.name], Key=key, Body=body.encode())
    finally:
        clients.events.enable_rule(Name=rule, EventBusName=bus)
    yield deployment


RECORDER = recorder_machine()
SWEEPER = sweeper_machine()
PACKAGER = packager_machine()

WORKFLOW = Workflow(
    "edp",
    "Event-driven packaging: S3 object events batched per prefix, flushed exactly once, packaged with Quilt",
    machines=[RECORDER, SWEEPER, PACKAGER],
    functions=[packager],
    tables=[batches, seen],
    buckets=[landing, archive, registry, quarantine],
    topics=[alerts, announcements],
    buses=[bus],
    rules=[
        Rule(
            "edp_object_events",
            pattern={
                "source": ["aws.s3"],
                "detail-type": ["Object Created", "Object Deleted"],
                "detail": {"bucket": {"name": [str(m.bucket.name_ref) for m in MONITORED]}},
            },
            target=RECORDER,
            description="Every object event of a monitored bucket is recorded on its prefix's batch",
        ),
        Rule(
            "edp_package_ready",
            pattern=READY_EVENTS,
            bus=bus,
            target=PACKAGER,
            description="Every flushed batch becomes a package",
        ),
        Rule(
            "edp_announce",
            pattern=READY_EVENTS,
            bus=bus,
            target=announcements,
            description="Every flushed batch's announcement, on a topic anyone may subscribe to",
        ),
    ],
    schedules=[
        Schedule("edp_sweep", "rate(1 minute)", target=SWEEPER, description="flush batches that went quiet"),
    ],
    parameters={
        **{key: value for m in MONITORED for key, value in m.defaults().items()},
        # the Quilt catalog the alerts link to (the original's QUILT_URL, https://catalog.example.org); none: no link
        "quilt_catalog_url": "",
    },
    entry="edp_recorder",
    local=local_environment,
)
