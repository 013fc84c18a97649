"""The stores a workflow's stateless stack uses, referenced (never created) there: the ones its stateful stack made,
through their exports, and the ones the stage adopts, by the name or ARN it gives. Both become the same `from_*`
constructs, so grants, event sources and alarms treat an adopted table exactly as a created one.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_ssm as ssm

from aslkit import names
from aslkit.errors import StageError
from aslkit.resources import Queue, Resource
from aslkit.spec import Workflow


def stores(workflow: Workflow) -> Iterator[Resource]:
    """Every store of the workflow the stateful stack holds or the stage adopts (rules' dead-letter queues too)."""
    yield from (resource for resource in workflow.resources() if resource.stateful)
    yield from (rule.dead_letter_queue for rule in workflow.rules if rule.dlq is None)


def imported_values(resource: Resource, exports: dict[str, str]) -> dict[str, str]:
    """attribute -> the imported export of a store the stateful stack created."""
    values = {attribute: cdk.Fn.import_value(exports[placeholder])
              for placeholder, attribute in resource.placeholders().items() if placeholder in exports}  # fmt: skip
    if resource.kind == "topic" and names.topic_key(resource.name) in exports:  # its own key: publishers need it
        values["key_arn"] = cdk.Fn.import_value(exports[names.topic_key(resource.name)])
    return values


def adopted_values(stack: cdk.Stack, resource: Resource, name_or_arn: str, naming: names.Naming) -> dict[str, str]:
    """attribute -> value of an existing store the stage names (an ARN is taken as given, a name is made an ARN in
    the stack's account and region)."""
    name = naming.bucket(resource.name) if resource.kind == "bucket" else naming.physical(resource.name)
    given = name_or_arn if name_or_arn.startswith("arn:") else None
    if resource.kind == "table":
        return {
            "name": name,
            "arn": given or stack.format_arn(service="dynamodb", resource="table", resource_name=name),
        }
    if resource.kind == "bucket":
        return {"name": name, "arn": given or f"arn:{stack.partition}:s3:::{name}"}
    if resource.kind == "queue":
        arn = given or stack.format_arn(service="sqs", resource=name)
        return {
            "name": name,
            "arn": arn,
            "url": f"https://sqs.{stack.region}.{stack.url_suffix}/{stack.account}/{name}",
        }
    if resource.kind == "topic":
        return {"arn": given or stack.format_arn(service="sns", resource=name)}
    if resource.kind == "bus":
        return {
            "name": name,
            "arn": given or stack.format_arn(service="events", resource="event-bus", resource_name=name),
        }
    if resource.kind == "secret":
        return {
            "name": name,
            "arn": given
            or stack.format_arn(
                service="secretsmanager",
                resource="secret",
                resource_name=name,
                arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME,
            ),
        }
    if resource.kind == "ssm_parameter":
        return {"name": name, "arn": given or stack.format_arn(service="ssm", resource="parameter",
                                                               resource_name=name.lstrip("/"))}  # fmt: skip
    raise StageError(f"a {resource.kind} cannot be adopted")


def reference(stack: cdk.Stack, resource: Resource, values: dict[str, str], *, adopted: str | None) -> dict[str, Any]:
    """spec name -> construct: the store itself and, for a queue with one, its dead-letter queue (`<name>_dlq`).
    `adopted` is the name or ARN the stage gives an adopted store (None for one the stateful stack made)."""
    id_ = f"{resource.name}-{'adopted' if adopted else 'ref'}"
    kind = resource.kind
    if kind == "table":
        return {resource.name: dynamodb.Table.from_table_arn(stack, id_, values["arn"])}
    if kind == "bucket":
        return {resource.name: s3.Bucket.from_bucket_attributes(stack, id_, bucket_arn=values["arn"],
                                                                bucket_name=values["name"])}  # fmt: skip
    if kind == "queue":
        assert isinstance(resource, Queue)
        fifo = resource.fifo or None
        found = {
            resource.name: sqs.Queue.from_queue_attributes(
                stack, id_, queue_arn=values["arn"], fifo=fifo, queue_url=values["url"], queue_name=values["name"]
            )
        }
        if "dlq_arn" in values:
            found[names.dlq(resource.name)] = sqs.Queue.from_queue_attributes(
                stack, f"{id_}-dlq", queue_arn=values["dlq_arn"], queue_url=values["dlq_url"], fifo=fifo
            )
        return found
    if kind == "topic":
        return {resource.name: sns.Topic.from_topic_attributes(stack, id_, topic_arn=values["arn"],
                                                                key_arn=values.get("key_arn"))}  # fmt: skip
    if kind == "bus":
        return {resource.name: events.EventBus.from_event_bus_arn(stack, id_, values["arn"])}
    if kind == "secret":
        if adopted and not adopted.startswith("arn:"):  # adopted by name: the ARN's random suffix is unknown
            return {resource.name: secretsmanager.Secret.from_secret_name_v2(stack, id_, values["name"])}
        return {resource.name: secretsmanager.Secret.from_secret_complete_arn(stack, id_, values["arn"])}
    if kind == "ssm_parameter":
        return {resource.name: ssm.StringParameter.from_string_parameter_attributes(
            stack, id_, parameter_name=values["name"], simple_name=not values["name"].startswith("/"))}  # fmt: skip
    raise StageError(f"a {kind} is not a store")
