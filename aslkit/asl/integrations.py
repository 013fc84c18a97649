"""Service integrations: resource ARNs, the patterns each service supports, and Task helpers.

lambda_invoke("Score guides", function=fn_arn, payload={"guides.$": "$.guides"})
start_execution("Run child", state_machine=child_arn, input={...}, pattern=Pattern.RUN_JOB_V2)
aws_sdk("Get read set", "omics", "getReadSetMetadata", {"SequenceStoreId.$": "$.store", "Id.$": "$.id"})
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping, Sequence
from typing import Final, TypedDict, Unpack

from aslkit.asl.policies import Catch, Retry
from aslkit.asl.states import NumberOrExpr, PathOrDiscard, QueryLanguage, Task
from aslkit.asl.values import JsonValue, Placeholder


class Pattern(enum.Enum):
    """How a Task waits for its service: the suffix of the resource ARN."""

    REQUEST_RESPONSE = ""
    RUN_JOB = ".sync"
    RUN_JOB_V2 = ".sync:2"
    WAIT_FOR_TASK_TOKEN = ".waitForTaskToken"


_RR, _SYNC, _SYNC2, _TOKEN = (
    Pattern.REQUEST_RESPONSE,
    Pattern.RUN_JOB,
    Pattern.RUN_JOB_V2,
    Pattern.WAIT_FOR_TASK_TOKEN,
)

#: Optimized integrations: `service:action` -> the patterns Step Functions supports for it.
#: (AWS Step Functions Developer Guide, "Integrating services", as of 2026.) `aws-sdk:*` is handled separately.
SUPPORTED_PATTERNS: Final[dict[str, frozenset[Pattern]]] = {
    "lambda:invoke": frozenset({_RR, _TOKEN}),
    "dynamodb:getItem": frozenset({_RR}),
    "dynamodb:putItem": frozenset({_RR}),
    "dynamodb:updateItem": frozenset({_RR}),
    "dynamodb:deleteItem": frozenset({_RR}),
    "events:putEvents": frozenset({_RR, _TOKEN}),
    "sqs:sendMessage": frozenset({_RR, _TOKEN}),
    "sns:publish": frozenset({_RR, _TOKEN}),
    "states:startExecution": frozenset({_RR, _SYNC, _SYNC2, _TOKEN}),
    "batch:submitJob": frozenset({_RR, _SYNC, _TOKEN}),
    "ecs:runTask": frozenset({_RR, _SYNC, _TOKEN}),
    "glue:startJobRun": frozenset({_RR, _SYNC, _TOKEN}),
    "athena:startQueryExecution": frozenset({_RR, _SYNC, _TOKEN}),
    "codebuild:startBuild": frozenset({_RR, _SYNC, _TOKEN}),
    "apigateway:invoke": frozenset({_RR, _TOKEN}),
    "http:invoke": frozenset({_RR}),
    "s3:getObject": frozenset({_RR}),
    "s3:putObject": frozenset({_RR}),
    "s3:listObjectsV2": frozenset({_RR}),
}
#: AWS SDK integrations (`aws-sdk:service:action`) support request-response and callbacks, never `.sync`.
SDK_PATTERNS: Final = frozenset({_RR, _TOKEN})

_OPTIMIZED = re.compile(r"^arn:aws[\w-]*:states:::(?P<service>[a-z0-9-]+):(?P<action>[A-Za-z0-9]+)(?P<suffix>\.\S+)?$")
_SDK = re.compile(
    r"^arn:aws[\w-]*:states:::aws-sdk:(?P<service>[a-z0-9.-]+):(?P<action>[A-Za-z0-9]+)(?P<suffix>\.\S+)?$"
)


def resource_arn(service: str, action: str, pattern: Pattern = Pattern.REQUEST_RESPONSE) -> str:
    """`arn:aws:states:::service:action[.pattern]`, refusing a pattern the integration does not support."""
    key = f"{service}:{action}"
    if service.startswith("aws-sdk:"):
        allowed = SDK_PATTERNS
    elif key in SUPPORTED_PATTERNS:
        allowed = SUPPORTED_PATTERNS[key]
    else:
        raise ValueError(
            f"{key} is not an optimized integration aslkit knows; use aws_sdk(...) for any SDK call, "
            f"or one of {sorted(SUPPORTED_PATTERNS)}"
        )
    if pattern not in allowed:
        names = ", ".join(sorted(p.name for p in allowed))
        raise ValueError(f"{key} does not support the {pattern.name} pattern; it supports {names}")
    return f"arn:aws:states:::{key}{pattern.value}"


def parse_resource(resource: str) -> tuple[str, Pattern | None] | None:
    """(`service:action` or `aws-sdk:service:action`, pattern) of an integration ARN; None if not one.

    The pattern is None when the suffix is not one Step Functions knows.
    """
    match = _SDK.match(resource)
    prefix = "aws-sdk:" if match else ""
    match = match or _OPTIMIZED.match(resource)
    if not match:
        return None
    suffix = match["suffix"] or ""
    pattern = next((p for p in Pattern if p.value == suffix), None)
    return f"{prefix}{match['service']}:{match['action']}", pattern


def pattern_supported(key: str, pattern: Pattern) -> bool | None:
    """Whether `key` (from `parse_resource`) supports `pattern`; None when the integration is not in the table."""
    if key.startswith("aws-sdk:"):
        return pattern in SDK_PATTERNS
    allowed = SUPPORTED_PATTERNS.get(key)
    return None if allowed is None else pattern in allowed


class TaskOptions(TypedDict, total=False):
    """The `Task` options every integration helper takes besides its own (a misspelt one is a type error)."""

    credentials: JsonValue
    input_path: PathOrDiscard | None
    result_selector: JsonValue
    result_path: PathOrDiscard | None
    output_path: PathOrDiscard | None
    output: JsonValue
    timeout_seconds: NumberOrExpr | None
    timeout_seconds_path: str | None
    heartbeat_seconds: NumberOrExpr | None
    heartbeat_seconds_path: str | None
    retry: Sequence[Retry]
    catch: Sequence[Catch]
    comment: str | None
    query_language: QueryLanguage | None
    assign: Mapping[str, JsonValue] | None


def service_task(
    name: str,
    service: str,
    action: str,
    request: JsonValue = None,
    *,
    pattern: Pattern = Pattern.REQUEST_RESPONSE,
    **state: Unpack[TaskOptions],
) -> Task:
    """A Task on any optimized integration; `state` takes the other `Task` options (retry, catch, result_path ...)."""
    return Task(name, resource=resource_arn(service, action, pattern), request=request, **state)


def aws_sdk(
    name: str,
    service: str,
    action: str,
    request: JsonValue = None,
    *,
    pattern: Pattern = Pattern.REQUEST_RESPONSE,
    **state: Unpack[TaskOptions],
) -> Task:
    """A Task calling any AWS API (`aws-sdk:s3:copyObject`); errors surface as `<Service>.<Exception>`."""
    if action[:1].isupper():
        raise ValueError(f"SDK actions are camelCase in ASL: write {action[0].lower() + action[1:]!r}")
    return service_task(name, f"aws-sdk:{service}", action, request, pattern=pattern, **state)


def lambda_invoke(
    name: str,
    *,
    function: str | Placeholder,
    payload: JsonValue = None,
    pattern: Pattern = Pattern.REQUEST_RESPONSE,
    invocation_type: str | None = None,
    **state: Unpack[TaskOptions],
) -> Task:
    """Invoke a Lambda function; the result is under `Payload` (select it with `result_selector`/`output`)."""
    request: dict[str, JsonValue] = {"FunctionName": function}
    if payload is not None:
        request["Payload"] = payload
    if invocation_type is not None:
        request["InvocationType"] = invocation_type
    return service_task(name, "lambda", "invoke", request, pattern=pattern, **state)


def dynamodb(name: str, action: str, request: JsonValue, **state: Unpack[TaskOptions]) -> Task:
    """`dynamodb:getItem|putItem|updateItem|deleteItem`.

    A failed condition surfaces as `DynamoDB.ConditionalCheckFailedException`, catchable by name. Without a `retry`
    of its own, a task retries DynamoDB's transient errors (`Retry.dynamodb_transient()`); a conditional write (or one
    whose request is computed) only its throttling (`Retry.dynamodb_throttled()`), which never took effect: a write
    that did take effect before its answer was lost would fail its own condition when tried again. `retry=[]` opts
    out.
    """
    if "retry" not in state:
        from aslkit.asl.policies import Retry

        conditional = not isinstance(request, Mapping) or "ConditionExpression" in request
        state["retry"] = [Retry.dynamodb_throttled() if conditional and action != "getItem" else
                          Retry.dynamodb_transient()]  # fmt: skip
    return service_task(name, "dynamodb", action, request, **state)


def dynamodb_set(
    name: str,
    *,
    table: JsonValue,
    key: Mapping[str, JsonValue],
    values: Mapping[str, JsonValue],
    condition: str | None = None,
    condition_names: Sequence[str] = (),
    condition_values: Mapping[str, JsonValue] | None = None,
    **state: Unpack[TaskOptions],
) -> Task:
    """`dynamodb:updateItem` that SETs each attribute of `values` (typed values: `{"S": ...}`, `{"N": ...}`).

    Every attribute name goes through an alias (`#status`), so DynamoDB's reserved words (status, size, error,
    owner ...) need no thought; each value is `:<attribute>`. `condition` may name `#<attribute>` for the attributes
    set and for `condition_names`, and its own `condition_values` (`{":was": ...}`).
    """
    placeholders = {f":{attribute}": value for attribute, value in values.items()}
    clash = sorted(set(placeholders) & set(condition_values or {}))
    if clash:
        raise ValueError(f"{name}: condition values {', '.join(clash)} clash with the values set")
    names = dict.fromkeys([*values, *condition_names])
    request: dict[str, JsonValue] = {
        "TableName": table,
        "Key": dict(key),
        "UpdateExpression": "SET " + ", ".join(f"#{attribute} = :{attribute}" for attribute in values),
        "ExpressionAttributeNames": {f"#{attribute}": attribute for attribute in names},
        "ExpressionAttributeValues": {**placeholders, **(condition_values or {})},
    }
    if condition is not None:
        request["ConditionExpression"] = condition
    return dynamodb(name, "updateItem", request, **state)


def put_events(
    name: str, *, entries: JsonValue, pattern: Pattern = Pattern.REQUEST_RESPONSE, **state: Unpack[TaskOptions]
) -> Task:
    """`events:putEvents`; each entry has `Source`, `DetailType`, `Detail`, `EventBusName`."""
    return service_task(name, "events", "putEvents", {"Entries": entries}, pattern=pattern, **state)


def sqs_send_message(
    name: str,
    *,
    queue_url: str | Placeholder,
    message_body: JsonValue,
    pattern: Pattern = Pattern.REQUEST_RESPONSE,
    extra: dict[str, JsonValue] | None = None,
    **state: Unpack[TaskOptions],
) -> Task:
    request: dict[str, JsonValue] = {"QueueUrl": queue_url, "MessageBody": message_body, **(extra or {})}
    return service_task(name, "sqs", "sendMessage", request, pattern=pattern, **state)


def sns_publish(
    name: str,
    *,
    topic_arn: str | Placeholder,
    message: JsonValue,
    subject: JsonValue = None,
    message_attributes: JsonValue = None,
    pattern: Pattern = Pattern.REQUEST_RESPONSE,
    **state: Unpack[TaskOptions],
) -> Task:
    """Publish to a topic; `message_attributes` (`{name: {DataType, StringValue}}`) let subscriptions filter."""
    request: dict[str, JsonValue] = {"TopicArn": topic_arn, "Message": message}
    if subject is not None:
        request["Subject"] = subject
    if message_attributes is not None:
        request["MessageAttributes"] = message_attributes
    return service_task(name, "sns", "publish", request, pattern=pattern, **state)


def start_execution(
    name: str,
    *,
    state_machine: str | Placeholder,
    input: JsonValue = None,
    execution_name: JsonValue = None,
    pattern: Pattern = Pattern.RUN_JOB_V2,
    **state: Unpack[TaskOptions],
) -> Task:
    """Start a child execution; `.sync:2` (the default) waits and returns its output as JSON."""
    request: dict[str, JsonValue] = {"StateMachineArn": state_machine}
    if execution_name is not None:
        request["Name"] = execution_name
    if input is not None:
        request["Input"] = input
    return service_task(name, "states", "startExecution", request, pattern=pattern, **state)


def batch_submit_job(
    name: str,
    *,
    job_name: JsonValue,
    job_queue: str | Placeholder,
    job_definition: str | Placeholder,
    extra: dict[str, JsonValue] | None = None,
    pattern: Pattern = Pattern.RUN_JOB,
    **state: Unpack[TaskOptions],
) -> Task:
    request: dict[str, JsonValue] = {
        "JobName": job_name,
        "JobQueue": job_queue,
        "JobDefinition": job_definition,
        **(extra or {}),
    }
    return service_task(name, "batch", "submitJob", request, pattern=pattern, **state)


def ecs_run_task(
    name: str,
    *,
    cluster: str | Placeholder,
    task_definition: str | Placeholder,
    launch_type: str = "FARGATE",
    extra: dict[str, JsonValue] | None = None,
    pattern: Pattern = Pattern.RUN_JOB,
    **state: Unpack[TaskOptions],
) -> Task:
    request: dict[str, JsonValue] = {
        "Cluster": cluster,
        "TaskDefinition": task_definition,
        "LaunchType": launch_type,
        **(extra or {}),
    }
    return service_task(name, "ecs", "runTask", request, pattern=pattern, **state)
