"""`aslkit sequencing rerun RUN`: orchestrate a finished sequencing run again, by hand.

The first orchestration of a run is started by its PendingAnalysis event and named after the run
(`<run name>__<run id>`), so a duplicate event cannot start a second one. A re-run is another execution of the same
orchestrator, `<run name>__<run id>__rerun<N>`, with the first one's input and `rerun: "rerun<N>"`: its launches
carry that attempt, so the launcher answers what succeeded before from its record and launches again what failed,
was aborted or never answered (a timeout); the run controls apply as to any run.

AWS with --profile/--region (the deployment found by its aslkit:* tags; --stage picks one of several), otherwise
--endpoint-url or the LocalStack `aslkit local up` started here.
"""

from __future__ import annotations

import json
import time
from typing import Any

from aslkit.errors import UserInputError
from aslkit.runtime import deployed

FOLLOW_SECONDS = 3 * 24 * 3600.0  # --wait follows at most this long (a run's WES runs are bounded by 48 h each)


def add_commands(commands: Any) -> None:
    sequencing = commands.add_parser("sequencing", help="sequencing runs: re-run a run's orchestration")
    actions = sequencing.add_subparsers(dest="sequencing_command", required=True, metavar="ACTION")
    rerun = actions.add_parser("rerun", help="orchestrate a finished run again: what failed is launched again")
    rerun.add_argument("run_name", metavar="RUN", help="the run's name (231001_A00001_0004_ABCDEFGH) or BSSH run id")
    deployed.add_options(rerun)
    rerun.add_argument("--wait", action="store_true", help="follow the re-run until it ends")
    rerun.set_defaults(run=run_rerun)


def run_rerun(args: Any) -> int:
    sfn = deployed.client_factory(args.profile, args.region, args.endpoint_url)("stepfunctions")
    where = args.endpoint_url or args.region or "this account"
    machine = deployed.one(deployed.machines(sfn, "sequencing", "sequencing_orchestrator", args.stage),
                           "sequencing_orchestrator state machine", "sequencing", args.stage, where)  # fmt: skip
    executions = [e for e in _executions(sfn, machine) if args.run_name in e["name"].split("__")[:2]]
    if not executions:
        raise UserInputError(f"no orchestration of run {args.run_name!r} in {where}: a run's first one starts from its "
                             "PendingAnalysis event (check the run's name or id, and --stage)")  # fmt: skip
    running = [e for e in executions if e["status"] == "RUNNING"]
    if running:
        raise UserInputError(f"run {args.run_name} is still being orchestrated ({running[0]['executionArn']}): wait "
                             "for it to end, or stop it (aws stepfunctions stop-execution) and re-run")  # fmt: skip
    first = min(executions, key=lambda e: (e["name"].count("__rerun"), e["startDate"]))
    attempt = f"rerun{sum('__rerun' in e['name'] for e in executions) + 1}"
    given = json.loads(sfn.describe_execution(executionArn=first["executionArn"])["input"])
    started = sfn.start_execution(stateMachineArn=machine, name=f"{first['name']}__{attempt}",
                                  input=json.dumps({**given, "rerun": attempt}))  # fmt: skip
    arn = started["executionArn"]
    print(f"re-running {first['name']} as {attempt}: {arn}", flush=True)
    if not args.wait:
        print(f"follow it with `aslkit watch {arn}`")
        return 0
    deadline = time.monotonic() + FOLLOW_SECONDS
    while (status := sfn.describe_execution(executionArn=arn))["status"] == "RUNNING" and time.monotonic() < deadline:
        time.sleep(2)
    if status["status"] != "SUCCEEDED":
        print(f"{attempt} {status['status'].lower()}: {status.get('error')}: {status.get('cause')}")
        return 1
    out = json.loads(status["output"])
    print(f"{attempt} succeeded: {len(out.get('succeeded', []))} workflow run(s) succeeded, "
          f"{len(out.get('failed', []))} failed, {len(out.get('pairs', []))} pair(s)")  # fmt: skip
    return 0


def _executions(sfn: Any, machine: str) -> list[dict[str, Any]]:
    return [e for page in sfn.get_paginator("list_executions").paginate(stateMachineArn=machine)
            for e in page["executions"]]  # fmt: skip
