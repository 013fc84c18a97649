"""`aslkit watch EXECUTION_ARN`: follow an execution live, a line per state (LocalStack or AWS)."""

from __future__ import annotations

import argparse
from types import SimpleNamespace

from aslkit.cli._common import add_aws_options, add_root, aws_client, execution_arn


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("execution_arn", type=execution_arn)
    add_aws_options(parser, "watch")
    parser.add_argument("--timeout", type=float, default=3600.0)
    add_root(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from aslkit.local.follow import Follower

    clients = SimpleNamespace(
        stepfunctions=aws_client(args, args.execution_arn), logs=aws_client(args, args.execution_arn, "logs")
    )  # an EXPRESS run's log group
    print(args.execution_arn.split(":", 6)[-1])
    description = Follower(clients, args.execution_arn).follow(args.timeout)
    if description["status"] == "SUCCEEDED":
        print(f"output: {description.get('output', '')}")
        return 0
    print(f"{description['status']}: {description.get('error', '')} {description.get('cause', '')}")
    return 1
