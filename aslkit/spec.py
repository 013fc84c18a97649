"""The Workflow spec: everything one business process declares, in one place.

Every consumer (the committed ASL, the local deployer, the CDK app) reads the spec; none re-declares a resource.
Resources enter the ASL as placeholders (`fn.arn`, `table.name_ref`), which the spec can fill because it declares
them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any

from aslkit import names
from aslkit.asl.machine import StateMachine
from aslkit.asl.values import PLACEHOLDER_IN_TEXT, Placeholder
from aslkit.errors import SpecError
from aslkit.events.rules import EventBus, Rule, Schedule
from aslkit.resources import (
    Api,
    Bucket,
    ContainerJob,
    Function,
    Queue,
    Resource,
    Route,
    Secret,
    SsmParameter,
    Table,
    Topic,
    check_name,
)

__all__ = ["Api", "Bucket", "ContainerJob", "EventBus", "Function", "Queue", "Required", "Route", "Rule", "Schedule",
           "Secret", "SpecError", "Table", "Topic", "Workflow", "machine_arn"]  # fmt: skip


def machine_arn(machine: StateMachine | str) -> Placeholder:
    """The ARN of a state machine of the catalogue, inside another definition (child executions)."""
    name = machine if isinstance(machine, str) else machine.name
    return Placeholder(names.machine_placeholder(name))


#: The CloudWatch namespace of the workflows' business metrics (Powertools Metrics; the service is the workflow).
METRICS_NAMESPACE = "aslkit"


def powertools_environment(workflow: str, *, local: bool) -> dict[str, str]:
    """What every function of a workflow runs with, for Powertools: its service (the workflow), log level, metrics
    namespace; locally no X-Ray daemon listens, so tracing is off there (in AWS the function's X-Ray is active)."""
    environment = {"POWERTOOLS_SERVICE_NAME": workflow, "POWERTOOLS_LOG_LEVEL": "INFO",
                   "POWERTOOLS_METRICS_NAMESPACE": METRICS_NAMESPACE}  # fmt: skip
    if local:
        environment["POWERTOOLS_TRACE_DISABLED"] = "true"
    return environment


@dataclass(frozen=True)
class Required:
    """A deploy-time parameter without a production default (an account's own Batch queue, a partner's URL): every
    stage must set it, and synth fails naming the parameter and the stage when one does not. `local` is the value
    local deployments (LocalStack, the engine) use, where a stand-in answers."""

    description: str
    local: str


@dataclass
class Workflow:
    """One business process: its state machines and the resources they use.

    `entry` is the machine an `--input` starts (default: the first); `ingress` names the queue that receives
    SQS-delivered triggers (an `--event` file holding a `Records[]` envelope). `parameters` are plain deploy-time
    values (`${name}` placeholders) such as polling intervals, with their production defaults, or `Required(...)`
    where only the stage can know the value.
    """

    name: str
    description: str
    machines: Sequence[StateMachine]
    functions: Sequence[Function] = ()
    tables: Sequence[Table] = ()
    buckets: Sequence[Bucket] = ()
    queues: Sequence[Queue] = ()
    topics: Sequence[Topic] = ()
    buses: Sequence[EventBus] = ()
    secrets: Sequence[Secret] = ()
    ssm_parameters: Sequence[SsmParameter] = ()
    apis: Sequence[Api] = ()
    jobs: Sequence[ContainerJob] = ()
    rules: Sequence[Rule] = ()
    schedules: Sequence[Schedule] = ()
    parameters: Mapping[str, str | Required] = field(default_factory=dict)
    contracts: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    #: Per machine, the S3 objects (ARN templates, placeholders allowed) its actions on input-given locations may
    #: touch: what its execution role is granted instead of `*` (a push's sources and its allowed destinations).
    object_scopes: Mapping[str, Sequence[str]] = field(default_factory=dict)
    entry: str | None = None
    ingress: str | None = None
    #: How to stand the workflow up locally when it needs more than a deploy (fakes of external systems, seed
    #: data): `local(clients, deploy)` is a context manager that calls `deploy(parameters)` and yields the
    #: Deployment. The demo, `aslkit run` and tests use it; AWS never does.
    local: Callable[..., AbstractContextManager[Any]] | None = None

    def __post_init__(self) -> None:
        check_name("workflow", self.name)
        for kind, declared in (
            ("resource", [r.name + ":" + r.kind for r in self.resources()]),
            ("state machine", [m.name for m in self.machines]),
            ("rule", [r.name for r in self.rules]),
            ("schedule", [s.name for s in self.schedules]),
        ):
            seen: set[str] = set()
            for name in declared:
                if name in seen:
                    raise SpecError(f"workflow {self.name!r} declares the {kind} {name.split(':')[0]!r} twice")
                seen.add(name)
        if self.entry is not None and self.entry not in {m.name for m in self.machines}:
            raise SpecError(f"workflow {self.name!r}: entry {self.entry!r} is not one of its state machines")
        queues = {q.name for q in self.queues}
        for function in self.functions:
            if function.queue_trigger is not None and function.queue_trigger not in queues:
                raise SpecError(f"function {function.name!r}: queue_trigger {function.queue_trigger!r} is not a queue")
        functions = {f.name for f in self.functions}
        for api in self.apis:
            for route in api.routes:
                if route.function not in functions:
                    raise SpecError(f"api {api.name!r}: route {route.method} {route.path} names no function of the "
                                    f"workflow ({route.function!r})")  # fmt: skip
        if self.ingress is not None and self.ingress not in queues:
            raise SpecError(f"workflow {self.name!r}: ingress {self.ingress!r} is not one of its queues")

    def resources(self) -> Iterator[Resource]:
        yield from self.functions
        yield from self.tables
        yield from self.buckets
        yield from self.queues
        yield from self.topics
        yield from self.buses
        yield from self.secrets
        yield from self.ssm_parameters
        yield from self.apis
        yield from self.jobs

    def local_parameters(self) -> dict[str, str]:
        """Every parameter's value for a local deployment: the default, or a required one's local stand-in value."""
        return {key: value.local if isinstance(value, Required) else value for key, value in self.parameters.items()}

    def adoptable(self) -> dict[str, Resource]:
        """The resources a stage may adopt (data stores), by spec name."""
        return {resource.name: resource for resource in self.resources() if resource.adoptable}

    def check_adopted(self, adopted: Mapping[str, str], where: str) -> None:
        """`adopted` (spec name -> existing name or ARN) names only resources of this workflow that can be adopted."""
        adoptable = self.adoptable()
        for name in adopted:
            if name not in adoptable:
                resources = {r.name: r.kind for r in self.resources()}
                what = (
                    f"its {resources[name]} {name!r} is created by every deployment"
                    if name in resources
                    else f"it declares no resource {name!r}"
                )
                raise SpecError(f"{where}: workflow {self.name!r} cannot adopt {name!r}: {what}; adoptable: "
                                f"{', '.join(sorted(adoptable)) or 'none'}")  # fmt: skip
            resource = adoptable[name]
            if isinstance(resource, Bucket) and resource.site:
                raise SpecError(f"{where}: bucket {name!r} of {self.name!r} publishes a site, which needs a bucket "
                                "the stack owns (CloudFront's access to it): let the stage create it")  # fmt: skip

    def functions_by_name(self) -> dict[str, Function]:
        return {function.name: function for function in self.functions}

    @property
    def entry_machine(self) -> StateMachine:
        return next(m for m in self.machines if self.entry in (None, m.name))

    def machine(self, name: str) -> StateMachine:
        for machine in self.machines:
            if machine.name == name:
                return machine
        raise SpecError(f"workflow {self.name!r} has no state machine {name!r}")

    def provided_placeholders(self) -> dict[str, str]:
        """Placeholder name -> what fills it, for every placeholder this spec can fill."""
        provided: dict[str, str] = {}
        for resource in self.resources():
            for placeholder, attribute in resource.placeholders().items():
                provided[placeholder] = f"{attribute} of {resource.kind} {resource.name!r}"
        for machine in self.machines:
            provided[machine_arn(machine).name] = f"ARN of state machine {machine.name!r}"
        for name in self.parameters:
            provided[name] = f"parameter {name!r}"
        return provided

    def check(self) -> None:
        """Every placeholder a machine (or an object scope) uses is provided by this spec."""
        provided = self.provided_placeholders()
        pseudo = {"AWS::Partition", "AWS::Region", "AWS::AccountId"}
        for name, scopes in self.object_scopes.items():
            self.machine(name)
            missing = sorted(
                {p for scope in scopes for p in PLACEHOLDER_IN_TEXT.findall(scope)} - set(provided) - pseudo
            )
            if missing:
                raise SpecError(f"workflow {self.name!r}: object scopes of {name!r} use placeholders nothing in the "
                                f"spec provides: {', '.join(missing)}")  # fmt: skip
        for machine in self.machines:
            missing = [p for p in machine.placeholders if p not in provided]
            if missing:
                raise SpecError(
                    f"workflow {self.name!r}, state machine {machine.name!r} uses placeholders nothing in the spec "
                    f"provides: {', '.join(missing)}. Declare the function or resource in the Workflow, "
                    f"or use its .arn; provided here: {', '.join(sorted(provided)) or 'none'}"
                )
