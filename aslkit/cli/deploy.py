"""`aslkit deploy WORKFLOW --local`: the workflow's resources on LocalStack (again: updated in place)."""

from __future__ import annotations

import argparse

from aslkit.cli._common import add_root, ensure_current, root, workflow


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("workflow")
    parser.add_argument("--local", action="store_true", required=True, help="deploy to LocalStack (the only target)")
    parser.add_argument("--teardown", action="store_true", help="delete what a deploy created instead")
    parser.add_argument("--zip", action="store_true", help="package functions as zips instead of hot reload")
    add_root(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from aslkit.local.clients import AwsClients
    from aslkit.local.deployer import LocalDeployer
    from aslkit.local.launcher import Launcher

    base = root(args)
    spec = workflow(base, args.workflow)
    if not args.teardown:
        ensure_current(base, spec)
    endpoint = Launcher(base).up()
    deployer = LocalDeployer(AwsClients(endpoint.url), base, code="zip" if args.zip else "hot-reload")
    deployment = deployer.deploy(spec)
    if args.teardown:
        deployer.teardown(deployment)
        print(f"removed {spec.name} from {endpoint.url}")
        return 0
    print(f"deployed {spec.name} to {endpoint.url}")
    for name, arn in deployment.machines.items():
        print(f"  state machine {name}: {arn}")
    for name, physical in deployment.functions.items():
        print(f"  function {name}: {physical}")
    for line in deployment.addresses():
        print(f"  {line}")
    return 0
