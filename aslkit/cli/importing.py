"""`aslkit import FILE [-o workflows/NAME.py]`: an existing ASL definition as builder code, checked to render back."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from aslkit.errors import UserInputError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=Path, help="an ASL file, or a CloudFormation/SAM template or cdk.out folder")
    parser.add_argument(
        "-o",
        "--output",
        type=Path,
        default=None,
        help="write the module here (default: print it), e.g. workflows/orders.py",
    )
    parser.add_argument("--name", default=None, help="the state machine's name (default: from the file name)")
    parser.add_argument(
        "--machine",
        default=None,
        metavar="LOGICAL_ID",
        help="in a template or cdk.out holding several state machines, the one to import",
    )
    parser.add_argument("--force", action="store_true", help="overwrite the output file if it exists")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from aslkit.importer import import_definition, snake_name
    from aslkit.lint import substitutions

    source, document = _definition(args.file, args.machine)
    values = substitutions.read(args.file) if not args.file.is_dir() else None
    machine = args.name or snake_name(source.rsplit("#", 1)[-1] if "#" in source else Path(source).name)
    workflow = snake_name(args.output.name) if args.output is not None else machine
    imported = import_definition(document, machine=machine, workflow=workflow, source=source, substitutions=values)
    if args.output is None:
        sys.stdout.write(imported.code)
        return 0
    if args.output.exists() and not args.force:
        raise UserInputError(f"{args.output} exists", hint="choose another --output, or pass --force to replace it")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(imported.code, encoding="utf-8")
    from aslkit.lint.model import build

    states = sum(1 for _ in build(imported.document).states())
    print(
        f"wrote {args.output}: state machine {machine!r}, {states} state(s), rendering {source} unchanged; "
        f"`aslkit build` writes it to statemachines/{machine}.asl.json"
    )
    return 0


def _definition(file: Path, machine: str | None) -> tuple[str, Any]:
    """(label, document) of the definition to import: the file itself, or one state machine of a template."""
    from aslkit.cli._common import read_json
    from aslkit.lint import templates

    if not file.exists():
        raise UserInputError(f"no such file: {file}", hint="check the path")
    found = templates.find(file)
    if found is None:
        return file.name, read_json(file, "ASL file")
    ids = [d.label.rsplit("#", 1)[-1] for d in found]
    if machine is None and len(found) == 1:
        chosen = found[0]
    elif machine in ids:
        chosen = found[ids.index(machine)]
    else:
        what = "holds several state machines" if machine is None else f"has no state machine {machine!r}"
        raise UserInputError(f"{file} {what}: {', '.join(ids) or 'none'}", hint="choose one with --machine LOGICAL_ID")
    try:
        return chosen.label, json.loads(chosen.text)
    except json.JSONDecodeError as error:
        raise UserInputError(f"{chosen.label}: the definition is not valid JSON: {error.msg}") from None
