"""The main job (`make demo`): build and lint every workflow, then run each on a local LocalStack it starts.

For every workflow, each file in `samples/<workflow>/` is a trigger: `*.input.json` starts the entry state
machine, `*.event.json` is put on the bus (or on the ingress queue, for an SQS `Records[]` envelope). A name
containing `.fails.` expects the executions to fail (a named error on bad input), anything else to succeed.
Every execution goes into an HTML report (`build/demo/report.html`): its diagram with the path taken, a timeline,
input and output, and its estimated AWS cost.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from aslkit.build import build, discover
from aslkit.cost import PRICES_AS_OF, Prices, RunCost, estimate
from aslkit.lint import lint_file
from aslkit.local.clients import AwsClients
from aslkit.local.deployer import Deployment
from aslkit.local.follow import short_cause
from aslkit.local.launcher import Launcher
from aslkit.local.run import stood_up, trigger
from aslkit.render.outline import outline
from aslkit.render.report import ReportEntry, write_report
from aslkit.runtime.results import ExecutionResult
from aslkit.spec import Workflow
from aslkit.testing.backend import LocalStackBackend

REPORT = Path("build") / "demo" / "report.html"


@dataclass
class Row:
    workflow: str
    trigger: str
    executions: int
    status: str
    expected: str
    states: int
    seconds: float
    cost_usd: float  # estimated AWS cost of the whole run: every execution the trigger led to

    @property
    def ok(self) -> bool:
        return self.executions > 0 and self.status == self.expected


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make demo", description=__doc__)
    parser.add_argument("--keep", action="store_true", help="leave LocalStack running afterwards")
    parser.add_argument("--quiet", action="store_true", help="no state machine outlines")
    parser.add_argument("--region", default="us-east-1", help="whose AWS prices the cost estimates use")
    parser.add_argument("--report", type=Path, default=REPORT, help=f"where to write the HTML report ({REPORT})")
    args = parser.parse_args(argv)
    root = Path.cwd().resolve()
    global _STARTED
    _STARTED = started = time.perf_counter()

    step("building and linting every workflow")
    workflows = discover(root)
    results = build(workflows, root / "statemachines")
    errors = show_machines(root, workflows, quiet=args.quiet)
    machines = sum(1 for r in results if r.workflow != "*")
    print(f"  {len(workflows)} workflow(s), {machines} state machine(s), {errors} lint error(s)")

    launcher = Launcher(root)
    already = launcher.status()
    step("starting LocalStack" if already is None else f"using LocalStack at {already.url}")
    t0 = time.perf_counter()
    endpoint = already or launcher.up()
    print(f"  {endpoint.url} ready in {time.perf_counter() - t0:.1f} s")
    entries: list[ReportEntry] = []
    try:
        rows = run_samples(root, workflows, AwsClients(endpoint.url), entries, Prices.for_region(args.region))
    finally:
        if already is None and not args.keep:
            step("stopping LocalStack")
            launcher.down()
    print_summary(rows)
    report = write_report(root / args.report, entries, "aslkit demo")
    print(f"\n  report: {report.as_uri()}  ({len(entries)} execution(s); open it in a browser)")
    total = time.perf_counter() - started
    good = errors == 0 and rows and all(row.ok for row in rows)
    print(f"\n{'all green' if good else 'FAILED'} in {total:.1f} s")
    return 0 if good else 1


_STARTED = time.perf_counter()


def step(message: str) -> None:
    print(f"\n» {time.perf_counter() - _STARTED:5.1f} s  {message}", flush=True)


def show_machines(root: Path, workflows: list[Workflow], *, quiet: bool) -> int:
    errors = 0
    for workflow in workflows:
        for machine in workflow.machines:
            path = root / "statemachines" / f"{machine.name}.asl.json"
            report = lint_file(path, known_placeholders=machine.placeholders)
            errors += len(report.errors)
            if quiet:
                continue
            print(f"\n  {workflow.name} / {machine.name} ({machine.type}, lint: {len(report.findings)} finding(s))")
            for line in outline(machine.to_asl(), indent="  "):
                print(f"  {line}")
    return errors


def run_samples(
    root: Path, workflows: list[Workflow], aws: AwsClients, entries: list[ReportEntry], prices: Prices
) -> list[Row]:
    """Every workflow with samples, one after the other, each deployed with its local stand-ins. (Side by side
    they took as long: LocalStack on 2 cores is busy computing, not waiting, and every trigger got slower.)"""
    prefix = f"demo{uuid.uuid4().hex[:4]}_"  # a kept LocalStack has seen these triggers before, and deduplicates
    rows: list[Row] = []
    for workflow in workflows:
        samples = sorted((root / "samples" / workflow.name).glob("*.json"))
        if samples:
            step(f"deploying {workflow.name}" + (" with its local stand-ins" if workflow.local else ""))
            produced, found = run_workflow(root, workflow, samples, aws, prefix, prices, print)
            rows += produced
            entries += found
    return rows


def run_workflow(
    root: Path, workflow: Workflow, samples: list[Path], aws: AwsClients, prefix: str, prices: Prices,
    emit: Callable[[str], None],
) -> tuple[list[Row], list[ReportEntry]]:  # fmt: skip
    """One workflow deployed, its samples run: the summary rows and the report entries."""
    entries: list[ReportEntry] = []
    t0 = time.perf_counter()
    with stood_up(aws, root, workflow, prefix=prefix) as deployment:
        emit(f"  {len(deployment.machines)} state machine(s), {len(deployment.functions)} function(s) "
             f"in {time.perf_counter() - t0:.1f} s")  # fmt: skip
        backend = LocalStackBackend(aws, root)
        rows = run_workflow_samples(root, workflow, deployment, samples, aws, backend, entries, prices, emit)
    return rows, entries


def run_workflow_samples(
    root: Path, workflow: Workflow, deployment: Deployment, samples: list[Path], aws: AwsClients,
    backend: LocalStackBackend, entries: list[ReportEntry], prices: Prices, emit: Callable[[str], None] = print,
) -> list[Row]:  # fmt: skip
    rows: list[Row] = []
    memory = {deployment.functions[f.name]: f.memory for f in workflow.functions if f.name in deployment.functions}
    for sample in samples:
        payload = json.loads(sample.read_text())
        is_input = sample.name.endswith(".input.json")
        expected = "FAILED" if ".fails." in sample.name else "SUCCEEDED"
        emit(f"  {workflow.name}: {sample.relative_to(root)}")
        t0 = time.perf_counter()
        entry = workflow.entry_machine
        if is_input and entry.type == "EXPRESS":  # synchronous; its history is read from its log group
            results = [backend.run_sync(deployment, entry.name, payload)]
        else:
            arns = trigger(aws, workflow, deployment, event=None if is_input else payload,
                           input=payload if is_input else None)  # fmt: skip
            results = [backend.wait(arn, timeout=120) for arn in arns]
        seconds = time.perf_counter() - t0
        for result in results:
            emit(f"    {result.status:<9} {' → '.join(result.states) or '(no state entered)'}")
            if result.error:
                emit(f"              {result.error}: {short_cause(result.cause or '')}")
            elif result.output is not None:
                emit(f"              output: {short_cause(json.dumps(result.output), 300)}")
        costs = []
        for result in results:
            machine = machine_of(deployment, result)
            cost = estimate(result, deployment.machine_types.get(machine, "STANDARD"), prices, memory)
            costs.append(cost)
            entries.append(report_entry(root, f"{workflow.name} / {sample.name}", machine, result, cost, expected))
        statuses = {r.status for r in results}
        status = statuses.pop() if len(statuses) == 1 else ("MIXED" if statuses else "NONE")
        rows.append(Row(workflow.name, sample.name, len(results), status, expected,
                        sum(len(r.states) for r in results), seconds, sum(c.total_usd for c in costs)))  # fmt: skip
    return rows


def machine_of(deployment: Deployment, result: ExecutionResult) -> str:
    """The spec name of the machine an execution ran (its ARN names the deployed machine)."""
    deployed = result.arn.split(":")[6] if result.arn.count(":") >= 7 else ""
    by_physical = {arn.rsplit(":", 1)[-1]: name for name, arn in deployment.machines.items()}
    return by_physical.get(deployed, deployed)


def report_entry(root: Path, title: str, machine: str, result: ExecutionResult, cost: RunCost,
                 expected: str) -> ReportEntry:  # fmt: skip
    definition = root / "statemachines" / f"{machine}.asl.json"
    document = json.loads(definition.read_text()) if definition.exists() else {"StartAt": "", "States": {}}
    return ReportEntry(title, machine, cost.machine_type, document, result, cost, expected)


def print_summary(rows: list[Row]) -> None:
    step("summary")
    header = (
        f"  {'workflow':<14} {'trigger':<34} {'runs':>4}  {'status':<18} {'states':>6} {'seconds':>8} {'$ per run':>10}"
    )
    print(header)
    print("  " + "-" * (len(header) - 2))
    for row in rows:
        verdict = "✓" if row.ok else "✗"
        status = row.status + ("" if row.status == "SUCCEEDED" else " (expected)" if row.ok else "")
        print(f"  {row.workflow:<14} {row.trigger:<34} {row.executions:>4}  {status:<18} {row.states:>6} "
              f"{row.seconds:>8.2f} {row.cost_usd:>10.6f} {verdict}")  # fmt: skip
    print(f"  estimated AWS cost of each trigger's whole run, every execution it led to (LocalStack keeps no "
          f"Distributed Map children: in process, `harness.run_cost` prices them too): Step Functions and the Lambda "
          f"tasks in the histories, {PRICES_AS_OF} prices (the report breaks each execution down)")  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
