"""The CDK rendering of Workflow specs: a stateful and a stateless stack per stage, nothing declared twice.

    app = cdk.App()
    render(app, Stage("dev", ...), workflows, root)

aws-cdk-lib is imported only here: the rest of aslkit (builders, linter, local runs) does not need it.
"""

from aslkit.cdk.app import render
from aslkit.cdk.stage import FEATURE_FLAGS, Stage

__all__ = ["FEATURE_FLAGS", "Stage", "render", "synth"]


def synth(stage: Stage, root: object, outdir: str) -> object:
    """Synthesize every workflow of `root/workflows` for `stage` into `outdir`; returns the cloud assembly."""
    from pathlib import Path

    import aws_cdk as cdk

    from aslkit.build import discover

    app = cdk.App(outdir=outdir, context=dict(FEATURE_FLAGS))
    render(app, stage, discover(Path(str(root))), Path(str(root)))
    return app.synth()
