"""The `aslkit` command line."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from aslkit.asl.machine import AslValidationError
from aslkit.spec import SpecError


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

    args = parser.parse_args(argv)
    try:
        return int(args.run(args))
    except (SpecError, AslValidationError) as error:
        print(f"aslkit: {error}", file=sys.stderr)
        return 2


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
    print(f"{len(results)} state machine(s), all lint-clean")
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


def _rel(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


if __name__ == "__main__":
    sys.exit(main())
