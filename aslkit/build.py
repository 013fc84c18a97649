"""`aslkit build`: discover the workflows, render every state machine, lint it, write or check `statemachines/`."""

from __future__ import annotations

import importlib
import pkgutil
import sys
import traceback
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Literal

from aslkit.errors import AslkitError, SpecError, WorkflowLoadError
from aslkit.lint import substitutions
from aslkit.project import Project
from aslkit.spec import Required, Workflow

Status = Literal["written", "unchanged", "stale", "missing", "orphan"]


@dataclass(frozen=True)
class BuildResult:
    workflow: str
    machine: str
    path: Path
    status: Status


def discover(root: Path, package: str | None = None) -> list[Workflow]:
    """Import every module of the project's workflows package (`[tool.aslkit] workflows`, default `workflows/`;
    names not starting with `_`) and collect their `WORKFLOW`. A module that fails to import is reported as a
    `WorkflowLoadError` naming its file and line."""
    project = Project.load(root)
    package = package or project.workflows
    package_dir = project.root / package.replace(".", "/")
    if not package_dir.is_dir():
        raise SpecError(
            f"no {package}/ folder under {project.root}",
            hint="run aslkit from the project root, pass --root, or set [tool.aslkit] workflows in pyproject.toml",
        )
    if str(project.root) not in sys.path:
        sys.path.insert(0, str(project.root))
    workflows: list[Workflow] = []
    for info in sorted(pkgutil.iter_modules([str(package_dir)]), key=lambda i: i.name):
        if info.name.startswith("_"):
            continue
        module = load_module(f"{package}.{info.name}", project.root)
        workflow = getattr(module, "WORKFLOW", None)
        if not isinstance(workflow, Workflow):
            raise SpecError(f"{package}/{info.name} defines no WORKFLOW = Workflow(...): add one, or prefix it with _")
        workflows.append(workflow)
    names = [m.name for w in workflows for m in w.machines]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise SpecError(f"state machine names must be unique across workflows: {', '.join(duplicates)}")
    return workflows


def load_module(name: str, root: Path) -> ModuleType:
    """Import a project module; any error in it becomes a WorkflowLoadError with the file and line to fix."""
    try:
        return importlib.import_module(name)
    except AslkitError:
        raise
    except Exception as error:  # a project's module can raise anything at import: name where
        raise WorkflowLoadError(f"{_where(error, root)}: {type(error).__name__}: {_first_line(error)}",
                                hint=f"fix it, or prefix the module with _ to skip it ({name})") from error  # fmt: skip


def _where(error: BaseException, root: Path) -> str:
    """`file:line` of the deepest frame inside the project (or the file a SyntaxError names)."""
    if isinstance(error, SyntaxError) and error.filename:
        return f"{_relative(Path(error.filename), root)}:{error.lineno}"
    place = "?"
    for frame in traceback.extract_tb(error.__traceback__):
        path = Path(frame.filename)
        if path.is_relative_to(root) and ".venv" not in path.parts:
            place = f"{_relative(path, root)}:{frame.lineno}"
    return place


def _relative(path: Path, root: Path) -> str:
    return str(path.relative_to(root)) if path.is_relative_to(root) else str(path)


def _first_line(error: BaseException) -> str:
    text = error.msg if isinstance(error, SyntaxError) else str(error)
    return (text or repr(error)).splitlines()[0] if text else repr(error)


def machine_path(out_dir: Path, machine_name: str) -> Path:
    return out_dir / f"{machine_name}.asl.json"


def build(workflows: list[Workflow], out_dir: Path, *, check: bool = False) -> list[BuildResult]:
    """Render and lint every machine; write changed files, or with `check` only report what differs."""
    results: list[BuildResult] = []
    expected: set[Path] = set()
    if not check:
        out_dir.mkdir(parents=True, exist_ok=True)
    for workflow, machine, text in render_all(workflows):
        path = machine_path(out_dir, machine)
        expected.add(path)
        results.append(BuildResult(workflow, machine, path, sync(path, text, check=check)))
    for workflow_, machine_, declared in _substitutions(workflows):
        path = substitutions.sidecar(machine_path(out_dir, machine_))
        expected.add(path)
        results.append(BuildResult(workflow_, machine_, path, sync(path, substitutions.text(declared), check=check)))
    results.append(_diagrams(workflows, out_dir, check))
    if out_dir.is_dir():
        for pattern in ("*.asl.json", f"*{substitutions.SUFFIX}"):
            for path in sorted(out_dir.glob(pattern)):
                if path not in expected:
                    name = path.name.removesuffix(".asl.json").removesuffix(substitutions.SUFFIX)
                    results.append(BuildResult("-", name, path, "orphan"))
    return results


def _substitutions(workflows: list[Workflow]) -> Iterator[tuple[str, str, dict[str, str]]]:
    """(workflow, machine, placeholder -> what fills it) for every machine that has placeholders: the
    `NAME.substitutions.json` that lets `aslkit lint` check the committed file without flags."""
    for workflow in workflows:
        provided = workflow.provided_placeholders()
        for machine in workflow.machines:
            if machine.placeholders:
                yield workflow.name, machine.name, {name: _filled_by(workflow, name, provided)
                                                    for name in machine.placeholders}  # fmt: skip


def _filled_by(workflow: Workflow, name: str, provided: dict[str, str]) -> str:
    value = workflow.parameters.get(name)
    if isinstance(value, Required):
        return f"{provided[name]}, required: {value.description} (locally {value.local!r})"
    if value is not None:
        return f"{provided[name]}, {value!r} by default"
    return provided[name]


DIAGRAMS = "DIAGRAMS.md"


def diagrams_text(workflows: list[Workflow]) -> str:
    """Every machine's Mermaid diagram, one section per workflow (code hosts render them)."""
    import json

    from aslkit.render.diagram import mermaid

    parts = ["# State machine diagrams", "", "Generated by `aslkit build` from the definitions in this folder.", ""]
    for workflow in workflows:
        parts += [f"## {workflow.name}", "", workflow.description, ""]
        for machine in workflow.machines:
            document = json.loads(machine.to_json(lint=False))
            parts += [f"### {machine.name} ({machine.type})", "", "```mermaid", mermaid(document).rstrip(), "```", ""]
    return "\n".join(parts)


def _diagrams(workflows: list[Workflow], out_dir: Path, check: bool) -> BuildResult:
    path = out_dir / DIAGRAMS
    return BuildResult("*", "diagrams", path, sync(path, diagrams_text(workflows), check=check))


def sync(path: Path, text: str, *, check: bool) -> Status:
    """Make `path` hold `text` (or, with `check`, only say whether it does)."""
    current = path.read_text(encoding="utf-8") if path.exists() else None
    if current == text:
        return "unchanged"
    if check:
        return "missing" if current is None else "stale"
    path.write_text(text, encoding="utf-8")
    return "written"


def render_all(workflows: list[Workflow]) -> Iterator[tuple[str, str, str]]:
    """(workflow, machine, linted ASL text) for every machine of every workflow."""
    for workflow in workflows:
        workflow.check()
        for machine in workflow.machines:
            yield workflow.name, machine.name, machine.to_json()
