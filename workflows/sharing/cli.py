"""`aslkit share ...`: the data-sharing tool's commands, starting the deployed packaging, push and presign machines.

    aslkit share generate-package --package-name NAME --lims-manifest-csv FILE [--wait]
    aslkit share view-package-report --package-id ID [-o FILE]     (opens the report when BROWSER is set)
    aslkit share push-package --package-id ID --share-location s3://bucket/prefix/ | icav2://project-id/folder/ [--wait]
    aslkit share presign-package --package-id ID
    aslkit share abort-package --package-id ID
    aslkit share abort-push --push-id ID

AWS with --profile/--region (the deployment found by its aslkit:* tags; --stage picks one of several), otherwise
--endpoint-url or the LocalStack `aslkit local up` started here.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import sys
import webbrowser
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from aslkit.errors import UserInputError
from aslkit.runtime import deployed
from tasks.sharing.operations import OperationRefused, Operations
from tasks.sharing.packaging import DATA_TYPES
from tasks.sharing.report import human_bytes

RUN_COLUMNS = ("instrument_run_id", "sequencing_run_id")
STOP_SECONDS = 60.0  # abort-package waits at most this long for a stopped execution to end
FOLLOW_SECONDS = 6 * 3600.0  # --wait follows at most this long (the packaging machine's own timeout)


class ShareError(UserInputError):
    """A sharing command that cannot go on; the message says what to do."""


def add_commands(commands: Any) -> None:
    share = commands.add_parser("share", help="data sharing: generate, view, push, presign and abort packages")
    actions = share.add_subparsers(dest="share_command", required=True, metavar="ACTION")

    def action(name: str, help: str, run: Any) -> argparse.ArgumentParser:
        parser: argparse.ArgumentParser = actions.add_parser(name, help=help)
        deployed.add_options(parser)
        parser.set_defaults(run=_refusals_named(run))
        return parser

    generate = action("generate-package", "package the FASTQs of the libraries of a LIMS manifest", generate_package)
    generate.add_argument("--package-name", required=True)
    generate.add_argument("--lims-manifest-csv", required=True, type=Path,
                          help="CSV with library_id and instrument_run_id (or sequencing_run_id) columns")  # fmt: skip
    generate.add_argument("--data-type", action="append", choices=DATA_TYPES, dest="data_types",
                          help="what to package: fastq (the default), secondaryAnalysis (the outputs of the "
                          "libraries' succeeded workflow runs), or both (give it twice)")  # fmt: skip
    generate.add_argument(
        "--secondary-analysis-type",
        action="append",
        dest="secondary_types",
        metavar="WORKFLOW",
        help="only these workflows' runs (tumor-normal, wts, umccrise, ...; all when not given)",
    )
    generate.add_argument("--wait", action="store_true", help="follow the packaging until it ends")
    view = action("view-package-report", "print a link to a package's HTML report (open it if BROWSER is set)",
                  view_package_report)  # fmt: skip
    view.add_argument("--package-id", required=True)
    view.add_argument("-o", "--output", type=Path, default=None, help="also save the report to this file")
    push = action("push-package", "copy every file of a package to an s3:// or icav2:// location", push_package)
    push.add_argument("--package-id", required=True)
    push.add_argument("--share-location", required=True, help="s3://bucket/prefix/ or icav2://project-id/folder/")
    push.add_argument("--wait", action="store_true", help="follow the push until it ends")
    presign = action("presign-package", "a download script of presigned URLs, shared as a 24 h link", presign_package)
    presign.add_argument("--package-id", required=True)
    abort = action("abort-package", "abort a package that is still being built", abort_package)
    abort.add_argument("--package-id", required=True)
    abort_push = action("abort-push", "abort a push: stop its copies, abort its open multipart uploads", abort_push_)
    abort_push.add_argument("--push-id", required=True)


def _refusals_named(run: Any) -> Any:
    """The command, its refusals (OperationRefused) reported as the CLI's errors: one line, no traceback."""

    def command(args: argparse.Namespace) -> int:
        try:
            return int(run(args))
        except OperationRefused as refused:
            raise ShareError(str(refused)) from None

    return command


# -- the deployment -------------------------------------------------------------------------------------------------
class Sharing(Operations):
    """The deployed sharing workflow: its state machines found by their aslkit:* tags, its jobs table and bus by
    the packaging machine's definition."""

    def __init__(self, args: argparse.Namespace) -> None:
        super().__init__(_client_factory(args))
        self.stage: str | None = args.stage
        self.where = args.endpoint_url or args.region or "this account"
        self._machines: dict[str, str] = {}
        self._table: str | None = None
        self._bus: str | None = None
        self._caller: str | None = None

    def machine(self, name: str) -> str:
        """The deployed state machine of spec name `name`, found by its aslkit:* tags."""
        if name not in self._machines:
            found = deployed.machines(self.sfn, "sharing", name, self.stage)
            try:
                self._machines[name] = deployed.one(found, f"{name} state machine", "sharing", self.stage, self.where)
            except UserInputError as error:
                raise ShareError(str(error)) from None
        return self._machines[name]

    def table(self) -> str:
        if self._table is None:
            self._table = self._named("TableName", "jobs table")
        return self._table

    def bus(self) -> str:
        if self._bus is None:
            self._bus = self._named("EventBusName", "bus")
        return self._bus

    def caller(self) -> str:
        """Who runs the command: the ARN of the credentials' identity (recorded on packages and pushes)."""
        if self._caller is None:
            self._caller = str(self.client("sts").get_caller_identity()["Arn"])
        return self._caller

    def _named(self, field: str, what: str) -> str:
        """The one value of `field` in the packaging machine's definition (its jobs table, its bus)."""
        definition = self.sfn.describe_state_machine(stateMachineArn=self.machine("sharing_packaging"))
        found = sorted(set(re.findall(rf'"{field}"\s*:\s*"([^"]+)"', definition["definition"])))
        if len(found) != 1:
            raise ShareError(f"cannot tell the {what} from the packaging machine's definition: {found}")
        return str(found[0])

    def follow(self, execution_arn: str, *, quiet: bool = False) -> dict[str, Any]:
        """Print the states as the execution goes (unless quiet); return its description once it has ended."""
        from aslkit.local.follow import Follower

        follower = Follower(SimpleNamespace(stepfunctions=self.sfn), execution_arn,
                            emit=(lambda line: None) if quiet else (lambda line: print(line, flush=True)))  # fmt: skip
        return follower.follow(timeout=FOLLOW_SECONDS, interval=0.5)

    def result(self, execution_arn: str, what: str, *, quiet: bool = False) -> dict[str, Any] | None:
        """Follow the execution to its end: its output, or None once stderr says why it did not succeed."""
        description = self.follow(execution_arn, quiet=quiet)
        if description["status"] != "SUCCEEDED":
            print(f"{what} {description['status'].lower()}: {description.get('error', '')}: "
                  f"{description.get('cause', '')}", file=sys.stderr)  # fmt: skip
            return None
        output: dict[str, Any] = json.loads(description["output"])
        return output


def _client_factory(args: argparse.Namespace) -> Any:
    try:
        return deployed.client_factory(args.profile, args.region, args.endpoint_url)
    except UserInputError as error:
        raise ShareError(str(error)) from None


def _not_waiting(execution_arn: str) -> int:
    print(f"execution {execution_arn}: follow it with `aslkit watch {execution_arn}`")
    return 0


# -- commands -------------------------------------------------------------------------------------------------------
def read_lims_manifest(path: Path) -> dict[str, Any]:
    """The package request of a LIMS manifest CSV: its runs and libraries (fastq data)."""
    if not path.is_file():
        raise ShareError(f"{path}: no such file (export the LIMS rows of the libraries to share as CSV)")
    with path.open(newline="", encoding="utf-8-sig") as handle:
        rows = [
            {(k or "").strip().lower(): (v or "").strip() for k, v in row.items()} for row in csv.DictReader(handle)
        ]
    columns = set(rows[0]) if rows else set()
    run_column = next((c for c in RUN_COLUMNS if c in columns), None)
    if not rows or "library_id" not in columns or run_column is None:
        raise ShareError(
            f"{path}: a LIMS manifest needs a header with library_id and instrument_run_id (or "
            f"sequencing_run_id) and at least one row; found columns {sorted(columns) or 'none'}"
        )
    incomplete = [n for n, row in enumerate(rows, start=2) if not row["library_id"] or not row[run_column]]
    if incomplete:
        raise ShareError(f"{path}: line(s) {', '.join(map(str, incomplete[:10]))} lack a library_id or a run id")
    return {
        "instrumentRunIdList": sorted({row[run_column] for row in rows}),
        "libraryIdList": sorted({row["library_id"] for row in rows}),
        "dataTypeList": ["fastq"],
    }


def generate_package(args: argparse.Namespace) -> int:
    request = read_lims_manifest(args.lims_manifest_csv)
    request["dataTypeList"] = sorted(set(args.data_types or ["fastq"]))
    if args.secondary_types:
        request["secondaryAnalysisTypeList"] = sorted(set(args.secondary_types))
    sharing = Sharing(args)
    package_id, arn = sharing.generate(args.package_name, request, sharing.caller())
    print(f"Generating package '{package_id}' ({len(request['libraryIdList'])} libraries of "
          f"{len(request['instrumentRunIdList'])} run(s))...", flush=True)  # fmt: skip
    if not args.wait:
        return _not_waiting(arn)
    out = sharing.result(arn, f"package {package_id}")
    if out is None:
        return 1
    runs = f"{out['workflows']} workflow runs, " if "secondaryAnalysis" in request["dataTypeList"] else ""
    print(
        f"Package {package_id} ({out['packageName']}): {out['libraries']} libraries, {runs}{out['files']} files, "
        f"{human_bytes(out['bytes'])}. Review it: aslkit share view-package-report --package-id {package_id}"
    )
    if out.get("missing"):
        print(f"warning: no FASTQ found for {', '.join(out['missing'])}", file=sys.stderr)
    if out.get("missingSecondary"):
        print(f"warning: no succeeded workflow run found for {', '.join(out['missingSecondary'])}", file=sys.stderr)
    return 0


def view_package_report(args: argparse.Namespace) -> int:
    sharing = Sharing(args)
    record, url = sharing.report_url(args.package_id)
    if args.output:
        bucket, key = record["report_uri"][5:].split("/", 1)
        args.output.write_bytes(sharing.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read())
        print(f"report saved to {args.output}")
    print(f"Report of {args.package_id} ({record['package_name']}), valid 1 h:\n{url}")
    if os.environ.get("BROWSER"):
        webbrowser.open(url)
    return 0


def push_package(args: argparse.Namespace) -> int:
    sharing = Sharing(args)
    push_id, arn = sharing.push(args.package_id, args.share_location, sharing.caller())
    print(f"Pushing package '{args.package_id}' to {args.share_location} as '{push_id}'...", flush=True)
    if not args.wait:
        return _not_waiting(arn)
    out = sharing.result(arn, f"push {push_id}")
    if out is None:
        return 1
    print(f"Push {push_id}: {out['files']} files, {human_bytes(out['bytes'])} copied to {out['destination']}")
    return 0


def presign_package(args: argparse.Namespace) -> int:
    sharing = Sharing(args)
    arn = sharing.presign(args.package_id, sharing.caller())
    out = sharing.result(arn, f"presign of {args.package_id}", quiet=True)
    if out is None:
        return 1
    print(f"Download script for {out['files']} file(s) of {args.package_id}:\n{out['scriptUrl']}\n"
          f"This link works until {out['scriptUrlExpiresAt']}; the links inside the script until "
          f"{out['filesExpireAt']}. Download the script and send it to its recipient, not this link.")  # fmt: skip
    return 0


def abort_package(args: argparse.Namespace) -> int:
    """Stop the package's execution and wait for it to end, then mark its record ABORTED: the execution never meets
    an ABORTED record half-way through a step (its conditional writes guard against records aborted by other
    means)."""
    sharing = Sharing(args)
    _, stopped = sharing.abort_package(args.package_id, f"{sharing.caller()} (aslkit share abort-package)",
                                       STOP_SECONDS)  # fmt: skip
    if stopped:
        print(f"Package {args.package_id} aborted; its execution is stopped")
    else:
        print(f"Package {args.package_id} aborted (its execution had already ended)")
    return 0


def abort_push_(args: argparse.Namespace) -> int:
    """Stop the push's execution (its Distributed Map's copies stop with it) and wait for it to end, abort every
    multipart upload it left open at its destination, then mark its record ABORTED. The files it had copied stay
    (the push's report of them is the destination's listing)."""
    sharing = Sharing(args)
    record, stopped, aborted = sharing.abort_push(args.push_id, f"{sharing.caller()} (aslkit share abort-push)",
                                                  STOP_SECONDS)  # fmt: skip
    destination = record["destination"]
    how = "its execution is stopped" if stopped else "its execution had already ended"
    if not destination.startswith("s3://"):
        uploads = "an upload cut short in ICAv2's storage is ICAv2's to expire"
    elif aborted is None:
        uploads = f"these credentials may not abort the multipart uploads left open at {destination}"
    else:
        uploads = f"{aborted} open multipart upload(s) aborted at {destination}"
    print(f"Push {args.push_id} aborted; {how}; {uploads}; the files already copied are left there")
    return 0
