"""The CDK rendering of Workflow specs: a stateful and a stateless stack per workflow per stage, nothing declared
twice, any store (and a container job's queue) adoptable.

    app = cdk.App()
    render(app, Stage("dev", workflows={"readset": WorkflowSettings(adopt={...})}), workflows, root)

aws-cdk-lib is imported only here: the rest of aslkit (builders, linter, local runs) does not need it.
"""

from aslkit.cdk.app import render
from aslkit.cdk.stage import FEATURE_FLAGS, Stage, WorkflowSettings

__all__ = ["FEATURE_FLAGS", "Stage", "WorkflowSettings", "render", "synth"]


def synth(stage: Stage, root: object, outdir: str) -> object:
    """Synthesize every workflow of `root/workflows` for `stage` into `outdir` (two stacks each); returns the cloud
    assembly."""
    from pathlib import Path

    import aws_cdk as cdk

    from aslkit.build import discover

    app = cdk.App(outdir=outdir, context=dict(FEATURE_FLAGS))
    render(app, stage, discover(Path(str(root))), Path(str(root)))
    return app.synth()
