"""`aslkit report EXECUTION_ARN...`: an HTML report of executions (path taken, timeline, input/output, cost)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aslkit.cli._common import add_aws_options, add_root, aws_client, execution_arn
from aslkit.errors import UserInputError

if TYPE_CHECKING:
    from aslkit.runtime.results import ExecutionResult


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("execution_arns", nargs="+", metavar="EXECUTION_ARN", type=execution_arn)
    parser.add_argument("-o", "--output", type=Path, default=Path("report.html"))
    add_aws_options(parser, "read the executions")
    add_root(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from aslkit.cost import Prices, estimate_run
    from aslkit.render.report import ReportEntry, write_report

    entries = []
    for arn in args.execution_arns:
        sfn = aws_client(args, arn)
        result = _result(args, sfn, arn)
        machine = sfn.describe_state_machine(stateMachineArn=result.machine_arn)
        prices = Prices.for_region(args.region or arn.split(":")[3])
        cost = estimate_run(_run_of(args, sfn, result), prices)  # the execution and every child it led to
        document = json.loads(machine["definition"])
        entries.append(ReportEntry(arn.split(":")[-1], machine["name"], machine["type"], document, result, cost,
                                   expected=result.status))  # fmt: skip
        whole = " for the whole run" if cost.executions > 1 else ""
        print(f"{result.status:<9} {machine['name']}: {len(result.visits)} state(s), {cost.describe()}{whole}")
    path = write_report(args.output, entries, f"{len(entries)} execution(s)")
    print(f"wrote {path} ({path.resolve().as_uri()})")
    return 0


def _result(args: argparse.Namespace, sfn: Any, arn: str) -> ExecutionResult:
    from aslkit.runtime import express
    from aslkit.runtime.results import fetch_result

    if not express.is_express(arn):
        return fetch_result(sfn, arn)
    logged = express.fetch(sfn, aws_client(args, arn, "logs"), arn)  # no history in Step Functions: the log group
    if logged is None:
        raise UserInputError(f"{arn}: its state machine's log group holds nothing of this EXPRESS execution",
                             hint="log the machine at level ALL with execution data, as aslkit's deployments do, "
                             "or run it on the in-process engine")  # fmt: skip
    return logged


def _run_of(args: argparse.Namespace, sfn: Any, result: ExecutionResult) -> list[ExecutionResult]:
    """The execution and, depth first, every child it started: its `states:startExecution` tasks' and its
    Distributed Map runs' (ListExecutions by map run; an endpoint that does not list them, as LocalStack, lists
    none)."""
    from botocore.exceptions import ClientError

    from aslkit.runtime.results import child_executions, event_details

    children = child_executions(result.history)
    for event in result.history:
        if event["type"] == "MapRunStarted":
            map_run = event_details(event).get("mapRunArn", "")
            try:
                pages = sfn.get_paginator("list_executions").paginate(mapRunArn=map_run)
                children += [e["executionArn"] for page in pages for e in page["executions"]][::-1]
            except ClientError:
                continue
    run = [result]
    for child in children:
        run += _run_of(args, sfn, _result(args, sfn, child))
    return run
