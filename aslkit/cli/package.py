"""`aslkit package`: the Lambda assets the CDK app deploys (dependencies layer, each function's code)."""

from __future__ import annotations

import argparse
from pathlib import Path

from aslkit.cli._common import add_root, rel, root


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_root(parser)
    parser.add_argument("--out", type=Path, default=None, help="default: ROOT/build/lambda")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from aslkit.build import discover
    from aslkit.package import build_function_dir, build_layer, build_zip, requirements_file

    base = root(args)
    out = (args.out or base / "build" / "lambda").resolve()
    requirements = requirements_file(base)
    if requirements is None:
        print("layer      none (no requirements.txt in the tasks package: functions get only their own code)")
    else:
        layer = build_layer(base, out)
        print(f"layer      {rel(layer, base)}  ({rel(requirements, base)}, Lambda-platform wheels)")
    for workflow in discover(base):
        for function in workflow.functions:
            folder = build_function_dir(base, function, out)
            archive = out / "zips" / f"{function.name}.zip"
            archive.parent.mkdir(parents=True, exist_ok=True)
            archive.write_bytes(build_zip(base, function))
            print(f"function   {rel(folder, base)}  {rel(archive, base)}")
    return 0
