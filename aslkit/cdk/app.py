"""Render every workflow into the two stacks of a stage."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import aws_cdk as cdk

from aslkit.cdk.nag import apply_nag
from aslkit.cdk.stage import Stage
from aslkit.cdk.stateful import StatefulStack
from aslkit.cdk.stateless import StatelessStack
from aslkit.spec import Workflow


def render(
    app: cdk.App, stage: Stage, workflows: Sequence[Workflow], root: Path, *, nag: bool = True
) -> tuple[StatefulStack, StatelessStack]:
    env = cdk.Environment(account=stage.account, region=stage.region)
    for workflow in workflows:
        workflow.check()
    stateful = StatefulStack(app, stage, workflows, env=env)
    stateless = StatelessStack(app, stage, workflows, stateful, root, env=env)
    stateless.add_stack_dependency(stateful)
    for stack in (stateful, stateless):
        cdk.Tags.of(stack).add("aslkit:stage", stage.name)
    if nag:
        apply_nag(app, stateful, stateless)
    return stateful, stateless
