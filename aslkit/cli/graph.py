"""`aslkit graph MACHINE`: Mermaid, Graphviz dot, SVG or PNG of a state machine."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from aslkit.cli._common import add_root, read_json, root
from aslkit.errors import UserInputError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("machine", help="a state machine name (statemachines/NAME.asl.json) or an ASL file")
    parser.add_argument("--format", choices=("mermaid", "dot", "svg", "png"), default="mermaid",
                        help="svg and png need Graphviz (apt-get install graphviz)")  # fmt: skip
    parser.add_argument("-o", "--output", type=Path, help="write to this file instead of standard output")
    add_root(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from aslkit.render import graphviz
    from aslkit.render.diagram import dot, mermaid

    candidate = Path(args.machine)
    if candidate.suffix == ".json":
        path = candidate
    else:
        from aslkit.project import Project

        path = Project.load(root(args)).statemachines_dir / f"{args.machine}.asl.json"
        if not path.exists():
            raise UserInputError(f"no state machine {args.machine!r}: expected {path}",
                                 hint="give an ASL file, or run `aslkit build` first")  # fmt: skip
    document = read_json(path, "ASL file")
    if not isinstance(document, dict) or not isinstance(document.get("States"), dict):
        raise UserInputError(f"{path} is not a state machine definition (no States object)",
                             hint=f"check it with `aslkit lint {path}`")  # fmt: skip
    title = path.name.removesuffix(".asl.json").removesuffix(".json")
    if args.format == "mermaid":
        data = mermaid(document, title).encode()
    elif args.format == "dot":
        data = dot(document, title).encode()
    else:
        if args.output is None and sys.stdout.isatty():
            raise UserInputError(f"{args.format.upper()} is binary or long: give -o {title}.{args.format}")
        data = graphviz.render(dot(document, title), args.format)
    if args.output is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    else:
        args.output.write_bytes(data)
        print(f"wrote {args.output}", file=sys.stderr)
    return 0
