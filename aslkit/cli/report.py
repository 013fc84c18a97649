"""`aslkit report EXECUTION_ARN...`: an HTML report of executions (path taken, timeline, input/output, cost)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from aslkit.cli._common import add_aws_options, add_root, execution_arn, stepfunctions
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
    from aslkit.runtime.results import fetch_result

    entries = []
    for arn in args.execution_arns:
        if ":express:" in arn:
            raise UserInputError(f"{arn} is an EXPRESS execution: they keep no history to report",
                                 hint="read its CloudWatch Logs, or run it on the in-process engine")  # fmt: skip
        sfn = stepfunctions(args, arn)
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
