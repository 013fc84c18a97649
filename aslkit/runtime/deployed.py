"""Find what a deployment made, through the `aslkit:*` tags every deployer puts on it (`aslkit.names.TAG_*`): the
operator CLIs (`aslkit readset ...`, `aslkit sharing ...`) use this, never the shape of a physical name.

The same lookup serves LocalStack, the engine and a stage of the CDK app in AWS: `aslkit:workflow` names the
workflow, `aslkit:resource` the spec name, `aslkit:stage` the stage (the CDK app) or the prefix (local).
"""

from __future__ import annotations

from typing import Any

from aslkit import names
from aslkit.errors import UserInputError


def machines(sfn: Any, workflow: str, machine: str, stage: str | None = None) -> list[str]:
    """ARNs of the deployed state machines of spec name `machine` of `workflow` (of `stage`, when given)."""
    found = []
    for page in sfn.get_paginator("list_state_machines").paginate():
        for listed in page["stateMachines"]:
            tags = {t["key"]: t["value"] for t in sfn.list_tags_for_resource(resourceArn=listed["stateMachineArn"])
                    .get("tags", [])}  # fmt: skip
            if _ours(tags, workflow, machine, stage):
                found.append(listed["stateMachineArn"])
    return found


def queues(sqs: Any, workflow: str, queue: str, stage: str | None = None) -> list[str]:
    """URLs of the deployed queues of spec name `queue` of `workflow` (of `stage`, when given)."""
    found = []
    for page in sqs.get_paginator("list_queues").paginate():
        for url in page.get("QueueUrls", []):
            if _ours(sqs.list_queue_tags(QueueUrl=url).get("Tags", {}), workflow, queue, stage):
                found.append(url)
    return found


def one(found: list[str], what: str, workflow: str, stage: str | None, where: str) -> str:
    """The only one found, or an error that says what to do."""
    if len(found) == 1:
        return found[0]
    if not found:
        scope = f" of stage {stage!r}" if stage is not None else ""
        raise UserInputError(
            f"no {what}{scope} of the {workflow} workflow is deployed in {where}: deploy it (aslkit "
            f"deploy {workflow} --local, or the CDK app), or check --region/--endpoint-url/--stage"
        )
    listed = ", ".join(sorted(item.rsplit(":", 1)[-1].rsplit("/", 1)[-1] for item in found))
    raise UserInputError(
        f"{len(found)} deployments of the {workflow} workflow have a {what} in {where} ({listed}): "
        "choose one with --stage NAME (its aslkit:stage tag: the CDK stage, or the local prefix)"
    )


def _ours(tags: dict[str, str], workflow: str, resource: str, stage: str | None) -> bool:
    return (tags.get(names.TAG_WORKFLOW) == workflow and tags.get(names.TAG_RESOURCE) == resource
            and (stage is None or tags.get(names.TAG_STAGE) == stage))  # fmt: skip
