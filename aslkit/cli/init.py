"""`aslkit init NAME`: write a new project (a workflow, its task, its committed ASL, a test, a README)."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", help="the project's folder (created; must not exist or be empty)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from aslkit.scaffold import write

    target = Path(args.name).resolve()
    for path in write(target, target.name):
        print(f"wrote {path.relative_to(target.parent)}")
    print(f"\nnext: cd {args.name} && pytest && aslkit build --check")
    return 0
