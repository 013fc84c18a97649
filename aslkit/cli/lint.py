"""`aslkit lint FILE...`: the JSON Schema of ASL plus semantic rules, with precise locations."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from aslkit.errors import UserInputError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="*", type=Path,
                        help="ASL files, CloudFormation/SAM templates (JSON or YAML), CDK cdk.out folders")  # fmt: skip
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.add_argument("--placeholder", action="append", default=None, metavar="NAME[=VALUE]",
                        help="declare a ${NAME} placeholder (with =VALUE: substitute it before linting); "
                        "once given, any undeclared placeholder is an error")  # fmt: skip
    parser.add_argument("--rules", action="store_true", help="list the rules and exit")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from aslkit.lint import RULES, lint_file, lint_text, templates

    if args.rules:
        for rule, (severity, summary) in RULES.items():
            print(f"{rule:<22} {severity:<8} {summary}")
        return 0
    if not args.files:
        raise UserInputError(
            "give one or more ASL files (or --rules)", hint="e.g. aslkit lint statemachines/*.asl.json"
        )
    for file in args.files:
        if not file.exists():
            raise UserInputError(f"no such file: {file}")
    known: set[str] | None = None
    substitutions: dict[str, str] = {}
    if args.placeholder is not None:
        known = set()
        for item in args.placeholder:
            name, has_value, value = item.partition("=")
            if not name:
                raise UserInputError(f"--placeholder {item!r} has no name", hint="write --placeholder NAME[=VALUE]")
            known.add(name)
            if has_value:
                substitutions[name] = value
    reports = []
    for file in args.files:
        found = templates.find(file)  # a template's or a cdk.out folder's state machines; None for an ASL file
        if found is None:
            reports.append(lint_file(file, known_placeholders=known, substitutions=substitutions))
            continue
        for definition in found:  # what CloudFormation fills is declared, besides any --placeholder
            declared = definition.placeholders | (known or set())
            reports.append(lint_text(definition.text, source=definition.label, known_placeholders=declared,
                                     substitutions=substitutions))  # fmt: skip
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
