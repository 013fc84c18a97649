"""The `aslkit` command line."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from aslkit.asl.machine import AslValidationError
from aslkit.spec import SpecError, Workflow


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="aslkit", description="Define, test and ship Step Functions workflows.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    build = commands.add_parser("build", help="render every workflow's state machines into statemachines/")
    build.add_argument("--check", action="store_true", help="write nothing; exit 1 if a committed file differs")
    build.add_argument("--root", type=Path, default=Path.cwd(), help="project root (default: current folder)")
    build.add_argument("--out", type=Path, default=None, help="output folder (default: ROOT/statemachines)")
    build.set_defaults(run=_build)

    lint = commands.add_parser("lint", help="validate ASL files: JSON Schema plus semantic rules")
    lint.add_argument("files", nargs="*", type=Path, help="ASL JSON files")
    lint.add_argument("--format", choices=("text", "json"), default="text")
    lint.add_argument(
        "--placeholder",
        action="append",
        default=None,
        metavar="NAME[=VALUE]",
        help="declare a ${NAME} placeholder (with =VALUE: substitute it before linting); "
        "once given, any undeclared placeholder is an error",
    )
    lint.add_argument("--rules", action="store_true", help="list the rules and exit")
    lint.set_defaults(run=_lint)

    package = commands.add_parser("package", help="build the Lambda assets CDK deploys (layer + function code)")
    package.add_argument("--root", type=Path, default=Path.cwd())
    package.add_argument("--out", type=Path, default=None, help="default: ROOT/build/lambda")
    package.set_defaults(run=_package)

    watch = commands.add_parser("watch", help="follow an execution live, a line per state (LocalStack or AWS)")
    watch.add_argument("execution_arn")
    watch.add_argument("--profile", default=None, help="AWS profile: watch in AWS instead of LocalStack")
    watch.add_argument("--region", default=None)
    watch.add_argument("--endpoint-url", default=None, help="another endpoint (default: the running LocalStack)")
    watch.add_argument("--timeout", type=float, default=3600.0)
    watch.add_argument("--root", type=Path, default=Path.cwd())
    watch.set_defaults(run=_watch)

    report = commands.add_parser("report", help="an HTML report of executions: path taken, timeline, cost")
    report.add_argument("execution_arns", nargs="+", metavar="EXECUTION_ARN")
    report.add_argument("-o", "--output", type=Path, default=Path("report.html"))
    report.add_argument("--profile", default=None, help="AWS profile: read the executions in AWS")
    report.add_argument("--region", default=None, help="the executions' region (and whose prices to use)")
    report.add_argument("--endpoint-url", default=None, help="another endpoint (default: the running LocalStack)")
    report.add_argument("--root", type=Path, default=Path.cwd())
    report.set_defaults(run=_report)

    graph = commands.add_parser("graph", help="draw a state machine: Mermaid, Graphviz dot, SVG or PNG")
    graph.add_argument("machine", help="a state machine name (statemachines/NAME.asl.json) or an ASL file")
    graph.add_argument("--format", choices=("mermaid", "dot", "svg", "png"), default="mermaid",
                       help="svg and png need Graphviz (apt-get install graphviz)")  # fmt: skip
    graph.add_argument("-o", "--output", type=Path, help="write to this file instead of standard output")
    graph.add_argument("--root", type=Path, default=Path.cwd())
    graph.set_defaults(run=_graph)

    local = commands.add_parser("local", help="the LocalStack host process: up, down, status, logs")
    local.add_argument("action", choices=("up", "down", "status", "logs"))
    local.add_argument("--root", type=Path, default=Path.cwd())
    local.add_argument("--lines", type=int, default=60, help="with logs: how many lines")
    local.set_defaults(run=_local)

    deploy = commands.add_parser("deploy", help="deploy a workflow (to LocalStack with --local)")
    deploy.add_argument("workflow")
    deploy.add_argument("--local", action="store_true", required=True, help="deploy to LocalStack (the only target)")
    deploy.add_argument("--teardown", action="store_true", help="delete what a deploy created instead")
    deploy.add_argument("--zip", action="store_true", help="package functions as zips instead of hot reload")
    deploy.add_argument("--root", type=Path, default=Path.cwd())
    deploy.set_defaults(run=_deploy)

    run = commands.add_parser("run", help="trigger a workflow on LocalStack as production does, and follow it")
    run.add_argument("workflow")
    trigger = run.add_mutually_exclusive_group(required=True)
    trigger.add_argument("--event", type=Path, help="an EventBridge event, or an SQS Records[] envelope (JSON)")
    trigger.add_argument("--input", type=Path, help="input of the workflow's entry state machine (JSON)")
    run.add_argument("--param", action="append", default=[], metavar="NAME=VALUE", help="override a parameter")
    run.add_argument("--keep", action="store_true", help="leave LocalStack running if this command started it")
    run.add_argument("--fresh", action="store_true", help="clear LocalStack's state first (replay a handled trigger)")
    run.add_argument("--timeout", type=float, default=300.0)
    run.add_argument("--root", type=Path, default=Path.cwd())
    run.set_defaults(run=_run)

    _workflow_commands(commands)
    args = parser.parse_args(argv)
    from aslkit.local.launcher import LocalStackError

    try:
        return int(args.run(args))
    except (SpecError, AslValidationError, LocalStackError) as error:
        print(f"aslkit: {error}", file=sys.stderr)
        return 2


def _workflow_commands(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Commands the catalogue's workflows add (`Workflow.commands`), when run inside a project."""
    root = Path.cwd()
    if not (root / "workflows").is_dir():
        return
    from aslkit.build import discover

    try:
        workflows = discover(root)
    except (SpecError, AslValidationError, ImportError) as error:  # a broken workflow must not break `aslkit lint`
        print(f"aslkit: workflow commands unavailable: {error}", file=sys.stderr)
        return
    for workflow in workflows:
        if workflow.commands is not None:
            workflow.commands(commands)


def _build(args: argparse.Namespace) -> int:
    from aslkit.build import build, discover

    root = args.root.resolve()
    out = (args.out or root / "statemachines").resolve()
    results = build(discover(root), out, check=args.check)
    for result in results:
        print(f"{result.status:>9}  {result.workflow}/{result.machine}  {_rel(result.path, root)}")
    bad = [r for r in results if r.status in ("stale", "missing", "orphan")]
    if bad:
        print(
            f"\n{len(bad)} file(s) in {_rel(out, root)} do not match the workflows: "
            "run `aslkit build` (or `make build`) and commit the result",
            file=sys.stderr,
        )
        return 1
    machines = sum(1 for r in results if r.workflow not in ("*", "-"))
    print(f"{machines} state machine(s), all lint-clean; diagrams in {_rel(out / 'DIAGRAMS.md', root)}")
    return 0


def _lint(args: argparse.Namespace) -> int:
    from aslkit.lint import RULES, lint_file

    if args.rules:
        for rule, (severity, summary) in RULES.items():
            print(f"{rule:<22} {severity:<8} {summary}")
        return 0
    if not args.files:
        print("aslkit lint: give one or more ASL files (or --rules)", file=sys.stderr)
        return 2
    known: set[str] | None = None
    substitutions: dict[str, str] = {}
    if args.placeholder is not None:
        known = set()
        for item in args.placeholder:
            name, has_value, value = item.partition("=")
            known.add(name)
            if has_value:
                substitutions[name] = value
    reports = [lint_file(f, known_placeholders=known, substitutions=substitutions) for f in args.files]
    if args.format == "json":
        print(json.dumps([r.to_dict() for r in reports], indent=2))
    else:
        for report in reports:
            for line in report.text_lines():
                print(line)
        errors = sum(len(r.errors) for r in reports)
        warnings = sum(len(r.warnings) for r in reports)
        print(f"{len(reports)} file(s): {errors} error(s), {warnings} warning(s)", file=sys.stderr)
    return 1 if any(r.errors for r in reports) else 0


def _stepfunctions(args: argparse.Namespace, execution_arn: str) -> Any:
    """A Step Functions client: AWS with --profile (or --region alone), else --endpoint-url or the local LocalStack."""
    from aslkit.local.clients import AwsClients
    from aslkit.local.launcher import Launcher, LocalStackError

    region = args.region or execution_arn.split(":")[3]
    if args.profile or (args.region and not args.endpoint_url):
        import boto3

        return boto3.Session(profile_name=args.profile, region_name=region).client("stepfunctions")
    endpoint = args.endpoint_url or getattr(Launcher(args.root).status(), "url", None)
    if endpoint is None:
        raise LocalStackError("no LocalStack is running here: start one (`aslkit local up`) or give --profile")
    return AwsClients(endpoint, region).stepfunctions


def _watch(args: argparse.Namespace) -> int:
    from aslkit.local.follow import Follower

    sfn = _stepfunctions(args, args.execution_arn)
    clients = type("Clients", (), {"stepfunctions": sfn})()
    print(args.execution_arn.split(":", 6)[-1])
    description = Follower(clients, args.execution_arn).follow(args.timeout)
    if description["status"] == "SUCCEEDED":
        print(f"output: {description.get('output', '')}")
        return 0
    print(f"{description['status']}: {description.get('error', '')} {description.get('cause', '')}")
    return 1


def _report(args: argparse.Namespace) -> int:
    from aslkit.cost import Prices, estimate
    from aslkit.render.report import ReportEntry, write_report
    from aslkit.testing.results import fetch_result

    entries = []
    for arn in args.execution_arns:
        if ":express:" in arn:
            raise SpecError(f"{arn} is an EXPRESS execution: they keep no history to report (only CloudWatch logs)")
        sfn = _stepfunctions(args, arn)
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


def _graph(args: argparse.Namespace) -> int:
    from aslkit.render import graphviz
    from aslkit.render.diagram import dot, mermaid

    candidate = Path(args.machine)
    path = candidate if candidate.suffix == ".json" else args.root / "statemachines" / f"{args.machine}.asl.json"
    if not path.exists():
        raise SpecError(f"no state machine {args.machine!r}: expected {path} (run `aslkit build` first?)")
    document = json.loads(path.read_text())
    title = path.name.removesuffix(".asl.json")
    if args.format == "mermaid":
        data = mermaid(document, title).encode()
    elif args.format == "dot":
        data = dot(document, title).encode()
    else:
        if args.output is None and sys.stdout.isatty():
            raise SpecError(f"{args.format.upper()} is binary or long: give -o {title}.{args.format}")
        data = graphviz.render(dot(document, title), args.format)
    if args.output is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    else:
        args.output.write_bytes(data)
        print(f"wrote {args.output}", file=sys.stderr)
    return 0


def _package(args: argparse.Namespace) -> int:
    from aslkit.build import discover
    from aslkit.package import build_function_dir, build_layer, build_zip

    root = args.root.resolve()
    out = (args.out or root / "build" / "lambda").resolve()
    layer = build_layer(root, out)
    print(f"layer      {_rel(layer, root)}  (tasks/requirements.txt, Lambda-platform wheels)")
    for workflow in discover(root):
        for function in workflow.functions:
            folder = build_function_dir(root, function, out)
            archive = out / "zips" / f"{function.name}.zip"
            archive.parent.mkdir(parents=True, exist_ok=True)
            archive.write_bytes(build_zip(root, function))
            print(f"function   {_rel(folder, root)}  {_rel(archive, root)}")
    return 0


def _local(args: argparse.Namespace) -> int:
    from aslkit.local.launcher import Launcher

    launcher = Launcher(args.root)
    if args.action == "up":
        print(launcher.up().url)
        return 0
    if args.action == "down":
        print("stopped" if launcher.down() else "no LocalStack started by aslkit was running")
        return 0
    if args.action == "status":
        found = launcher.status()
        if found is None:
            print("not running (start it with `aslkit local up`)", file=sys.stderr)
            return 1
        owner = f"pid {found.pid}, log {found.log_path}" if found.owned else "external"
        print(f"{found.url}  ({owner})")
        return 0
    print(launcher.tail(args.lines))
    return 0


def _workflow(root: Path, name: str) -> Workflow:
    from aslkit.build import discover

    workflows = {w.name: w for w in discover(root.resolve())}
    if name not in workflows:
        raise SpecError(f"no workflow {name!r} in {root / 'workflows'}; there are: {', '.join(sorted(workflows))}")
    return workflows[name]


def _deploy(args: argparse.Namespace) -> int:
    from aslkit.local.clients import AwsClients
    from aslkit.local.deployer import LocalDeployer
    from aslkit.local.launcher import Launcher

    workflow = _workflow(args.root, args.workflow)
    endpoint = Launcher(args.root).up()
    deployer = LocalDeployer(AwsClients(endpoint.url), args.root, code="zip" if args.zip else "hot-reload")
    deployment = deployer.deploy(workflow)
    if args.teardown:
        deployer.teardown(deployment)
        print(f"removed {workflow.name} from {endpoint.url}")
        return 0
    print(f"deployed {workflow.name} to {endpoint.url}")
    for name, arn in deployment.machines.items():
        print(f"  state machine {name}: {arn}")
    for name, physical in deployment.functions.items():
        print(f"  function {name}: {physical}")
    return 0


def _run(args: argparse.Namespace) -> int:
    from aslkit.local.clients import AwsClients
    from aslkit.local.launcher import Launcher
    from aslkit.local.run import run
    from aslkit.testing.backend import LocalStackBackend

    workflow = _workflow(args.root, args.workflow)
    source: Path = args.event or args.input
    try:
        payload = json.loads(source.read_text())
    except (OSError, ValueError) as error:
        raise SpecError(f"cannot read {source} as JSON: {error}") from error
    parameters = dict(item.split("=", 1) for item in args.param)
    launcher = Launcher(args.root)
    already = launcher.status()
    endpoint = already or launcher.up()
    if args.fresh:
        LocalStackBackend(AwsClients(endpoint.url), args.root.resolve()).reset()
    try:
        return run(
            AwsClients(endpoint.url),
            args.root.resolve(),
            workflow,
            event=payload if args.event else None,
            input=payload if args.input else None,
            parameters=parameters,
            timeout=args.timeout,
        )
    finally:
        if already is None and not args.keep:
            launcher.down()


def _rel(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


if __name__ == "__main__":
    sys.exit(main())
