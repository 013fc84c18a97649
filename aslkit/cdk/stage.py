"""Stage configuration: where a copy of the platform lives and how it differs (names, retention, what it adopts,
parameters), typed, one place per stage (`infra/stages.py`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from aslkit.asl.values import PLACEHOLDER_IN_TEXT
from aslkit.errors import StageError
from aslkit.names import Naming
from aslkit.spec import Required, Workflow

#: CDK feature flags the app relies on whatever the project's cdk.json says (pass as the App's context). The CDK's
#: recommended flags as a whole are in infra/cdk.json, as `cdk init` writes them.
FEATURE_FLAGS: Mapping[str, object] = {
    "@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy": True,  # access logs by bucket policy, not a legacy ACL
    "@aws-cdk/aws-iam:minimizePolicies": True,
}


@dataclass(frozen=True)
class WorkflowSettings:
    """How one stage deploys one workflow.

    `adopt` maps a store of the spec (its spec name: a table, bucket, queue, topic, bus, secret or SSM parameter) to
    the existing resource that stands for it, by name or ARN: the stage creates none of them and grants on the named
    ones. A container job's is an existing AWS Batch job queue: the stage then makes only the job's definition.
    `parameters` override the workflow's parameters and set its required ones (`aslkit.spec.Required`).
    """

    adopt: Mapping[str, str] = field(default_factory=dict)
    parameters: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Stage:
    """One deployment of the workflows (dev, prod ...): a stateful and a stateless stack per workflow.

    `retain_data` keeps tables, buckets, queues and dead-letter queues when a stack is deleted (production);
    `workflows` holds per workflow what the stage adopts and its parameter values.
    """

    name: str
    account: str | None = None
    region: str = "ap-southeast-2"
    retain_data: bool = False
    log_retention_days: int = 30
    alarm_email: str | None = None
    workflows: Mapping[str, WorkflowSettings] = field(default_factory=dict)

    def settings(self, workflow: str) -> WorkflowSettings:
        return self.workflows.get(workflow, WorkflowSettings())

    def naming(self, workflow: str) -> Naming:
        """The names this stage gives the workflow's resources (its adopted ones keep theirs)."""
        return Naming.for_stage(self.name, self.settings(workflow).adopt)

    def stack_name(self, workflow: str, kind: str) -> str:
        return f"{self.name}-{workflow}-{kind}".replace("_", "-")


#: Account ids that only LocalStack and moto use: a value holding one would point a real stage at nothing.
LOCAL_ACCOUNTS = ("000000000000", "123456789012")


def local_account(text: str) -> str | None:
    """The LocalStack or moto account id `text` names, if any."""
    return next((account for account in LOCAL_ACCOUNTS if account in text), None)


def stage_texts(stage: Stage, workflow: Workflow) -> dict[str, str | Required]:
    """The workflow's parameters as the stage sets them (its defaults where it does not), before any filling."""
    settings = stage.settings(workflow.name).parameters
    return {name: settings.get(name, default) for name, default in workflow.parameters.items()}


def stage_parameters(stage: Stage, workflow: Workflow, pseudo: Mapping[str, str]) -> dict[str, str]:
    """The workflow's parameter values in `stage`: its defaults under the stage's settings, with `${AWS::Partition}`,
    `${AWS::Region}` and `${AWS::AccountId}` in a value filled from `pseudo` (the stack's). A required parameter the
    stage does not set, a setting for a parameter the workflow does not have, or a LocalStack account id fails the
    synth."""
    settings = stage.settings(workflow.name).parameters
    where = f"stage {stage.name}, workflow {workflow.name}"
    unknown = sorted(set(settings) - set(workflow.parameters))
    if unknown:
        raise StageError(f"{where}: no parameter {', '.join(unknown)}; its parameters: "
                         f"{', '.join(sorted(workflow.parameters)) or 'none'}")  # fmt: skip
    values: dict[str, str] = {}
    for name, value in stage_texts(stage, workflow).items():
        if isinstance(value, Required):
            raise StageError(
                f"{where}: parameter {name!r} has no value ({value.description}): set it in the stage's "
                f"settings, WorkflowSettings(parameters={{{name!r}: ...}}) in infra/stages.py"
            )
        local = local_account(value)
        if local is not None:
            raise StageError(f"{where}: parameter {name!r} is {value!r}, which names the local account {local}: set "
                             "the stage's own value (${AWS::AccountId} stands for the stage's account)")  # fmt: skip
        values[name] = PLACEHOLDER_IN_TEXT.sub(lambda match: pseudo.get(match.group(1), match.group(0)), value)
    return values
