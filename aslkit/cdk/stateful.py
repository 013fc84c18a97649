"""A workflow's stateful stack: what holds its data (tables, buckets, queues and every dead-letter queue, topics,
buses, secrets) and its event contracts. Adopted stores are not created: the stateless stack references them by the
names the stage gives.

Every placeholder value of a created store is a CloudFormation output exported under `aslkit.names`' export name;
the workflow's stateless stack imports them, so the pair is coupled only through those named exports.
"""

from __future__ import annotations

import json
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_eventschemas as eventschemas
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from aslkit import names
from aslkit.cdk.stage import Stage
from aslkit.errors import StageError
from aslkit.events.rules import Rule
from aslkit.resources import Bucket, Queue, Resource, Topic
from aslkit.spec import Workflow


class StatefulStack(cdk.Stack):
    """The stores of one workflow. `exports[placeholder]` is the export name of the value that fills it."""

    def __init__(self, scope: Construct, stage: Stage, workflow: Workflow, **kwargs: Any) -> None:
        super().__init__(scope, stage.stack_name(workflow.name, "stateful"), **kwargs)
        self.stage = stage
        self.workflow = workflow
        self.naming = stage.naming(workflow.name)
        self.removal = cdk.RemovalPolicy.RETAIN if stage.retain_data else cdk.RemovalPolicy.DESTROY
        self.exports: dict[str, str] = {}
        self.constructs: dict[str, Any] = {}  # spec name -> construct, for what this stack creates
        self.failure_stores: list[Any] = []  # queues without a dead-letter queue: where failures are kept
        self.rule_dlqs: list[sqs.Queue] = []
        self.distributions: list[cloudfront.Distribution] = []
        self._access_logs: s3.Bucket | None = None
        self._create(workflow)

    def _create(self, workflow: Workflow) -> None:
        adopted = self.naming.is_adopted
        for table in workflow.tables:
            if not adopted(table.name):
                self._table(table)
        for bucket in workflow.buckets:
            if not adopted(bucket.name):
                self._bucket(bucket)
            elif bucket.event_bridge:  # an adopted bucket still has to send its object events
                existing = s3.Bucket.from_bucket_name(self, bucket.name, self.naming.bucket(bucket.name))
                existing.enable_event_bridge_notification()
        rule_dlqs = {rule.dlq.name: rule for rule in workflow.rules if rule.dlq is not None}
        for queue in workflow.queues:
            if not adopted(queue.name):
                self._queue(queue, rule_dlqs.get(queue.name))
        for rule in workflow.rules:
            if rule.dlq is None:
                self._queue(rule.dead_letter_queue, rule)
        for topic in workflow.topics:
            if not adopted(topic.name):
                construct: Any = self._topic(topic, [rule for rule in workflow.rules if rule.target == topic])
                for queue_name in topic.subscribe_queues:
                    if queue_name not in self.constructs:
                        raise StageError(f"stage {self.stage.name}: topic {topic.name!r} of {workflow.name!r} "
                                         f"subscribes the adopted queue {queue_name!r}, whose policy the stage cannot "
                                         "change: adopt the topic too, or let the stage create the queue")  # fmt: skip
                    construct.add_subscription(subscriptions.SqsSubscription(self.constructs[queue_name],
                                                                             raw_message_delivery=True))  # fmt: skip
                self._export(topic, construct, {"arn": construct.topic_arn})
                if construct.master_key is not None and isinstance(construct.master_key, kms.Key):
                    self._export_value(names.topic_key(topic.name), construct.master_key.key_arn)
        for bus in workflow.buses:
            if not adopted(bus.name):
                construct = events.EventBus(self, bus.name, event_bus_name=self.naming.physical(bus.name))
                self._export(bus, construct, {"name": construct.event_bus_name, "arn": construct.event_bus_arn})
        for secret in workflow.secrets:
            if not adopted(secret.name):
                construct = secretsmanager.Secret(
                    self,
                    secret.name,
                    secret_name=self.naming.physical(secret.name),
                    description=secret.description,
                    removal_policy=self.removal,
                )
                self._export(secret, construct, {"arn": construct.secret_arn, "name": construct.secret_name})
        for parameter in workflow.ssm_parameters:
            if not adopted(parameter.name):
                # CloudFormation sets the value when it creates the parameter, and again only when the starting
                # value in the spec changes: an operator's change stays until then
                construct = ssm.StringParameter(
                    self,
                    parameter.name,
                    parameter_name=self.naming.physical(parameter.name),
                    string_value=parameter.value,
                    description=parameter.description or None,
                )
                self._export(parameter, construct, {"name": construct.parameter_name, "arn": construct.parameter_arn})
        if workflow.contracts:
            self._contracts(workflow)

    def _export(self, resource: Resource, construct: Any, values: dict[str, str]) -> None:
        """Keep the construct; export each of the resource's placeholder values for the stateless stack."""
        self.constructs[resource.name] = construct
        cdk.Tags.of(construct).add(names.TAG_RESOURCE, resource.name)
        for placeholder, attribute in resource.placeholders().items():
            if attribute in values:
                self._export_value(placeholder, values[attribute])

    def _export_value(self, placeholder: str, value: str) -> None:
        export = self.naming.export(self.workflow.name, placeholder)
        cdk.CfnOutput(self, placeholder, value=value, export_name=export)
        self.exports[placeholder] = export

    def _topic(self, topic: Topic, rules: list[Rule]) -> sns.Topic:
        """A topic, encrypted. One that rules deliver to has a key of its own (EventBridge cannot use the AWS
        managed `aws/sns` key, whose policy cannot name it), and a policy that lets those rules, only, publish."""
        if not rules:
            key = kms.Alias.from_alias_name(self, f"{topic.name}-key", "alias/aws/sns")
            return sns.Topic(self, topic.name, topic_name=self.naming.physical(topic.name), enforce_ssl=True,
                             master_key=key)  # fmt: skip

        def to_those_rules(actions: list[str], resources: list[str]) -> iam.PolicyStatement:
            return iam.PolicyStatement(
                sid="EventBridgeRulesPublish", principals=[iam.ServicePrincipal("events.amazonaws.com")],
                actions=actions, resources=resources,
                conditions={"ArnEquals": {"aws:SourceArn": [self._rule_arn(rule) for rule in rules]}},
            )  # fmt: skip

        about = f"encrypts {self.naming.physical(topic.name)}, which EventBridge rules publish to"
        own = kms.Key(self, f"{topic.name}-key", enable_key_rotation=True, removal_policy=self.removal,
                      description=about)  # fmt: skip
        own.add_to_resource_policy(to_those_rules(["kms:Decrypt", "kms:GenerateDataKey*"], ["*"]))
        construct = sns.Topic(self, topic.name, topic_name=self.naming.physical(topic.name), enforce_ssl=True,
                              master_key=own)  # fmt: skip
        construct.add_to_resource_policy(to_those_rules(["sns:Publish"], [construct.topic_arn]))
        return construct

    def _rule_arn(self, rule: Rule) -> str:
        """A rule's ARN built from its name, not referenced: the rule lives in the stateless stack."""
        path = ([self.naming.physical(rule.bus.name)] if rule.bus else []) + [self.naming.physical(rule.name)]
        return self.format_arn(service="events", resource="rule", resource_name="/".join(path))

    def _table(self, table: Any) -> None:
        keys: dict[str, Any] = {"partition_key": _attribute(table.partition_key)}
        if table.sort_key:
            keys["sort_key"] = _attribute(table.sort_key)
        construct = dynamodb.Table(
            self,
            table.name,
            table_name=self.naming.physical(table.name),
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
        self._export(table, construct, {"name": construct.table_name, "arn": construct.table_arn})

    def _bucket(self, bucket: Bucket) -> None:
        construct = s3.Bucket(
            self,
            bucket.name,
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            versioned=self.stage.retain_data,
            event_bridge_enabled=bucket.event_bridge,
            removal_policy=self.removal,
            auto_delete_objects=not self.stage.retain_data,
            server_access_logs_bucket=self.access_logs(),
            server_access_logs_prefix=f"{bucket.name}/",
        )
        values = {"name": construct.bucket_name, "arn": construct.bucket_arn}
        if bucket.site:
            # A static site: CloudFront reads the (private) bucket through origin access control.
            distribution = cloudfront.Distribution(
                self,
                f"{bucket.name}-cdn",
                comment=f"{self.workflow.name}: {bucket.site}",
                default_root_object="index.html",
                default_behavior=cloudfront.BehaviorOptions(
                    origin=origins.S3BucketOrigin.with_origin_access_control(construct),
                    viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
                ),
            )
            self.distributions.append(distribution)
            values["origin"] = f"https://{distribution.distribution_domain_name}"
        self._export(bucket, construct, values)

    def access_logs(self) -> s3.Bucket:
        """The server access log bucket of the workflow's buckets (made with the first of them)."""
        if self._access_logs is None:
            self._access_logs = s3.Bucket(
                self,
                "AccessLogs",
                encryption=s3.BucketEncryption.S3_MANAGED,
                enforce_ssl=True,
                block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
                removal_policy=self.removal,
                auto_delete_objects=not self.stage.retain_data,
                object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            )
        return self._access_logs

    def _queue(self, queue: Queue, dead_letters_of: Rule | None) -> None:
        """A queue and its dead-letter queue; a rule's dead-letter queue also lets that rule (only) send to it."""
        common: dict[str, Any] = {
            "encryption": sqs.QueueEncryption.SQS_MANAGED,
            "enforce_ssl": True,
            "removal_policy": self.removal,
            "fifo": queue.fifo or None,
        }
        values: dict[str, str] = {}
        dead_letter = None
        if queue.max_receive_count:
            dlq_name = names.dlq(queue.name)
            dlq = sqs.Queue(self, dlq_name, queue_name=self.naming.queue(dlq_name, fifo=queue.fifo),
                            retention_period=cdk.Duration.days(14), **common)  # fmt: skip
            cdk.Tags.of(dlq).add(names.TAG_RESOURCE, dlq_name)
            dead_letter = sqs.DeadLetterQueue(queue=dlq, max_receive_count=queue.max_receive_count)
            self.constructs[dlq_name] = dlq
            values.update({"dlq_url": dlq.queue_url, "dlq_arn": dlq.queue_arn})
        construct = sqs.Queue(
            self,
            queue.name,
            queue_name=self.naming.queue(queue.name, fifo=queue.fifo),
            visibility_timeout=cdk.Duration.seconds(queue.visibility_timeout),
            dead_letter_queue=dead_letter,
            retention_period=cdk.Duration.days(14),
            **common,
        )
        values.update({"url": construct.queue_url, "arn": construct.queue_arn, "name": construct.queue_name})
        if dead_letters_of is not None:
            construct.add_to_resource_policy(iam.PolicyStatement(
                sid="EventBridgeRuleDeadLetters", principals=[iam.ServicePrincipal("events.amazonaws.com")],
                actions=["sqs:SendMessage"], resources=[construct.queue_arn],
                conditions={"ArnEquals": {"aws:SourceArn": self._rule_arn(dead_letters_of)}},
            ))  # fmt: skip
            self.rule_dlqs.append(construct)
        elif not queue.max_receive_count:
            self.failure_stores.append(construct)
        self._export(queue, construct, values)

    def _contracts(self, workflow: Workflow) -> None:
        registry = eventschemas.CfnRegistry(
            self,
            "Contracts",
            registry_name=self.naming.physical(f"{workflow.name}_contracts"),
            description=f"JSON Schemas of the events {workflow.name} exchanges",
        )
        for contract, schema in sorted(workflow.contracts.items()):
            eventschemas.CfnSchema(
                self,
                f"schema-{contract}",
                registry_name=registry.attr_registry_name,
                schema_name=f"{workflow.name}.{contract}",
                type="JSONSchemaDraft4",
                content=json.dumps(as_draft4(schema)),
                description=str(schema.get("description", contract))[:256],
            )


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
