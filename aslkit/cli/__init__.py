"""The `aslkit` command line: one module per command, each with `add_arguments(parser)` and `run(args)`.

This module is the one place where errors become messages: any `AslkitError`, botocore error, OSError or Ctrl-C
ends as one line on standard error and a documented exit code. `--debug` shows the traceback instead.
Command modules import what they need inside `run`, and a project's own commands (`[tool.aslkit.commands]`) are
imported only when invoked, so `aslkit --help` and `aslkit lint FILE` never import a workflow.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

from aslkit import __version__
from aslkit.errors import EXIT_CODES, AslkitError, ServiceError, UserInputError

#: command -> (module under aslkit.cli, one-line help), in the order `--help` lists them
COMMANDS: dict[str, tuple[str, str]] = {
    "init": ("init", "write a new project: a workflow, its task, its committed ASL and a test"),
    "build": ("build", "render every workflow's state machines into statemachines/ (--check: only compare)"),
    "lint": ("lint", "validate ASL files: JSON Schema plus semantic rules"),
    "import": ("importing", "turn an existing ASL definition into builder code that renders it back unchanged"),
    "graph": ("graph", "draw a state machine: Mermaid, Graphviz dot, SVG or PNG"),
    "package": ("package", "build the Lambda assets CDK deploys (layer + function code)"),
    "local": ("local", "LocalStack in host mode: install, up, down, status, logs"),
    "deploy": ("deploy", "deploy a workflow to LocalStack (--local)"),
    "run": ("run", "trigger a workflow on LocalStack as production does, and follow it"),
    "watch": ("watch", "follow an execution live, a line per state (LocalStack or AWS)"),
    "report": ("report", "an HTML report of executions: path taken, timeline, cost"),
}


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors that point to --help (argparse prints the whole usage otherwise)."""

    def error(self, message: str) -> NoReturn:
        print(f"{self.prog}: {message} (see `{self.prog} --help`)", file=sys.stderr)
        raise SystemExit(2)


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in arguments
    try:
        return _main(arguments)
    except SystemExit as stop:
        return stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 2)
    except BaseException as error:
        if debug:
            raise
        failure = describe(error)
        print(f"aslkit: {failure}", file=sys.stderr)
        return failure.exit_code


def describe(error: BaseException) -> AslkitError:
    """Any error as an AslkitError whose message is one line and says what to do next."""
    if isinstance(error, AslkitError):
        return error
    if isinstance(error, KeyboardInterrupt):
        return _Interrupted("interrupted")
    from aslkit.runtime.aws import service_error

    translated = service_error(error)
    if translated is not None:
        return translated
    if isinstance(error, FileNotFoundError):
        return UserInputError(f"no such file: {error.filename}", hint="check the path")
    if isinstance(error, (IsADirectoryError, NotADirectoryError, PermissionError)):
        return UserInputError(f"cannot use {error.filename}: {error.strerror}")
    if isinstance(error, OSError):
        return ServiceError(f"{type(error).__name__}: {error}")
    return _Internal(
        f"internal error: {type(error).__name__}: {error}", hint="run again with --debug for the traceback"
    )


class _Interrupted(AslkitError):
    exit_code = 130


class _Internal(AslkitError):
    exit_code = 70


def _main(arguments: list[str]) -> int:
    from aslkit.project import Project

    parser = _Parser(
        prog="aslkit",
        description="Define, test and ship AWS Step Functions workflows.",
        epilog="exit codes:\n" + "\n".join(f"  {code:<4} {text}" for code, text in EXIT_CODES.items()),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"aslkit {__version__}")
    parser.add_argument("--debug", action="store_true", help="show the traceback of an error instead of one line")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=_Parser)
    for name, (module, help) in COMMANDS.items():
        command = commands.add_parser(name, help=help, description=help)
        command.add_argument("--debug", action="store_true", help=argparse.SUPPRESS)
        importlib.import_module(f"aslkit.cli.{module}").add_arguments(command)
    project_commands = {}
    if _wants_project_commands(arguments):
        project_commands = {c.name: c for c in Project.find().commands if c.name not in COMMANDS}
    for command_spec in project_commands.values():
        stub = commands.add_parser(command_spec.name, help=command_spec.help or "a command of this project",
                                   add_help=False, prefix_chars="\0")  # fmt: skip
        stub.add_argument("rest", nargs=argparse.REMAINDER)
    args = parser.parse_args(arguments)
    if args.command in project_commands:
        return _run_project_command(project_commands[args.command].entry, [args.command, *args.rest])
    return int(args.run(args))


def _wants_project_commands(arguments: list[str]) -> bool:
    """Project commands are only looked up for `--help` or an unknown command (never for the built-ins)."""
    words = [a for a in arguments if not a.startswith("-")]
    return not words or words[0] not in COMMANDS


def _run_project_command(entry: str, arguments: list[str]) -> int:
    from aslkit.build import load_module
    from aslkit.project import Project

    project = Project.find()
    if str(project.root) not in sys.path:
        sys.path.insert(0, str(project.root))
    module_name, _, function = entry.partition(":")
    add_commands: Any = getattr(load_module(module_name, project.root), function, None)
    if add_commands is None:
        raise UserInputError(f"[tool.aslkit.commands]: {module_name} has no function {function!r}")
    parser = _Parser(prog="aslkit")
    subparsers = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    add_commands(subparsers)
    args = parser.parse_args(arguments)
    return int(args.run(args))


if __name__ == "__main__":
    sys.exit(main())
