"""Find what a deployment made, through the `aslkit:*` tags every deployer puts on it (`aslkit.names.TAG_*`): the
operator CLIs (`aslkit readset ...`, `aslkit sharing ...`) use this, never the shape of a physical name.

The same lookup serves LocalStack, the engine and a stage of the CDK app in AWS: `aslkit:workflow` names the
workflow, `aslkit:resource` the spec name, `aslkit:stage` the stage (the CDK app) or the prefix (local).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from aslkit import names
from aslkit.errors import UserInputError


def add_options(parser: Any, *, region_required: bool = False, short: bool = False) -> None:
    """The options by which an operator command finds a deployment: --region (-r with `short`), --profile,
    --endpoint-url and --stage (`client_factory` and `machines` read them)."""
    flags = ("-r", "--region") if short else ("--region",)
    region = "AWS region" if region_required else "AWS region (with --profile: the deployment's)"
    parser.add_argument(*flags, required=region_required, default=None, help=region)
    credentials = "the environment's credentials" if region_required else "LocalStack when one runs here"
    parser.add_argument("--profile", default=None, help=f"AWS profile (default: {credentials})")
    parser.add_argument("--endpoint-url", default=None, help="another endpoint, e.g. a LocalStack")
    parser.add_argument(
        "--stage",
        default=None,
        help="the deployment's stage (the CDK stage, or the local prefix), when several are found",
    )


def client_factory(profile: str | None, region: str | None, endpoint_url: str | None) -> Callable[..., Any]:
    """`client(service, **botocore_config)` for an operator command: AWS with a profile or a region (and no
    endpoint), otherwise the endpoint given or the LocalStack `aslkit local up` started here."""
    if profile or (region and not endpoint_url):
        import boto3
        from botocore.config import Config

        session = boto3.Session(profile_name=profile, region_name=region)
        return lambda service, **config: session.client(service, config=Config(**config) if config else None)
    from aslkit.local.clients import AwsClients
    from aslkit.local.launcher import Launcher

    endpoint = endpoint_url or getattr(Launcher(Path.cwd()).status(), "url", None)
    if endpoint is None:
        raise UserInputError("no LocalStack is running here and no AWS profile was given: give --profile and "
                             "--region, or start LocalStack (aslkit local up)")  # fmt: skip
    return AwsClients(endpoint, region or "us-east-1").client


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
