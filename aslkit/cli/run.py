"""`aslkit run WORKFLOW --event FILE | --input FILE`: trigger a workflow on LocalStack as production does."""

from __future__ import annotations

import argparse
from pathlib import Path

from aslkit.cli._common import add_root, ensure_current, read_json, root, workflow
from aslkit.errors import UserInputError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("workflow")
    trigger = parser.add_mutually_exclusive_group(required=True)
    trigger.add_argument("--event", type=Path, help="an EventBridge event, or an SQS Records[] envelope (JSON)")
    trigger.add_argument("--input", type=Path, help="input of the workflow's entry state machine (JSON)")
    parser.add_argument("--param", action="append", default=[], metavar="NAME=VALUE", help="override a parameter")
    parser.add_argument("--keep", action="store_true", help="leave LocalStack running if this command started it")
    parser.add_argument(
        "--fresh", action="store_true", help="clear LocalStack's state first (replay a handled trigger)"
    )
    parser.add_argument("--timeout", type=float, default=300.0)
    add_root(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from aslkit.local.clients import AwsClients
    from aslkit.local.launcher import Launcher
    from aslkit.local.run import run as run_workflow
    from aslkit.testing.backend import LocalStackBackend

    base = root(args)
    source: Path = args.event or args.input
    payload = read_json(source, "event file" if args.event else "input file")
    parameters = {}
    for item in args.param:
        name, has_value, value = item.partition("=")
        if not has_value or not name:
            raise UserInputError(f"--param {item!r} is not NAME=VALUE")
        parameters[name] = value
    spec = workflow(base, args.workflow)
    unknown = sorted(set(parameters) - set(spec.parameters))
    if unknown:
        raise UserInputError(f"workflow {spec.name!r} has no parameter {', '.join(unknown)}",
                             hint=f"its parameters: {', '.join(sorted(spec.parameters)) or 'none'}")  # fmt: skip
    ensure_current(base, spec)
    launcher = Launcher(base)
    already = launcher.status()
    endpoint = already or launcher.up()
    try:
        if args.fresh:
            LocalStackBackend(AwsClients(endpoint.url), base).reset()
        trigger = {"event": payload} if args.event else {"input": payload}
        return run_workflow(
            AwsClients(endpoint.url), base, spec, parameters=parameters, timeout=args.timeout, **trigger
        )
    finally:
        if already is None and not args.keep:
            launcher.down()
