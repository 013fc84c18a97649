"""Least-privilege IAM for a state machine, derived from its definition.

`statements(document, names)` reads every Task (nested graphs included), Distributed Map reader and writer and child
execution, and returns the IAM statements its execution role needs. Resources are ARN templates over the
definition's `${placeholders}` plus `${AWS::Partition}`, `${AWS::Region}`, `${AWS::AccountId}`, so the CDK app (or
any deployer) fills them the way it fills `DefinitionSubstitutions`. Where a definition does not fix a resource
(an id that comes from the input), the resource is `*` (or the account's resources of that type) and the statement
says why. A JSONata `Arguments` expression is read too: a field whose value is a string literal, or literals joined
with `&`, in an object the expression builds (`$merge([{'TableName': '${t}'}, ...])`) fixes its resource.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from aslkit.asl.integrations import parse_resource
from aslkit.asl.values import PLACEHOLDER_IN_TEXT, Placeholder
from aslkit.lint.model import build
from aslkit.names import machine_placeholder
from aslkit.spec import Workflow, machine_arn

PARTITION, REGION, ACCOUNT = "${AWS::Partition}", "${AWS::Region}", "${AWS::AccountId}"
#: Reasons of the wildcards that scope a fixed resource's parts (versions, objects) rather than any resource.
VERSIONS = "<function ARN>:* covers the function's versions and aliases"
OBJECTS = "objects of a bucket the definition names, under keys that come from the input"
SCOPED = "objects at locations the input gives, within the workflow's object scopes for this machine (its spec)"
_LAMBDA_ARN = re.compile(r"^arn:aws[\w-]*:lambda:")


@dataclass(frozen=True, order=True)
class Statement:
    actions: tuple[str, ...]
    resources: tuple[str, ...]
    reason: str = ""  # why a resource is (or holds) a wildcard, when it is

    def to_json(self) -> dict[str, Any]:
        return {"Effect": "Allow", "Action": list(self.actions), "Resource": list(self.resources)}


@dataclass
class Names:
    """What the deployer knows about the placeholders: which ARN a name or URL placeholder stands for.

    `arns` maps a placeholder value (e.g. `${t_table_name}`, `${q_queue_url}`) to an ARN template;
    `machine_names` maps a state machine ARN placeholder to its name (for execution ARNs);
    `self_name` is the name of the machine being described (Distributed Map children run as it);
    `objects` bounds the S3 objects the machine reads or writes at locations its input gives (object ARN templates,
    the spec's `Workflow.object_scopes`): without it, such an action is granted on `*`.
    """

    arns: Mapping[str, str] = field(default_factory=dict)
    machine_names: Mapping[str, str] = field(default_factory=dict)
    self_name: str = ""
    objects: tuple[str, ...] = ()

    def arn(self, value: Any) -> str | None:
        """The ARN template a request value stands for; None when the value is computed at run time."""
        if not isinstance(value, str) or value.startswith("{%") or value == COMPUTED:
            return None
        if value in self.arns:
            return self.arns[value]
        return value if value.startswith("arn:") or _is_arn_placeholder(value) else None


def _is_arn_placeholder(value: str) -> bool:
    names = PLACEHOLDER_IN_TEXT.findall(value)
    return len(names) == 1 and value == "${" + names[0] + "}" and names[0].endswith("_arn")


def names_for(workflow: Workflow, machine: str) -> Names:
    """The placeholder-to-ARN knowledge a Workflow spec gives (every name and URL placeholder has an ARN twin)."""
    arns: dict[str, str] = {}
    for resource in workflow.resources():
        attributes = resource.attributes()
        if "arn" not in attributes:
            continue
        arn = str(resource.placeholder("arn"))
        for attribute in ("name", "url"):
            if attribute in attributes:
                arns[str(resource.placeholder(attribute))] = arn
        if "dlq_url" in attributes:
            arns[str(resource.placeholder("dlq_url"))] = str(resource.placeholder("dlq_arn"))
    machine_names = {str(machine_arn(m)): str(Placeholder(machine_placeholder(m.name, "name")))
                     for m in workflow.machines}  # fmt: skip
    return Names(arns, machine_names, str(Placeholder(machine_placeholder(machine, "name"))),
                 tuple(workflow.object_scopes.get(machine, ())))  # fmt: skip


def statements(document: Mapping[str, Any], names: Names | None = None) -> list[Statement]:
    """The merged, sorted statements the execution role of `document` needs."""
    names = names or Names()
    found: dict[tuple[tuple[str, ...], str], set[str]] = {}
    for statement in _raw(document, names):
        key = (tuple(sorted(statement.actions)), statement.reason)
        found.setdefault(key, set()).update(statement.resources)
    merged = [Statement(actions, tuple(sorted(resources)), reason) for (actions, reason), resources in found.items()]
    return sorted(merged)


def _states(document: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    """Every state of a definition, nested graphs included."""
    return (state.body for state in build(dict(document)).states())


def _request(state: Mapping[str, Any]) -> Mapping[str, Any]:
    request = state.get("Arguments") or state.get("Parameters") or {}
    if isinstance(request, str) and request.startswith("{%"):
        return jsonata_fields(request)
    return request if isinstance(request, Mapping) else {}


#: What a field a JSONata expression computes reads as: a value the derivation cannot fix.
COMPUTED = "{% computed %}"


def jsonata_fields(expression: str) -> dict[str, str]:
    """field -> value of every object an Arguments expression constructs: the literal when every object that has
    the field gives it the same literal (or literals joined with `&`), else `COMPUTED`."""
    from jsonata import Jsonata

    try:
        tree = Jsonata(expression.strip()[2:-2].strip()).ast
    except Exception:
        return {}
    found: dict[str, set[str]] = {}
    for node in _nodes(tree):
        for key, value in getattr(node, "lhs_object", None) or ():
            if getattr(key, "type", None) == "string":
                literal = _literal(value)
                found.setdefault(key.value, set()).add(COMPUTED if literal is None else literal)
    return {key: values.pop() if len(values) == 1 else COMPUTED for key, values in found.items()}


def _nodes(node: Any) -> Iterator[Any]:
    """Every node of a jsonata-python parse tree."""
    seen: set[int] = set()
    stack = [node]
    while stack:
        current = stack.pop()
        if current is None or id(current) in seen or not hasattr(current, "__dict__"):
            continue
        seen.add(id(current))
        yield current
        for name, value in vars(current).items():
            if name == "_outer_instance" or name == "_jsonata_lambda":
                continue
            if isinstance(value, list):
                for item in value:
                    stack.extend(item if isinstance(item, (list, tuple)) else [item])
            elif hasattr(value, "__dict__"):
                stack.append(value)


def _literal(node: Any) -> str | None:
    if getattr(node, "type", None) == "string":
        return str(node.value)
    if getattr(node, "type", None) == "binary" and node.value == "&":
        left, right = _literal(node.lhs), _literal(node.rhs)
        return None if left is None or right is None else left + right
    return None


def _raw(document: Mapping[str, Any], names: Names) -> Iterator[Statement]:
    for state in _states(document):
        if state.get("Type") == "Task" and isinstance(state.get("Resource"), str):
            yield from _task(state["Resource"], _request(state), names)
        if state.get("Type") == "Map":
            yield from _distributed_map(state, names)


def _task(resource: str, request: Mapping[str, Any], names: Names) -> Iterator[Statement]:
    if _LAMBDA_ARN.match(resource) or resource.endswith("_function_arn}"):
        yield Statement(("lambda:InvokeFunction",), (resource, f"{resource}:*"), VERSIONS)
        return
    parsed = parse_resource(resource)
    if parsed is None:
        if resource.startswith("arn:aws:states:") and ":activity:" in resource:
            yield Statement(("states:GetActivityTask", "states:SendTaskSuccess", "states:SendTaskFailure"), (resource,))
        return
    key, pattern = parsed
    suffix = pattern.value if pattern else ""
    service, _, action = key.partition(":")
    if key.startswith("aws-sdk:"):
        yield from _sdk(key.removeprefix("aws-sdk:"), request, names)
        return
    handler = _OPTIMIZED.get(service)
    if handler is not None:
        yield from handler(action, suffix, request, names)


def _lambda(action: str, suffix: str, request: Mapping[str, Any], names: Names) -> Iterator[Statement]:
    arn = names.arn(request.get("FunctionName"))
    if arn:
        yield Statement(("lambda:InvokeFunction",), (arn, f"{arn}:*"), VERSIONS)
    else:
        yield Statement(("lambda:InvokeFunction",), ("*",), "FunctionName is computed from the input")


def _dynamodb(action: str, suffix: str, request: Mapping[str, Any], names: Names) -> Iterator[Statement]:
    arn = names.arn(request.get("TableName"))
    iam_action = "dynamodb:" + action[0].upper() + action[1:]
    yield Statement((iam_action,), (arn,) if arn else ("*",), "" if arn else "TableName is computed from the input")


def _events(action: str, suffix: str, request: Mapping[str, Any], names: Names) -> Iterator[Statement]:
    entries = request.get("Entries")
    buses = set()
    for entry in entries if isinstance(entries, list) else []:
        bus = entry.get("EventBusName") if isinstance(entry, Mapping) else None
        buses.add(names.arn(bus) if bus else f"arn:{PARTITION}:events:{REGION}:{ACCOUNT}:event-bus/default")
    if None in buses or not buses:
        yield Statement(("events:PutEvents",), ("*",), "the event bus is computed from the input")
    else:
        yield Statement(("events:PutEvents",), tuple(sorted(b for b in buses if b)))


def _sqs(action: str, suffix: str, request: Mapping[str, Any], names: Names) -> Iterator[Statement]:
    arn = names.arn(request.get("QueueUrl"))
    yield Statement(
        ("sqs:SendMessage",), (arn,) if arn else ("*",), "" if arn else "QueueUrl is computed from the input"
    )


def _sns(action: str, suffix: str, request: Mapping[str, Any], names: Names) -> Iterator[Statement]:
    arn = names.arn(request.get("TopicArn"))
    yield Statement(("sns:Publish",), (arn,) if arn else ("*",), "" if arn else "TopicArn is computed from the input")


def _states_integration(action: str, suffix: str, request: Mapping[str, Any], names: Names) -> Iterator[Statement]:
    machine = request.get("StateMachineArn")
    arn = names.arn(machine)
    if not arn:
        yield Statement(("states:StartExecution",), ("*",), "StateMachineArn is computed from the input")
        return
    yield Statement(("states:StartExecution",), (arn,))
    if suffix in (".sync", ".sync:2"):
        name = names.machine_names.get(str(machine), "*")
        executions = f"arn:{PARTITION}:states:{REGION}:{ACCOUNT}:execution:{name}:*"
        yield Statement(("states:DescribeExecution", "states:StopExecution"), (executions,),
                        "the executions of the machine it starts, named at run time")  # fmt: skip
        yield _managed_rule("StepFunctionsGetEventsForStepFunctionsExecutionRule")


def _batch(action: str, suffix: str, request: Mapping[str, Any], names: Names) -> Iterator[Statement]:
    resources = tuple(a for a in (names.arn(request.get("JobQueue")), names.arn(request.get("JobDefinition"))) if a)
    yield Statement(("batch:SubmitJob",), resources or ("*",), "" if resources else "the job queue is computed")
    if suffix == ".sync":
        yield Statement(("batch:DescribeJobs",), ("*",), "batch:DescribeJobs takes no resource (IAM cannot scope it)")
        yield Statement(("batch:TerminateJob",), (f"arn:{PARTITION}:batch:{REGION}:{ACCOUNT}:job/*",),
                        "the job it submitted, whose id is only known at run time")  # fmt: skip
        yield _managed_rule("StepFunctionsGetEventsForBatchJobsRule")


def _ecs(action: str, suffix: str, request: Mapping[str, Any], names: Names) -> Iterator[Statement]:
    task_definition = names.arn(request.get("TaskDefinition"))
    yield Statement(("ecs:RunTask",), (task_definition,) if task_definition else ("*",),
                    "" if task_definition else "the task definition is computed")  # fmt: skip
    yield Statement(("iam:PassRole",), ("*",), "the task's roles are those of its task definition, set by the stack")
    if suffix == ".sync":
        yield Statement(("ecs:DescribeTasks", "ecs:StopTask"), ("*",), "ECS task ids are only known at run time")
        yield _managed_rule("StepFunctionsGetEventsForECSTaskRule")


def _managed_rule(rule: str) -> Statement:
    return Statement(
        ("events:DescribeRule", "events:PutRule", "events:PutTargets"),
        (f"arn:{PARTITION}:events:{REGION}:{ACCOUNT}:rule/{rule}",),
    )


_OPTIMIZED = {
    "lambda": _lambda,
    "dynamodb": _dynamodb,
    "events": _events,
    "sqs": _sqs,
    "sns": _sns,
    "states": _states_integration,
    "batch": _batch,
    "ecs": _ecs,
}

#: SDK service names whose IAM prefix differs.
SDK_SERVICE_PREFIX = {"sfn": "states", "cloudwatchlogs": "logs", "eventbridge": "events", "efs": "elasticfilesystem",
                      "sesv2": "ses"}  # fmt: skip
#: SDK actions whose IAM action is not the capitalised name.
SDK_ACTION = {
    "s3:listObjectsV2": "s3:ListBucket",
    "s3:headObject": "s3:GetObject",
    "s3:headBucket": "s3:ListBucket",
    "s3:createMultipartUpload": "s3:PutObject",
    "s3:uploadPart": "s3:PutObject",
    "s3:uploadPartCopy": "s3:PutObject",
    "s3:completeMultipartUpload": "s3:PutObject",
    "s3:copyObject": "s3:PutObject",
    "dynamodb:batchGetItem": "dynamodb:BatchGetItem",
}


def sdk_action(service: str, action: str) -> str:
    """The IAM action of an `aws-sdk:service:action` integration."""
    key = f"{service}:{action}"
    if key in SDK_ACTION:
        return SDK_ACTION[key]
    return f"{SDK_SERVICE_PREFIX.get(service, service)}:{action[0].upper()}{action[1:]}"


def _sdk(key: str, request: Mapping[str, Any], names: Names) -> Iterator[Statement]:
    service, _, action = key.partition(":")
    iam_action = sdk_action(service, action)
    if service == "s3":
        yield from _s3(iam_action, action, request, names)
        return
    if service == "dynamodb":
        arn = names.arn(request.get("TableName"))
        if arn:
            yield Statement((iam_action,), (arn, f"{arn}/index/*"), "index/* covers the table's own indexes")
            return
    names_it = RESOURCE_FIELDS.get(service)
    arn = names.arn(request.get(names_it)) if names_it else None
    if arn:
        yield Statement((iam_action,), (arn,))
        return
    scope = ACCOUNT_SCOPES.get(service)
    if scope is not None:
        yield Statement((iam_action,), (scope[0],), scope[1])
        return
    yield Statement((iam_action,), ("*",), f"aws-sdk:{key} names no resource the definition fixes")


#: The request field that names the one resource an `aws-sdk:<service>:*` call acts on.
RESOURCE_FIELDS = {"sfn": "StateMachineArn", "ssm": "Name", "secretsmanager": "SecretId"}

#: Services whose resources a definition names from its input (a read set's id): scoped to the account's own.
ACCOUNT_SCOPES = {
    **dict.fromkeys(
        ("ses", "sesv2"),
        (
            f"arn:{PARTITION}:ses:{REGION}:{ACCOUNT}:identity/*",
            "a mail's recipient comes from the job: any verified identity of this account sends it (the sender is the "
            "stage's email_sender)",
        ),
    ),
    "omics": (
        f"arn:{PARTITION}:omics:{REGION}:{ACCOUNT}:sequenceStore/*",
        "the sequence store and read set come from the event: any store of this account and region",
    ),
}


def _s3(iam_action: str, action: str, request: Mapping[str, Any], names: Names) -> Iterator[Statement]:
    bucket = request.get("Bucket")
    if action in ("copyObject", "uploadPartCopy"):  # a copy also reads its source
        source = request.get("CopySource")
        if isinstance(source, str) and not source.startswith("{%") and source != COMPUTED:
            yield Statement(("s3:GetObject",), (f"arn:{PARTITION}:s3:::{source.split('/', 1)[0]}/*",), OBJECTS)
        elif names.objects:
            yield Statement(("s3:GetObject",), names.objects, SCOPED)
        else:
            yield Statement(("s3:GetObject",), ("*",), "the copy source is computed from the input")
    if not isinstance(bucket, str) or bucket.startswith("{%") or bucket == COMPUTED:
        if names.objects and iam_action != "s3:ListBucket":
            yield Statement((iam_action,), names.objects, SCOPED)
        else:
            yield Statement((iam_action,), ("*",), "the bucket is computed from the input")
        return
    bucket_arn = f"arn:{PARTITION}:s3:::{bucket}"
    if iam_action == "s3:ListBucket":
        yield Statement((iam_action,), (bucket_arn,))
    else:
        yield Statement((iam_action,), (f"{bucket_arn}/*",), OBJECTS)


def _distributed_map(state: Mapping[str, Any], names: Names) -> Iterator[Statement]:
    processor = state.get("ItemProcessor") or {}
    config = processor.get("ProcessorConfig") or {} if isinstance(processor, Mapping) else {}
    if config.get("Mode") != "DISTRIBUTED":
        return
    # Children run as this machine. Its own ARN is built from its name, not referenced: a reference to the
    # machine inside its own role's policy would be a circular dependency in CloudFormation.
    own = f"arn:{PARTITION}:states:{REGION}:{ACCOUNT}:stateMachine:{names.self_name or '*'}"
    children = f"arn:{PARTITION}:states:{REGION}:{ACCOUNT}:execution:{names.self_name or '*'}/*"
    yield Statement(("states:StartExecution",), (own,))
    yield Statement(("states:DescribeExecution", "states:StopExecution"), (children,),
                    "its Distributed Map's child executions, named at run time")  # fmt: skip
    reader = state.get("ItemReader")
    if isinstance(reader, Mapping) and isinstance(reader.get("Resource"), str):
        action = "listObjectsV2" if reader["Resource"].endswith("listObjectsV2") else "getObject"
        yield from _s3(sdk_action("s3", action), action, _request(reader), names)
    writer = state.get("ResultWriter")
    if isinstance(writer, Mapping):
        request = _request(writer)
        bucket = request.get("Bucket")
        if isinstance(bucket, str) and not bucket.startswith("{%"):
            yield Statement(("s3:PutObject", "s3:GetObject", "s3:ListMultipartUploadParts", "s3:AbortMultipartUpload"),
                            (f"arn:{PARTITION}:s3:::{bucket}/*",), OBJECTS)  # fmt: skip
        else:
            yield Statement(("s3:PutObject",), ("*",), "the result bucket is computed from the input")
