"""What several commands share: the project root, reading JSON, finding a workflow, AWS clients, ARN checks."""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aslkit.errors import BuildError, UserInputError

if TYPE_CHECKING:
    from aslkit.spec import Workflow

_EXECUTION_ARN = re.compile(r"^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:(execution|express):[^:]+:[^:]+(:[^:]+)?$")


def add_root(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--root", type=Path, default=None, help="project root (default: found from the current folder)")


def root(args: argparse.Namespace) -> Path:
    from aslkit.project import Project

    return Project.find(args.root).root if args.root is None else args.root.resolve()


def read_json(path: Path, what: str = "file") -> Any:
    """A JSON file's content, or a UserInputError that names the file and the problem."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UserInputError(f"no such {what}: {path}", hint="check the path") from None
    except (IsADirectoryError, PermissionError, UnicodeDecodeError) as error:
        raise UserInputError(f"cannot read {path}: {error}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise UserInputError(f"{path} is not valid JSON: {error.msg} at line {error.lineno} column {error.colno}",
                             hint="fix the file") from None  # fmt: skip


def execution_arn(text: str) -> str:
    """An argparse type: the text if it is an execution ARN, else a one-line error saying what one looks like."""
    if not _EXECUTION_ARN.match(text):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an execution ARN: expected arn:aws:states:REGION:ACCOUNT:execution:MACHINE:NAME "
            "(as `aslkit run` or the console shows it)"
        )
    return text


def workflow(project_root: Path, name: str) -> Workflow:
    from aslkit.build import discover

    workflows = {w.name: w for w in discover(project_root)}
    if name not in workflows:
        raise UserInputError(f"no workflow {name!r} in this project; there are: {', '.join(sorted(workflows))}")
    return workflows[name]


def ensure_current(project_root: Path, spec: Workflow) -> None:
    """Refuse to deploy or run a workflow whose committed definitions are stale or fail the linter."""
    from aslkit.build import machine_path, render_all, sync
    from aslkit.lint import lint_file
    from aslkit.project import Project

    out = Project.load(project_root).statemachines_dir
    for _, machine, text in render_all([spec]):
        path = machine_path(out, machine)
        status = sync(path, text, check=True)
        if status != "unchanged":
            raise BuildError(f"{_rel(path, project_root)} is {status}: it does not match workflows/",
                             hint="run `aslkit build` and commit the result, then deploy again")  # fmt: skip
        report = lint_file(path, known_placeholders=spec.provided_placeholders())
        if report.errors:
            first = report.errors[0]
            where = f"{_rel(path, project_root)}:{first.pointer or '/'}"
            hint = f"{len(report.errors)} lint error(s): fix the workflow, run `aslkit build`"
            raise BuildError(f"{where}: [{first.rule}] {first.message}", hint=hint)


def aws_client(args: argparse.Namespace, arn: str, service: str = "stepfunctions") -> Any:
    """A Step Functions client (or another service's, for the same place): AWS with --profile (or --region alone),
    else --endpoint-url or the local LocalStack."""
    from aslkit.errors import LocalStackError

    region = args.region or arn.split(":")[3]
    if args.profile or (args.region and not args.endpoint_url):
        import boto3

        return boto3.Session(profile_name=args.profile, region_name=region).client(service)
    if args.endpoint_url:
        return _endpoint_client(args.endpoint_url, region, service)
    from aslkit.local.launcher import Launcher

    running = Launcher(root(args)).status()
    if running is None:
        raise LocalStackError("no LocalStack is running here", hint="start one (`aslkit local up`) or give --profile")
    return _endpoint_client(running.url, region, service)


def _endpoint_client(url: str, region: str, service: str) -> Any:
    import boto3

    return boto3.client(service, endpoint_url=url, region_name=region, aws_access_key_id="test",
                        aws_secret_access_key="test")  # fmt: skip


def add_aws_options(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument("--profile", default=None, help=f"AWS profile: {what} in AWS instead of LocalStack")
    parser.add_argument("--region", default=None, help="the region (default: the ARN's)")
    parser.add_argument("--endpoint-url", default=None, help="another endpoint (default: the running LocalStack)")


def _rel(path: Path, base: Path) -> str:
    try:
        return str(path.relative_to(base))
    except ValueError:
        return str(path)


rel = _rel
