"""`aslkit local install|up|down|status|logs`: LocalStack in host mode, from its own venv in the user's cache."""

from __future__ import annotations

import argparse
import sys

from aslkit.cli._common import add_root, root


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=("install", "up", "down", "status", "logs"),
                        help="install: build LocalStack's venv (once); up: start it on a free port and print its "
                        "URL; down: stop it; status: where it runs; logs: its last lines")  # fmt: skip
    add_root(parser)
    parser.add_argument("--lines", type=int, default=60, help="with logs: how many lines")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if args.action == "install":
        from aslkit.local.installer import install

        print(install(lambda line: print(line, flush=True)))
        return 0
    from aslkit.local.launcher import Launcher

    launcher = Launcher(root(args))
    if args.action == "up":
        print(launcher.up().url)
        return 0
    if args.action == "down":
        print("stopped" if launcher.down() else "no LocalStack started by aslkit was running")
        return 0
    if args.action == "status":
        found = launcher.status()
        if found is None:
            print("not running (start it with `aslkit local up`)", file=sys.stderr)
            return 1
        owner = f"pid {found.pid}, log {found.log_path}" if found.owned else "external"
        print(f"{found.url}  ({owner})")
        return 0
    print(launcher.tail(args.lines))
    return 0
