"""`aslkit report EXECUTION_ARN...`: an HTML report of executions (path taken, timeline, input/output, cost)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from aslkit.cli._common import add_aws_options, add_root, aws_client, execution_arn
from aslkit.errors import UserInputError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("execution_arns", nargs="+", metavar="EXECUTION_ARN", type=execution_arn)
    parser.add_argument("-o", "--output", type=Path, default=Path("report.html"))
    add_aws_options(parser, "read the executions")
    add_root(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from aslkit.cost import Prices, estimate
    from aslkit.render.report import ReportEntry, write_report
    from aslkit.runtime import express
    from aslkit.runtime.results import fetch_result

    entries = []
    for arn in args.execution_arns:
        sfn = aws_client(args, arn)
        if express.is_express(arn):  # no history in Step Functions: its machine's log group has the events
            logged = express.fetch(sfn, aws_client(args, arn, "logs"), arn)
            if logged is None:
                raise UserInputError(f"{arn}: its state machine's log group holds nothing of this EXPRESS execution",
                                     hint="log the machine at level ALL with execution data, as aslkit's "
                                     "deployments do, or run it on the in-process engine")  # fmt: skip
            result = logged
        else:
            result = fetch_result(sfn, arn)
        machine = sfn.describe_state_machine(stateMachineArn=result.machine_arn)
        prices = Prices.for_region(args.region or arn.split(":")[3])
        cost = estimate(result, machine["type"], prices)
        document = json.loads(machine["definition"])
        entries.append(ReportEntry(arn.split(":")[-1], machine["name"], machine["type"], document, result, cost,
                                   expected=result.status))  # fmt: skip
        print(f"{result.status:<9} {machine['name']}: {len(result.visits)} state(s), {cost.describe()}")
    path = write_report(args.output, entries, f"{len(entries)} execution(s)")
    print(f"wrote {path} ({path.resolve().as_uri()})")
    return 0
