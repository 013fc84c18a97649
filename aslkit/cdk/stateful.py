"""The stateful stack: what holds data (tables, buckets, queues, topics, buses, secrets) and the event contracts."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_eventschemas as eventschemas
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from aslkit.cdk.stage import Stage
from aslkit.resources import Queue
from aslkit.spec import Workflow


class StatefulStack(cdk.Stack):
    """Every store of every workflow. `values[workflow][placeholder]` is the CDK value that fills it."""

    def __init__(self, scope: Construct, stage: Stage, workflows: Sequence[Workflow], **kwargs: Any) -> None:
        super().__init__(scope, f"{stage.name}-stateful", **kwargs)
        self.stage = stage
        self.removal = cdk.RemovalPolicy.RETAIN if stage.retain_data else cdk.RemovalPolicy.DESTROY
        self.values: dict[str, dict[str, str]] = {}
        self.constructs: dict[tuple[str, str], Any] = {}  # (workflow, resource name) -> construct
        self.failure_stores: list[Any] = []  # queues without a dead-letter queue: where failures are kept
        self.distributions: list[cloudfront.Distribution] = []
        self.access_logs = s3.Bucket(
            self,
            "AccessLogs",
            bucket_name=None,
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            removal_policy=self.removal,
            auto_delete_objects=not stage.retain_data,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
        )
        self.registry = eventschemas.CfnRegistry(
            self,
            "Contracts",
            registry_name=stage.physical("contracts"),
            description="JSON Schemas of every event the workflows exchange",
        )
        for workflow in workflows:
            self._workflow(workflow)

    def _put(self, workflow: Workflow, resource: Any, construct: Any, values: dict[str, str]) -> None:
        self.constructs[(workflow.name, resource.name)] = construct
        out = self.values.setdefault(workflow.name, {})
        for placeholder, attribute in resource.placeholders().items():
            if attribute in values:
                out[placeholder] = values[attribute]

    def _workflow(self, workflow: Workflow) -> None:
        name = self.stage.physical
        for table in workflow.tables:
            keys: dict[str, Any] = {"partition_key": _attribute(table.partition_key)}
            if table.sort_key:
                keys["sort_key"] = _attribute(table.sort_key)
            table_construct = dynamodb.Table(
                self,
                f"{workflow.name}-{table.name}",
                table_name=name(table.name),
                **keys,
                billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
                point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                    point_in_time_recovery_enabled=True
                ),
                encryption=dynamodb.TableEncryption.AWS_MANAGED,
                removal_policy=self.removal,
                stream=getattr(dynamodb.StreamViewType, table.stream) if table.stream else None,
                time_to_live_attribute=table.ttl_attribute,
            )
            self._put(
                workflow, table, table_construct, {"name": table_construct.table_name, "arn": table_construct.table_arn}
            )
        for bucket in workflow.buckets:
            bucket_construct = s3.Bucket(
                self,
                f"{workflow.name}-{bucket.name}",
                encryption=s3.BucketEncryption.S3_MANAGED,
                enforce_ssl=True,
                block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
                versioned=self.stage.retain_data,
                event_bridge_enabled=bucket.event_bridge,
                removal_policy=self.removal,
                auto_delete_objects=not self.stage.retain_data,
                server_access_logs_bucket=self.access_logs,
                server_access_logs_prefix=f"{bucket.name}/",
            )
            self._put(
                workflow,
                bucket,
                bucket_construct,
                {"name": bucket_construct.bucket_name, "arn": bucket_construct.bucket_arn},
            )
            if bucket.site:
                # A static site: CloudFront reads the (private) bucket through origin access control.
                self.distributions.append(
                    cloudfront.Distribution(
                        self,
                        f"{workflow.name}-{bucket.name}-cdn",
                        comment=f"{workflow.name}: {bucket.site}",
                        default_root_object="index.html",
                        default_behavior=cloudfront.BehaviorOptions(
                            origin=origins.S3BucketOrigin.with_origin_access_control(bucket_construct),
                            viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
                        ),
                        minimum_protocol_version=cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021,
                    )
                )
        rule_dlqs = {rule.dlq.name for rule in workflow.rules if rule.dlq is not None}
        for queue in workflow.queues:
            if queue.name not in rule_dlqs:  # a rule's DLQ lives with its rule (its policy names the rule)
                self._queue(workflow, queue)
        for topic in workflow.topics:
            topic_construct = sns.Topic(
                self,
                f"{workflow.name}-{topic.name}",
                topic_name=name(topic.name),
                enforce_ssl=True,
                master_key=kms.Alias.from_alias_name(self, f"{topic.name}-key", "alias/aws/sns"),
            )
            for queue_name in topic.subscribe_queues:
                queue = self.constructs[(workflow.name, queue_name)]
                topic_construct.add_subscription(subscriptions.SqsSubscription(queue, raw_message_delivery=True))
            self._put(workflow, topic, topic_construct, {"arn": topic_construct.topic_arn})
        for bus in workflow.buses:
            bus_construct = events.EventBus(self, f"{workflow.name}-{bus.name}", event_bus_name=name(bus.name))
            values = {"name": bus_construct.event_bus_name, "arn": bus_construct.event_bus_arn}
            self._put(workflow, bus, bus_construct, values)
        for secret in workflow.secrets:
            secret_construct = secretsmanager.Secret(
                self,
                f"{workflow.name}-{secret.name}",
                secret_name=name(secret.name),
                description=secret.description,
                removal_policy=self.removal,
            )
            values = {"arn": secret_construct.secret_arn, "name": secret_construct.secret_name}
            self._put(workflow, secret, secret_construct, values)
        for contract, schema in sorted(workflow.contracts.items()):
            eventschemas.CfnSchema(
                self,
                f"{workflow.name}-schema-{contract}",
                registry_name=self.registry.attr_registry_name,
                schema_name=f"{workflow.name}.{contract}",
                type="JSONSchemaDraft4",
                content=json.dumps(as_draft4(schema)),
                description=str(schema.get("description", contract))[:256],
            )

    def _queue(self, workflow: Workflow, queue: Queue) -> None:
        suffix = ".fifo" if queue.fifo else ""
        common: dict[str, Any] = {
            "encryption": sqs.QueueEncryption.SQS_MANAGED,
            "enforce_ssl": True,
            "removal_policy": self.removal,
            "fifo": queue.fifo or None,
        }
        values: dict[str, str] = {}
        dead_letter = None
        if queue.max_receive_count:
            dlq = sqs.Queue(
                self,
                f"{workflow.name}-{queue.name}-dlq",
                queue_name=self.stage.physical(f"{queue.name}_dlq") + suffix,
                retention_period=cdk.Duration.days(14),
                **common,
            )
            dead_letter = sqs.DeadLetterQueue(queue=dlq, max_receive_count=queue.max_receive_count)
            self.constructs[(workflow.name, f"{queue.name}_dlq")] = dlq
            values.update({"dlq_url": dlq.queue_url, "dlq_arn": dlq.queue_arn})
        construct = sqs.Queue(
            self,
            f"{workflow.name}-{queue.name}",
            queue_name=self.stage.physical(queue.name) + suffix,
            visibility_timeout=cdk.Duration.seconds(queue.visibility_timeout),
            dead_letter_queue=dead_letter,
            retention_period=cdk.Duration.days(14),
            **common,
        )
        values.update({"url": construct.queue_url, "arn": construct.queue_arn, "name": construct.queue_name})
        if not queue.max_receive_count:
            self.failure_stores.append(construct)
        self._put(workflow, queue, construct, values)


def _attribute(key: tuple[str, str]) -> dynamodb.Attribute:
    kinds = {"S": dynamodb.AttributeType.STRING, "N": dynamodb.AttributeType.NUMBER, "B": dynamodb.AttributeType.BINARY}
    return dynamodb.Attribute(name=key[0], type=kinds[key[1]])


DRAFT4_NAMES = {"$id": "id", "$defs": "definitions"}


def as_draft4(schema: Any) -> Any:
    """The EventBridge schema registry takes OpenAPI 3 or JSON Schema draft 4. Our 2020-12 contracts keep to what
    draft 4 can say, so the translation is a renaming: `$id` -> `id`, `$defs` -> `definitions` (and the `$ref`s
    into it), `const: x` -> `enum: [x]`, and `$schema` points at draft 4."""
    if isinstance(schema, dict):
        out: dict[str, Any] = {}
        for key, value in schema.items():
            if key == "$schema":
                continue
            if key == "const":
                out["enum"] = [value]
            elif key == "$ref" and isinstance(value, str):
                out[key] = value.replace("#/$defs/", "#/definitions/")
            else:
                out[DRAFT4_NAMES.get(key) or key] = as_draft4(value)
        if "$schema" in schema:
            out["$schema"] = "http://json-schema.org/draft-04/schema#"
        return out
    if isinstance(schema, list):
        return [as_draft4(item) for item in schema]
    return schema
