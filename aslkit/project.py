"""A project that uses aslkit: where its workflows, tasks and committed definitions live.

Read from `[tool.aslkit]` in the project's `pyproject.toml`; every key is optional:

    [tool.aslkit]
    workflows = "workflows"          # the package holding one module (or package) per workflow: WORKFLOW = ...
    tasks = "tasks"                  # the package holding the Lambda code
    statemachines = "statemachines"  # where `aslkit build` writes the committed ASL

    [tool.aslkit.commands]           # extra `aslkit` subcommands, imported only when run
    readset = { entry = "workflows.readset:add_commands", help = "HealthOmics read sets: backfill a store" }

Reading it imports nothing of the project, so `aslkit --help` stays fast and a broken workflow module cannot stop
commands that do not need workflows.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aslkit.errors import UserInputError

PYPROJECT = "pyproject.toml"


@dataclass(frozen=True)
class Command:
    """A project's own `aslkit` subcommand: `entry` is `module:function`, called with the subparsers to add to."""

    name: str
    entry: str
    help: str = ""


@dataclass(frozen=True)
class Project:
    root: Path
    workflows: str = "workflows"
    tasks: str = "tasks"
    statemachines: str = "statemachines"
    commands: tuple[Command, ...] = field(default=())

    @property
    def workflows_dir(self) -> Path:
        return self.root / self.workflows.replace(".", "/")

    @property
    def tasks_dir(self) -> Path:
        return self.root / self.tasks.replace(".", "/")

    @property
    def statemachines_dir(self) -> Path:
        return self.root / self.statemachines

    @classmethod
    def load(cls, root: Path) -> Project:
        """The project at `root` (its `[tool.aslkit]`, or the defaults when it has none)."""
        root = root.resolve()
        pyproject = root / PYPROJECT
        table: dict[str, Any] = {}
        if pyproject.is_file():
            try:
                table = tomllib.loads(pyproject.read_text(encoding="utf-8")).get("tool", {}).get("aslkit", {})
            except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
                raise UserInputError(f"{pyproject} is not valid TOML: {error}", hint="fix the file") from error
        if not isinstance(table, dict):
            raise UserInputError(f"{pyproject}: [tool.aslkit] must be a table")
        return cls(
            root,
            workflows=_text(table, "workflows", "workflows", pyproject),
            tasks=_text(table, "tasks", "tasks", pyproject),
            statemachines=_text(table, "statemachines", "statemachines", pyproject),
            commands=tuple(_commands(table.get("commands", {}), pyproject)),
        )

    @classmethod
    def find(cls, start: Path | None = None) -> Project:
        """The project that holds `start` (default: the current folder): the nearest folder upwards with a
        pyproject.toml that has [tool.aslkit], else `start` itself with the defaults."""
        here = (start or Path.cwd()).resolve()
        for folder in (here, *here.parents):
            pyproject = folder / PYPROJECT
            if pyproject.is_file() and "[tool.aslkit" in pyproject.read_text(encoding="utf-8", errors="replace"):
                return cls.load(folder)
        return cls.load(here)


def _text(table: dict[str, Any], key: str, default: str, source: Path) -> str:
    value = table.get(key, default)
    if not isinstance(value, str) or not value:
        raise UserInputError(f"{source}: [tool.aslkit] {key} must be a non-empty string, not {value!r}")
    return value


def _commands(table: Any, source: Path) -> list[Command]:
    if not isinstance(table, dict):
        raise UserInputError(f"{source}: [tool.aslkit.commands] must be a table of name = {{ entry, help }}")
    commands = []
    for name, value in table.items():
        spec = {"entry": value} if isinstance(value, str) else value
        if not isinstance(spec, dict) or ":" not in str(spec.get("entry", "")):
            raise UserInputError(f'{source}: [tool.aslkit.commands] {name} needs entry = "module:function"')
        commands.append(Command(name, str(spec["entry"]), str(spec.get("help", ""))))
    return commands
