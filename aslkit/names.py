"""Every name a deployment gives what a Workflow spec declares, made here and nowhere else.

The CDK renderer, the IAM derivation, the local deployer (LocalStack and the engine) and the operator CLIs all
ask this module; none of them builds a name by hand or finds a deployment by taking a name apart (they read the
`aslkit:*` tags, `TAG_WORKFLOW`, `TAG_RESOURCE`, `TAG_STAGE`).

- Placeholders: how a definition refers to a resource (`${metadata_table_table_name}`, `${x_state_machine_arn}`).
- Physical names: a spec name (`readset_status`) under the deployment's prefix. A stage of the CDK app writes
  `dev-readset-status` (the stage first, hyphens, so stages share an account); a local deployment keeps the spec
  name as written after its prefix (`t1_readset_status`). Buckets are always lowercase with hyphens (S3's rules).
  An adopted resource keeps the name it already has.
- Dead-letter queues: a queue's is `<queue>_dlq`; a rule that names none gets `<rule>_dlq`.
- Exports: what a workflow's stateful stack offers its stateless stack (and operators) as CloudFormation outputs.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

#: The tags every deployed resource carries: deployments are found through them.
TAG_WORKFLOW, TAG_RESOURCE, TAG_STAGE = "aslkit:workflow", "aslkit:resource", "aslkit:stage"


def placeholder(resource: str, kind: str, attribute: str) -> str:
    """The placeholder name of a resource's attribute: `placeholder("jobs", "table", "name")` -> `jobs_table_name`."""
    return f"{resource}_{kind}_{attribute}"


def machine_placeholder(machine: str, attribute: str = "arn") -> str:
    """A state machine's ARN (or name) inside a definition: `<machine>_state_machine_arn`."""
    return placeholder(machine, "state_machine", attribute)


def topic_key(topic: str) -> str:
    """The export (a placeholder-like name) of the KMS key of a topic that EventBridge rules publish to."""
    return placeholder(topic, "topic", "key_arn")


def dlq(queue: str) -> str:
    """The spec name of a queue's (or a rule's) dead-letter queue."""
    return f"{queue}_dlq"


@dataclass(frozen=True)
class Naming:
    """The physical names of one deployment.

    `prefix` namespaces the deployment; `hyphens` writes names the AWS way (a stage: `dev-readset-status`);
    `adopted` maps a spec name to the name (or ARN) of the existing resource that stands for it.
    """

    prefix: str = ""
    hyphens: bool = False
    adopted: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def for_stage(cls, stage: str, adopted: Mapping[str, str] | None = None) -> Naming:
        return cls(f"{stage}-", hyphens=True, adopted=dict(adopted or {}))

    def physical(self, name: str) -> str:
        """The deployed name of a function, table, queue (without `.fifo`), topic, bus, secret, rule or machine."""
        if name in self.adopted:
            return name_of(self.adopted[name])
        return self.own(name)

    def own(self, name: str) -> str:
        """The name the deployment gives `name`'s resource of its own, adopted or not (an adopted job queue's job
        definition is the deployment's)."""
        text = f"{self.prefix}{name}"
        return text.replace("_", "-") if self.hyphens else text

    def queue(self, name: str, *, fifo: bool = False) -> str:
        return self.physical(name) + (".fifo" if fifo and name not in self.adopted else "")

    def bucket(self, name: str) -> str:
        if name in self.adopted:
            return name_of(self.adopted[name])
        return f"{self.prefix}{name}".replace("_", "-").lower()

    def role(self, workflow: str, service: str) -> str:
        """The role a service assumes for the workflow locally (`<workflow>-lambda`, `-states`, `-events`)."""
        return f"{self.physical(workflow)}-{service}"

    def export(self, workflow: str, placeholder_name: str) -> str:
        """The CloudFormation export of a placeholder's value (CloudFormation allows letters, digits, `-` and `:`)."""
        return f"{self.prefix}{workflow}:{placeholder_name}".replace("_", "-")

    def is_adopted(self, name: str) -> bool:
        return name in self.adopted


def name_of(name_or_arn: str) -> str:
    """The resource name inside an ARN (`...:table/NAME`, `...:queue`, `arn:aws:s3:::bucket`), or the name itself."""
    if not name_or_arn.startswith("arn:"):
        return name_or_arn
    resource = name_or_arn.split(":", 5)[5]  # table/NAME, event-bus/NAME, secret:NAME-abcdef, NAME
    if "/" in resource:
        return resource.split("/", 1)[1]
    if resource.startswith("secret:"):  # a secret's ARN ends in a random suffix its name does not have
        return re.sub(r"-[A-Za-z0-9]{6}$", "", resource.removeprefix("secret:"))
    return resource
