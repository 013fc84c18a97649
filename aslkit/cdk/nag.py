"""cdk-nag's AwsSolutions pack on a workflow's two stacks, with every suppression carrying its reason (and scoped by
`applies_to` to the finding it excuses, so a new wildcard is still reported). Reasons that are the workflow's to give
(why a secret is not rotated by a Lambda) come from its spec."""

from __future__ import annotations

from collections.abc import Mapping

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks, NagPackSuppression, NagSuppressions

from aslkit.asl.values import PLACEHOLDER_IN_TEXT
from aslkit.cdk.stateful import StatefulStack
from aslkit.cdk.stateless import TRACING_REASON, StatelessStack
from aslkit.iam import Statement

BASIC_EXECUTION = "Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
RUNTIME_REASON = (
    "python3.13 is the interpreter the handlers are tested with locally (LocalStack's subprocess executor runs "
    "the project's Python); the runtime moves together with the local toolchain"
)


def derived_suppressions(derived: list[Statement], parameters: Mapping[str, str]) -> list[NagPackSuppression]:
    """The IAM5 suppressions of an execution role, one per wildcard the derivation wrote, with its reason: `*` for
    tracing and log delivery (CDK's) and the statements the definition cannot scope, and a pattern per ARN template
    that holds a `*`: a parameter in it is its stage's text, any other placeholder matches whatever it renders as."""
    anywhere = sorted({s.reason for s in derived if "*" in s.resources})
    found = [NagPackSuppression(id="AwsSolutions-IAM5", applies_to=["Resource::*"],
                                reason="; ".join([TRACING_REASON, *anywhere]))]  # fmt: skip
    seen: set[str] = set()
    for statement in derived:
        for template in statement.resources:
            resource = PLACEHOLDER_IN_TEXT.sub(lambda m: parameters.get(m.group(1), m.group(0)), template)
            if "*" in resource and resource != "*" and resource not in seen:
                seen.add(resource)
                found.append(
                    NagPackSuppression(
                        id="AwsSolutions-IAM5",
                        applies_to=[{"regex": _pattern(resource)}],
                        reason=f"{', '.join(statement.actions)}: {statement.reason}",
                    )
                )
    return found


def _pattern(template: str) -> str:
    """A cdk-nag `applies_to` regex for the finding of an ARN template: placeholders match anything."""
    parts = PLACEHOLDER_IN_TEXT.split(template)  # literal, placeholder name, literal ...
    out = [".*" if index % 2 else "".join("\\" + c if c in "\\^$.|?*+()[]{}/" else c for c in part)
           for index, part in enumerate(parts)]  # fmt: skip
    return f"/^Resource::{''.join(out)}$/g"


def access_suppressions(name: str, auth: str) -> list[NagPackSuppression]:
    """Why an API has no Cognito authorizer (and, public, no authorizer at all)."""
    if auth == "iam":
        reason = f"{name} authorises every method with IAM (SigV4): its callers are IAM principals granted " \
                 "execute-api:Invoke, not a user pool's"  # fmt: skip
        return [NagPackSuppression(id="AwsSolutions-COG4", reason=reason)]
    return [
        NagPackSuppression(id="AwsSolutions-APIG4", reason=f"{name} is public by design, like the tool it re-creates: "
                           "anyone may submit a job; results are addressed by unguessable job ids"),
        NagPackSuppression(id="AwsSolutions-COG4", reason=f"{name} has no users to authenticate (public API)"),
    ]  # fmt: skip


def apply_nag(stateful: StatefulStack, stateless: StatelessStack) -> None:
    for stack in (stateful, stateless):
        cdk.Aspects.of(stack).add(AwsSolutionsChecks(reports=True, verbose=True))
    for secret in stateful.workflow.secrets:
        if secret.name in stateful.constructs and secret.rotation:
            NagSuppressions.add_resource_suppressions(
                stateful.constructs[secret.name],
                [NagPackSuppression(id="AwsSolutions-SMG4", reason=f"{secret.name}: {secret.rotation}")],
            )
    if any(child.node.id.startswith("BucketNotificationsHandler") for child in stateful.node.children):
        NagSuppressions.add_stack_suppressions(
            stateful,
            [
                NagPackSuppression(
                    id="AwsSolutions-IAM4",
                    applies_to=[BASIC_EXECUTION],
                    reason="CDK's BucketNotificationsHandler (it turns on EventBridge notifications of the "
                    "workflows' buckets) only writes its own CloudWatch logs with AWSLambdaBasicExecutionRole",
                )
            ],
        )
    for name, function in stateless.functions.items():
        NagSuppressions.add_resource_suppressions(
            function, [NagPackSuppression(id="AwsSolutions-L1", reason=RUNTIME_REASON)]
        )
        NagSuppressions.add_resource_suppressions(
            function.role,  # type: ignore[arg-type]
            [
                NagPackSuppression(
                    id="AwsSolutions-IAM4",
                    applies_to=[BASIC_EXECUTION],
                    reason="AWSLambdaBasicExecutionRole only lets the function write its CloudWatch logs",
                ),
                NagPackSuppression(
                    id="AwsSolutions-IAM5",
                    applies_to=["Resource::*"],
                    reason=f"{name}: X-Ray PutTraceSegments/PutTelemetryRecords and task-token callbacks "
                    "(SendTaskSuccess/Failure/Heartbeat) have no resource to scope them to",
                ),
                NagPackSuppression(
                    id="AwsSolutions-IAM5",
                    applies_to=[{"regex": "/^Resource::.*(\\.Arn>|table-arn|:table\\/[^*\\/]+)\\/index\\/\\*$/g"}],
                    reason="a table grant covers the table's own indexes",
                ),
                NagPackSuppression(
                    id="AwsSolutions-IAM5",
                    applies_to=[{"regex": "/^Resource::arn:[^:]*:states:[^:]*:.*:execution:[^:*]+:\\*$/g"}],
                    reason=f"{name}: DescribeExecution and StopExecution of the executions of a machine it starts "
                    "(operates), which get their names at start",
                ),
                NagPackSuppression(
                    id="AwsSolutions-IAM5",
                    applies_to=[
                        {"regex": "/^Action::s3:[A-Za-z]*\\*$/g"},
                        {"regex": "/^Resource::(.*(\\.Arn>|bucket-arn)|arn:[^:]*:s3:::[^*\\/]+)\\/\\*$/g"},
                    ],
                    reason=f"{name}: CDK's bucket grants (read, read_write) name S3 action groups (s3:GetObject*, "
                    "s3:List* ...) on the objects of the workflow's own buckets, whose keys come from events",
                ),
            ],
            apply_to_children=True,
        )
    for name, machine in stateless.machines.items():
        suppressions = derived_suppressions(stateless.derived[name], stateless.parameter_texts)
        NagSuppressions.add_resource_suppressions(machine.role, suppressions,
                                                  apply_to_children=True)  # fmt: skip
    for name, definition in stateless.jobs.definitions.items():
        NagSuppressions.add_resource_suppressions(
            definition.container.execution_role,
            [
                NagPackSuppression(
                    id="AwsSolutions-IAM5",
                    applies_to=["Resource::*"],
                    reason=f"{name}: ECS pulls the job's image with ecr:GetAuthorizationToken, which takes no "
                    "resource (the pull itself is scoped to the image's repository)",
                )
            ],
            apply_to_children=True,
        )
    auth = {api.name: api.auth for api in stateless.workflow.apis}
    for name, api in stateless.apis.items():
        NagSuppressions.add_resource_suppressions(
            api,
            [
                NagPackSuppression(
                    id="AwsSolutions-APIG2",
                    reason=f"{name}: its Lambda validates every request and answers 400 with a message naming the "
                    "problem; API Gateway's validator would only say that the body is invalid",
                ),
                NagPackSuppression(
                    id="AwsSolutions-APIG3",
                    reason="a web ACL is an organisation's own (rules, budget): associate it with the stage",
                ),
                *access_suppressions(name, auth[name]),
                NagPackSuppression(
                    id="AwsSolutions-IAM4",
                    applies_to=[
                        "Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"
                    ],
                    reason="the account-level role API Gateway needs to write the stage's execution logs",
                ),
            ],
            apply_to_children=True,
        )
    if stateless.sites:
        NagSuppressions.add_stack_suppressions(
            stateless,
            [
                NagPackSuppression(id="AwsSolutions-L1", reason="CDK's BucketDeployment handler picks its runtime"),
                NagPackSuppression(
                    id="AwsSolutions-IAM4",
                    applies_to=[BASIC_EXECUTION],
                    reason="CDK's BucketDeployment handler only writes its own logs with the basic execution role",
                ),
                NagPackSuppression(
                    id="AwsSolutions-IAM5",
                    applies_to=[
                        {"regex": "/^Action::s3:[A-Za-z]*\\*$/g"},
                        {"regex": "/^Resource::.*\\/\\*$/g"},
                    ],
                    reason="CDK's BucketDeployment copies the site's files from its asset bucket into the site "
                    "bucket (object-level actions on those two buckets)",
                ),
            ],
        )
    for distribution in stateful.distributions:
        NagSuppressions.add_resource_suppressions(
            distribution,
            [
                NagPackSuppression(
                    id="AwsSolutions-CFR1", reason="a public scientific tool: no geographic restriction"
                ),
                NagPackSuppression(
                    id="AwsSolutions-CFR2", reason="a web ACL is an organisation's own: associate it per stage"
                ),
                NagPackSuppression(
                    id="AwsSolutions-CFR3",
                    reason="standard logs need ACLs on the log bucket, which the stack's access-log bucket turns off "
                    "(BucketOwnerEnforced); the API the page calls keeps access logs",
                ),
                NagPackSuppression(
                    id="AwsSolutions-CFR4",
                    reason="without a custom domain the distribution uses CloudFront's default certificate, whose "
                    "protocol floor CloudFront fixes; give the stage a domain and certificate to raise it",
                ),
            ],
        )
    for queue in stateful.failure_stores:
        kept = (
            "this queue is itself where failed events are kept (a dead-letter store an operator redrives from); "
            "nothing consumes it, so a dead-letter queue of its own would never be used"
        )
        NagSuppressions.add_resource_suppressions(queue, [NagPackSuppression(id="AwsSolutions-SQS3", reason=kept)])
    for queue in stateful.rule_dlqs:
        NagSuppressions.add_resource_suppressions(
            queue,
            [
                NagPackSuppression(
                    id="AwsSolutions-SQS3", reason="this queue is itself the dead-letter queue of an EventBridge rule"
                )
            ],
        )
