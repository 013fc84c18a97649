"""The CDK app: every workflow of the catalogue, in a stateful and a stateless stack per stage.

cd infra && npx cdk synth -c stage=dev      (or: python app.py, with CDK_OUTDIR set)
npx cdk deploy -c stage=dev --all
"""

from __future__ import annotations

import sys
from pathlib import Path

import aws_cdk as cdk

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from aslkit.build import discover  # noqa: E402
from aslkit.cdk import FEATURE_FLAGS, render  # noqa: E402
from infra.stages import STAGES  # noqa: E402


def main() -> cdk.App:
    app = cdk.App(context=dict(FEATURE_FLAGS))
    name = app.node.try_get_context("stage") or "dev"
    if name not in STAGES:
        raise SystemExit(f"unknown stage {name!r}: choose one of {', '.join(STAGES)} (cdk ... -c stage=NAME)")
    render(app, STAGES[name], discover(ROOT), ROOT)
    app.synth()
    return app


if __name__ == "__main__":
    main()
