"""cdk-nag's AwsSolutions pack on both stacks, with every suppression carrying its reason (and scoped by
`applies_to` to the finding it excuses, so a new wildcard is still reported)."""

from __future__ import annotations

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks, NagPackSuppression, NagSuppressions

from aslkit.cdk.stateful import StatefulStack
from aslkit.cdk.stateless import StatelessStack

BASIC_EXECUTION = "Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
RUNTIME_REASON = (
    "python3.13 is the interpreter the handlers are tested with locally (LocalStack's subprocess executor runs "
    "the project's Python); the runtime moves together with the local toolchain"
)


def apply_nag(app: cdk.App, stateful: StatefulStack, stateless: StatelessStack) -> None:
    cdk.Aspects.of(app).add(AwsSolutionsChecks(reports=True, verbose=True))
    for key, construct in stateful.constructs.items():
        if type(construct).__name__ == "Secret":
            NagSuppressions.add_resource_suppressions(
                construct,
                [
                    NagPackSuppression(
                        id="AwsSolutions-SMG4",
                        reason=f"{key[1]} holds a credential issued and rotated by an external system (ICA); "
                        "an operator sets it, and no rotation Lambda could create keys there",
                    )
                ],
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
                    applies_to=[{"regex": "/^Resource::<.*\\.Arn>\\/index\\/\\*$/g"}],
                    reason="a table grant covers the table's own indexes",
                ),
                NagPackSuppression(
                    id="AwsSolutions-IAM5",
                    applies_to=[
                        {"regex": "/^Action::s3:[A-Za-z]*\\*$/g"},
                        {"regex": "/^Resource::<.*\\.Arn>\\/\\*$/g"},
                    ],
                    reason=f"{name}: CDK's bucket grants (read, read_write) name S3 action groups (s3:GetObject*, "
                    "s3:List* ...) on the objects of the workflow's own buckets, whose keys come from events",
                ),
            ],
            apply_to_children=True,
        )
    for name, machine in stateless.machines.items():
        wildcard_reasons = sorted({s.reason for s in stateless.derived[name.split("/", 1)[1]] if s.reason})
        NagSuppressions.add_resource_suppressions(
            machine.role,
            [
                NagPackSuppression(
                    id="AwsSolutions-IAM5",
                    applies_to=["Resource::*"],
                    reason="X-Ray tracing and CloudWatch Logs delivery (logs:CreateLogDelivery ...) take "
                    "no resource" + "".join(f"; {r}" for r in wildcard_reasons),
                ),
                NagPackSuppression(
                    id="AwsSolutions-IAM5",
                    applies_to=[{"regex": "/^Resource::<.*\\.Arn>:\\*$/g"}],
                    reason="lambda:InvokeFunction on <function ARN>:* covers the function's versions and "
                    "aliases (derived from the definition by aslkit.iam)",
                ),
                NagPackSuppression(
                    id="AwsSolutions-IAM5",
                    applies_to=[{"regex": "/^Resource::arn:<AWS::Partition>:states:.*:execution:.*[:/]\\*$/g"}],
                    reason="states:DescribeExecution/StopExecution on the executions of the machines it starts "
                    "(.sync children, Distributed Map children): their names come from the input",
                ),
                NagPackSuppression(
                    id="AwsSolutions-IAM5",
                    applies_to=[{"regex": "/^Resource::arn:<AWS::Partition>:s3:::<.*>\\/\\*$/g"}],
                    reason="the definition reads objects of its own bucket under keys that come from the "
                    "input (one per run); the bucket is fixed",
                ),
            ],
            apply_to_children=True,
        )
    for queue in stateless.rule_dlqs:
        NagSuppressions.add_resource_suppressions(
            queue,
            [
                NagPackSuppression(
                    id="AwsSolutions-SQS3", reason="this queue is itself the dead-letter queue of an EventBridge rule"
                )
            ],
        )
