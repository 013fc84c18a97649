"""`aslkit build`: discover the workflows, render every state machine, lint it, write or check `statemachines/`."""

from __future__ import annotations

import importlib
import pkgutil
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from aslkit.spec import SpecError, Workflow

Status = Literal["written", "unchanged", "stale", "missing", "orphan"]


@dataclass(frozen=True)
class BuildResult:
    workflow: str
    machine: str
    path: Path
    status: Status


def discover(root: Path, package: str = "workflows") -> list[Workflow]:
    """Import every module of `root/package` (names not starting with `_`) and collect their `WORKFLOW`."""
    package_dir = root / package
    if not package_dir.is_dir():
        raise SpecError(f"no {package}/ folder under {root}: run aslkit from the project root or pass --root")
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    workflows: list[Workflow] = []
    for info in sorted(pkgutil.iter_modules([str(package_dir)]), key=lambda i: i.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{package}.{info.name}")
        workflow = getattr(module, "WORKFLOW", None)
        if not isinstance(workflow, Workflow):
            raise SpecError(f"{package}/{info.name} defines no WORKFLOW = Workflow(...): add one, or prefix it with _")
        workflows.append(workflow)
    names = [m.name for w in workflows for m in w.machines]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise SpecError(f"state machine names must be unique across workflows: {', '.join(duplicates)}")
    return workflows


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
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current == text:
            status: Status = "unchanged"
        elif check:
            status = "missing" if current is None else "stale"
        else:
            path.write_text(text, encoding="utf-8")
            status = "written"
        results.append(BuildResult(workflow, machine, path, status))
    if out_dir.is_dir():
        for path in sorted(out_dir.glob("*.asl.json")):
            if path not in expected:
                results.append(BuildResult("-", path.name.removesuffix(".asl.json"), path, "orphan"))
    return results


def render_all(workflows: list[Workflow]) -> Iterator[tuple[str, str, str]]:
    """(workflow, machine, linted ASL text) for every machine of every workflow."""
    for workflow in workflows:
        workflow.check()
        for machine in workflow.machines:
            yield workflow.name, machine.name, machine.to_json()
