"""The CDK app: every workflow of the catalogue, a stateful and a stateless stack each, per stage.

    cd infra
    npx aws-cdk@2 synth -c stage=dev                          # every workflow: dev-<workflow>-stateful/-stateless
    npx aws-cdk@2 diff  -c stage=prod -c workflows=readset    # one workflow's two stacks
    npx aws-cdk@2 deploy -c stage=prod -c workflows=readset --all

It runs under the project's venv (`make install` makes it): the CDK CLI calls `python3 app.py`, which moves itself
onto `../.venv/bin/python` when the Python it was started with lacks aws-cdk-lib. Run directly (`python app.py`,
with CDK_OUTDIR set), it reads cdk.json's context (the feature flags) as the CLI would.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _in_project_venv() -> None:
    """Re-run this app under the project's venv when the interpreter at hand has no aws-cdk-lib."""
    try:
        import aws_cdk  # noqa: F401
    except ImportError:
        venv = ROOT / ".venv"
        if (venv / "bin" / "python").exists() and Path(sys.prefix).resolve() != venv.resolve():
            os.execv(str(venv / "bin" / "python"), [str(venv / "bin" / "python"), *sys.argv])
        raise SystemExit(
            "aws-cdk-lib is not installed here: run `make install` at the project's root (it makes "
            ".venv), or install aslkit[cdk] into the Python that runs the CDK app"
        ) from None


def main() -> None:
    _in_project_venv()
    import aws_cdk as cdk

    sys.path.insert(0, str(ROOT))
    from aslkit.build import discover
    from aslkit.cdk import FEATURE_FLAGS, render
    from aslkit.errors import AslkitError
    from infra.stages import STAGES

    context = json.loads((Path(__file__).with_name("cdk.json")).read_text())["context"]
    app = cdk.App(context={**context, **FEATURE_FLAGS})
    name = app.node.try_get_context("stage") or "dev"
    if name not in STAGES:
        raise SystemExit(f"unknown stage {name!r}: choose one of {', '.join(STAGES)} (cdk ... -c stage=NAME)")
    chosen = app.node.try_get_context("workflows")
    try:
        render(app, STAGES[name], discover(ROOT), ROOT, only=str(chosen).split(",") if chosen else None)
    except AslkitError as error:
        raise SystemExit(f"cdk synth: {error}") from None
    app.synth()


if __name__ == "__main__":
    main()
