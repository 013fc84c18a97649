"""The resources a Workflow declares besides its state machines: functions and data stores.

Each resource knows the placeholders through which definitions refer to it (`table.name_ref`, `fn.arn` ...);
the deployers (local and CDK) fill them from what they created.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from aslkit import names
from aslkit.asl.values import Placeholder
from aslkit.errors import SpecError

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
KeyType = Literal["S", "N", "B"]


def check_name(kind: str, name: str) -> None:
    if not _NAME.match(name) or len(name) > 48:
        raise SpecError(f"{kind} name {name!r} must be snake_case (a-z, 0-9, _), start with a letter, <= 48 chars")


@dataclass(frozen=True)
class Resource:
    name: str

    kind = "resource"
    #: Whether a stage may adopt an existing resource for this one instead of creating it (data stores can).
    adoptable = False
    #: Whether it holds data: made by the workflow's stateful stack (kept with the data), else by its stateless one.
    stateful = False

    def __post_init__(self) -> None:
        check_name(self.kind, self.name)

    def placeholder(self, attribute: str) -> Placeholder:
        return Placeholder(names.placeholder(self.name, self.kind, attribute))

    def placeholders(self) -> dict[str, str]:
        """Placeholder name -> attribute of the deployed resource ("name", "arn", "url")."""
        return {self.placeholder(a).name: a for a in self.attributes()}

    def attributes(self) -> tuple[str, ...]:
        return ("arn",)

    @property
    def arn(self) -> Placeholder:
        """The resource's ARN inside a definition."""
        return self.placeholder("arn")

    @property
    def name_ref(self) -> Placeholder:
        """The resource's deploy-time name inside a definition (tables, buckets, buses, functions, secrets)."""
        if "name" not in self.attributes():
            raise SpecError(f"a {self.kind} has no name placeholder: refer to {self.name!r} by its .arn")
        return self.placeholder("name")


AccessLevel = Literal["read", "write", "read_write", "send", "publish", "put_events", "complete_tasks", "operate"]


@dataclass(frozen=True)
class Access:
    """What a function may do to a resource of its workflow (CDK turns it into grants; LocalStack ignores IAM)."""

    level: AccessLevel
    resource: str = ""  # the resource's spec name; empty for `complete_tasks` (task tokens are not scoped)


def reads(resource: Resource) -> Access:
    return Access("read", resource.name)


def writes(resource: Resource) -> Access:
    return Access("read_write", resource.name)


def sends_to(queue: Resource) -> Access:
    return Access("send", queue.name)


def publishes_to(resource: Resource) -> Access:
    return Access("put_events" if resource.kind == "bus" else "publish", resource.name)


def completes_tasks() -> Access:
    return Access("complete_tasks")


def operates(machine: Any) -> Access:
    """Start, describe and stop the executions of one of the workflow's state machines (a StateMachine, or its
    spec name): what an API in front of the workflow does."""
    return Access("operate", machine if isinstance(machine, str) else machine.name)


@dataclass(frozen=True)
class Function(Resource):
    """A task Lambda: `handler` is the dotted path of its handler, `tasks.<process>.<module>.<function>` for the
    catalogue (tests may point at their own packages)."""

    handler: str = ""
    timeout: int = 30
    memory: int = 256
    #: MB of /tmp (Lambda's ephemeral storage, 512 to 10240): room for files it works on, such as a mapped index
    ephemeral_storage: int = 512
    environment: Mapping[str, str | Placeholder] = field(default_factory=dict)
    description: str = ""
    #: Name of a Queue of the workflow whose messages invoke this function (partial batch responses on).
    queue_trigger: str | None = None
    batch_size: int = 10
    #: What the function may do to the workflow's other resources (least privilege in AWS).
    access: Sequence[Access] = ()
    #: The business counts its handler emits (Powertools Metrics, namespace `aslkit`, the workflow as service):
    #: graphed on the workflow's dashboard.
    metrics: Sequence[str] = ()

    kind = "function"

    def __post_init__(self) -> None:
        super().__post_init__()
        if not 512 <= self.ephemeral_storage <= 10240:
            raise SpecError(
                f"function {self.name!r}: ephemeral_storage is 512 to 10240 MB, not {self.ephemeral_storage}"
            )
        if self.handler.count(".") < 2 or not all(part.isidentifier() for part in self.handler.split(".")):
            raise SpecError(
                f"function {self.name!r}: handler {self.handler!r} must be a dotted path such as "
                "'tasks.<process>.<module>.<function>'"
            )

    def attributes(self) -> tuple[str, ...]:
        return ("arn", "name")


@dataclass(frozen=True)
class Table(Resource):
    """A DynamoDB table (on demand), keyed by `partition_key` and an optional `sort_key`."""

    partition_key: tuple[str, KeyType] = ("pk", "S")
    sort_key: tuple[str, KeyType] | None = None
    stream: Literal["NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES", "KEYS_ONLY"] | None = None
    ttl_attribute: str | None = None

    kind = "table"
    adoptable = True
    stateful = True

    def attributes(self) -> tuple[str, ...]:
        return ("name", "arn")


@dataclass(frozen=True)
class Bucket(Resource):
    """An S3 bucket; `event_bridge` sends its object events to the default EventBridge bus."""

    event_bridge: bool = False
    #: A folder of the project (e.g. `web/crackling`) whose files are published in the bucket as a static site,
    #: with `config.json` holding `site_config` (deploy-time values such as an API's URL) beside them.
    site: str | None = None
    site_config: Mapping[str, str | Placeholder] = field(default_factory=dict)

    kind = "bucket"
    adoptable = True
    stateful = True

    @property
    def origin(self) -> Placeholder:
        """A site bucket's origin (`https://host`, no path): what an API it calls allows in CORS."""
        if not self.site:
            raise SpecError(f"bucket {self.name!r} publishes no site: only a site has an origin")
        return self.placeholder("origin")

    def attributes(self) -> tuple[str, ...]:
        return ("name", "arn") + (("origin",) if self.site else ())


@dataclass(frozen=True)
class Queue(Resource):
    """An SQS queue with a dead-letter queue (`<name>_dlq`) after `max_receive_count` failed receives; None for a
    queue that is itself where failures are kept (nothing consumes it but an operator's redrive)."""

    fifo: bool = False
    visibility_timeout: int = 30
    max_receive_count: int | None = 3

    kind = "queue"
    adoptable = True
    stateful = True

    @property
    def url(self) -> Placeholder:
        return self.placeholder("url")

    @property
    def dlq_url(self) -> Placeholder:
        return self.placeholder("dlq_url")

    def attributes(self) -> tuple[str, ...]:
        return ("url", "arn", "name") + (("dlq_url", "dlq_arn") if self.max_receive_count else ())


@dataclass(frozen=True)
class SsmParameter(Resource):
    """An SSM Parameter Store string that operators change while the workflow runs (a switch, a skip list):
    definitions read it at run time (`aws-sdk:ssm:getParameter`), so a change takes effect without a deploy.
    `value` is what a new deployment starts with; a deployment that finds the parameter keeps the value it holds."""

    value: str = ""
    description: str = ""

    kind = "ssm_parameter"
    adoptable = True
    stateful = True

    def attributes(self) -> tuple[str, ...]:
        return ("name", "arn")


@dataclass(frozen=True)
class Secret(Resource):
    """A Secrets Manager secret. `local_value` is what the local deployer stores (never a real credential);
    in AWS the value is set by an operator."""

    local_value: str = "local-development-value"
    description: str = ""
    #: Who rotates the secret and how, when no rotation Lambda can (keys issued by another system): the reason the
    #: stage's reviewers (cdk-nag's SMG4) read. Empty: the secret needs a rotation schedule, and synth says so.
    rotation: str = ""

    kind = "secret"
    adoptable = True
    stateful = True

    def attributes(self) -> tuple[str, ...]:
        return ("arn", "name")


@dataclass(frozen=True)
class Topic(Resource):
    """An SNS topic; `subscribe_queues` get its messages (raw delivery)."""

    subscribe_queues: Sequence[str] = ()

    kind = "topic"
    adoptable = True
    stateful = True


HttpMethod = Literal["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


@dataclass(frozen=True)
class Route:
    """`method path` of an API, answered by one of the workflow's functions (Lambda proxy integration)."""

    method: HttpMethod
    path: str  # "/submit", "/results/{jobId}"
    function: str  # the Function's spec name


@dataclass(frozen=True)
class Api(Resource):
    """A REST API (API Gateway) whose routes call the workflow's functions; `url` is its invoke URL (no trailing
    slash) for definitions, environments and sites."""

    routes: Sequence[Route] = ()
    stage: str = "api"
    description: str = ""
    #: API Gateway's stage throttling (requests per second, and the burst above it): numbers or parameters, so
    #: each stage sets its own; None leaves the account's default.
    rate_limit: str | Placeholder | None = None
    burst_limit: str | Placeholder | None = None
    #: `iam`: every method authorises with IAM (callers sign with SigV4 and need execute-api:Invoke; the function
    #: sees the caller in `requestContext.identity`); `none`: a public API.
    auth: Literal["none", "iam"] = "none"

    kind = "api"

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.auth not in ("none", "iam"):
            raise SpecError(f"api {self.name!r}: auth is 'none' or 'iam', not {self.auth!r}")
        for route in self.routes:
            if not route.path.startswith("/") or (route.path.endswith("/") and route.path != "/"):
                raise SpecError(f"api {self.name!r}: route path {route.path!r} must start with / and not end with /")

    @property
    def url(self) -> Placeholder:
        return self.placeholder("url")

    def attributes(self) -> tuple[str, ...]:
        return ("url", "id")


#: AWS Batch on Fargate: the memory (MiB) each vCPU count allows, as (least, most, step).
FARGATE_MEMORY = {0.25: (512, 2048, 512), 0.5: (1024, 4096, 1024), 1: (2048, 8192, 1024), 2: (4096, 16384, 1024),
                  4: (8192, 30720, 1024), 8: (16384, 61440, 4096), 16: (32768, 122880, 8192)}  # fmt: skip


@dataclass(frozen=True)
class ContainerJob(Resource):
    """Work that outgrows a Lambda (hours, tens of GB of memory or disk) as an AWS Batch job on Fargate: `python -m
    <module> <arguments>` in an image built from the project's `dockerfile`, with the module's process package
    (`tasks/<process>/`) and the tasks' requirements. An argument may be `Ref::<name>`, which Batch fills from the
    SubmitJob request's `Parameters`. Definitions submit to `queue_arn` with `definition_arn`.

    The stacks create the job definition and, unless the stage adopts an existing job queue for it (by name or ARN),
    a Fargate compute environment and its queue in a VPC of their own. Locally the engine runs the module in
    process (LocalStack has no Batch)."""

    module: str = ""
    arguments: Sequence[str] = ()
    vcpus: float = 1
    memory: int = 2048  # MiB
    ephemeral_storage: int = 21  # GiB of the task's disk (Fargate: 21 to 200)
    timeout: int = 3600  # seconds an attempt may run before Batch stops it
    attempts: int = 1  # tries of a job whose container fails (Batch's retry strategy)
    max_vcpus: int = 64  # the created compute environment's ceiling: how many such jobs run at once
    dockerfile: str = "tasks/Dockerfile"
    environment: Mapping[str, str | Placeholder] = field(default_factory=dict)
    access: Sequence[Access] = ()
    description: str = ""

    kind = "job"
    adoptable = True

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.module.count(".") < 2 or not all(part.isidentifier() for part in self.module.split(".")):
            raise SpecError(f"job {self.name!r}: module {self.module!r} must be a dotted path such as "
                            "'tasks.<process>.<module>' (run as python -m)")  # fmt: skip
        allowed = FARGATE_MEMORY.get(self.vcpus)
        if allowed is None:
            raise SpecError(f"job {self.name!r}: Fargate runs {', '.join(map(str, FARGATE_MEMORY))} vCPUs, "
                            f"not {self.vcpus}")  # fmt: skip
        least, most, step = allowed
        if not (least <= self.memory <= most and (self.memory - least) % step == 0):
            raise SpecError(f"job {self.name!r}: with {self.vcpus} vCPUs Fargate gives {least} to {most} MiB in "
                            f"steps of {step}, not {self.memory}")  # fmt: skip
        if not 21 <= self.ephemeral_storage <= 200:
            raise SpecError(f"job {self.name!r}: ephemeral_storage is 21 to 200 GiB, not {self.ephemeral_storage}")
        if not 1 <= self.attempts <= 10:
            raise SpecError(f"job {self.name!r}: attempts is 1 to 10 (Batch's retry strategy), not {self.attempts}")
        if self.max_vcpus < self.vcpus:
            raise SpecError(f"job {self.name!r}: max_vcpus {self.max_vcpus} is below the job's {self.vcpus} vCPUs: "
                            "Batch would never start it")  # fmt: skip
        if self.timeout < 60:
            raise SpecError(f"job {self.name!r}: timeout is at least 60 seconds (Batch's least), not {self.timeout}")

    @property
    def command(self) -> list[str]:
        return ["python", "-m", self.module, *self.arguments]

    @property
    def queue_arn(self) -> Placeholder:
        """The job queue's ARN inside a definition (SubmitJob's JobQueue)."""
        return self.placeholder("queue_arn")

    @property
    def definition_arn(self) -> Placeholder:
        """The job definition's ARN inside a definition (SubmitJob's JobDefinition)."""
        return self.placeholder("definition_arn")

    def attributes(self) -> tuple[str, ...]:
        return ("queue_arn", "definition_arn")
