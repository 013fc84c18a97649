"""`aslkit build [--check]`: render every workflow's machines into statemachines/ and lint them."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from aslkit.cli._common import add_root, rel, root


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if a committed file differs")
    add_root(parser)
    parser.add_argument("--out", type=Path, default=None, help="output folder (default: the project's statemachines/)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from aslkit.build import build, discover
    from aslkit.project import Project

    base = root(args)
    out = (args.out or Project.load(base).statemachines_dir).resolve()
    results = build(discover(base), out, check=args.check)
    for result in results:
        print(f"{result.status:>9}  {result.workflow}/{result.machine}  {rel(result.path, base)}")
    bad = [r for r in results if r.status in ("stale", "missing", "orphan")]
    if bad:
        print(f"\n{len(bad)} file(s) in {rel(out, base)} do not match the workflows: "
              "run `aslkit build` and commit the result", file=sys.stderr)  # fmt: skip
        return 1
    machines = sum(1 for r in results if r.workflow not in ("*", "-") and r.path.name.endswith(".asl.json"))
    print(f"{machines} state machine(s), all lint-clean; diagrams in {rel(out / 'DIAGRAMS.md', base)}")
    return 0
