"""The main job (`make demo`): build every workflow, lint it, and show each state machine.

It grows with the project: once the LocalStack harness lands it deploys and runs every workflow.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from aslkit.build import build, discover
from aslkit.lint import lint_file
from aslkit.render.outline import outline


def main(root: Path | None = None) -> int:
    root = (root or Path.cwd()).resolve()
    started = time.perf_counter()
    workflows = discover(root)
    results = build(workflows, root / "statemachines")
    print(f"aslkit demo: {len(workflows)} workflow(s), {len(results)} state machine(s)\n")
    failures = 0
    for workflow in workflows:
        print(f"■ {workflow.name}: {workflow.description}")
        for machine in workflow.machines:
            path = root / "statemachines" / f"{machine.name}.asl.json"
            report = lint_file(path, known_placeholders=machine.placeholders)
            failures += len(report.errors)
            document = machine.to_asl()
            verdict = (
                "lint clean"
                if not report.findings
                else f"{len(report.errors)} error(s), {len(report.warnings)} warning(s)"
            )
            print(f"  {machine.name} ({machine.type}, {path.relative_to(root)}, {verdict})")
            for line in outline(document, indent="  "):
                print(f"  {line}")
            if machine.placeholders:
                print(f"    deploy-time values: {', '.join(machine.placeholders)}")
            for line in report.text_lines():
                print(f"    {line}")
        print()
    print(f"done in {time.perf_counter() - started:.2f} s")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
