"""Render workflows into a stage: a stateful and a stateless stack per workflow, each pair deployable alone."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from pathlib import Path

import aws_cdk as cdk

from aslkit import names
from aslkit.cdk.nag import apply_nag
from aslkit.cdk.stage import FEATURE_FLAGS, Stage, local_account
from aslkit.cdk.stateful import StatefulStack
from aslkit.cdk.stateless import StatelessStack
from aslkit.errors import StageError
from aslkit.spec import Workflow


def render(
    app: cdk.App,
    stage: Stage,
    workflows: Sequence[Workflow],
    root: Path,
    *,
    nag: bool = True,
    only: Collection[str] | None = None,
) -> list[tuple[StatefulStack, StatelessStack]]:
    """The stack pairs of `workflows` (those named in `only`, when given) in `stage`."""
    for flag, value in FEATURE_FLAGS.items():  # what the stacks rely on, unless the app's context says otherwise
        if app.node.try_get_context(flag) is None:
            app.node.set_context(flag, value)
    env = cdk.Environment(account=stage.account, region=stage.region)
    known = {workflow.name for workflow in workflows}
    unknown = sorted(set(stage.workflows) - known)
    if unknown:
        raise StageError(f"stage {stage.name} configures {', '.join(unknown)}, which is no workflow here: "
                         f"{', '.join(sorted(known))}")  # fmt: skip
    unknown = sorted(set(only or ()) - known)
    if unknown:
        raise StageError(f"no workflow {', '.join(unknown)}: choose among {', '.join(sorted(known))}")
    pairs = []
    for workflow in workflows:
        if only is not None and workflow.name not in only:
            continue
        workflow.check()
        adopt = stage.settings(workflow.name).adopt
        workflow.check_adopted(adopt, f"stage {stage.name}")
        for name, existing in adopt.items():
            local = local_account(existing)
            if local is not None:
                raise StageError(f"stage {stage.name}, workflow {workflow.name}: adopted {name!r} is {existing!r}, in "
                                 f"the local account {local}: name the stage's own resource")  # fmt: skip
        stateful = StatefulStack(app, stage, workflow, env=env)
        stateless = StatelessStack(app, stage, workflow, stateful, root, env=env)
        if stateful.node.children:
            stateless.add_stack_dependency(stateful)
        else:  # a workflow without stores of its own (or that adopts them all) has no stateful stack
            app.node.try_remove_child(stateful.node.id)
        for stack in (stateful, stateless):
            cdk.Tags.of(stack).add(names.TAG_STAGE, stage.name)
            cdk.Tags.of(stack).add(names.TAG_WORKFLOW, workflow.name)
        if nag:
            apply_nag(stateful, stateless)
        pairs.append((stateful, stateless))
    return pairs
