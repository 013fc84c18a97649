"""The test suite's wall time and peak memory, per tier: `pytest --aslkit-backend=TIER` in a fresh process,
its process tree (pytest, LocalStack and its Lambda workers) sampled from /proc every 0.2 s for the peak of the
summed RSS. Targets (#15): `make test` (tier `all`) <= 3 minutes on 2 cores, peak RSS <= 3 GB.

    python benchmarks/bench_suite.py                  # `make test` (warm install), then the tier inprocess alone
    python benchmarks/bench_suite.py --tiers all --runs 3
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAGE = os.sysconf("SC_PAGE_SIZE")


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        tree.setdefault(int(fields[1]), []).append(int(entry.name))
    return tree


def tree_rss(root: int) -> int:
    """Bytes resident in `root` and every process under it."""
    children, total, todo = _children(), 0, [root]
    while todo:
        pid = todo.pop()
        try:
            total += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE
        except OSError:
            continue
        todo.extend(children.get(pid, []))
    return total


def run(tier: str, extra: list[str]) -> tuple[float, int, int]:
    """(seconds, peak RSS bytes, exit code) of one suite run (`make` runs `make test`)."""
    command = (
        ["make", "test"]
        if tier == "make"
        else [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--aslkit-backend={tier}", *extra]
    )
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    peak = 0
    while process.poll() is None:
        peak = max(peak, tree_rss(process.pid))
        time.sleep(0.2)
    return time.perf_counter() - started, peak, process.returncode


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tiers", nargs="+", default=["make", "inprocess"],
                        choices=["make", "inprocess", "localstack", "all"])  # fmt: skip
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("pytest_args", nargs="*", help="passed to pytest (e.g. a folder)")
    args = parser.parse_args()
    print(f"test suite on {os.cpu_count()} cores, {args.runs} run(s) per tier; pytest {' '.join(args.pytest_args)}")
    for tier in args.tiers:
        results = [run(tier, args.pytest_args) for _ in range(args.runs)]
        seconds = statistics.median(r[0] for r in results)
        peak = statistics.median(r[1] for r in results) / 1024**3
        codes = sorted({r[2] for r in results})
        label = "make test" if tier == "make" else f"pytest --aslkit-backend={tier}"
        print(f"  {label:32s} median {seconds:6.1f} s  peak RSS of the process tree {peak:5.2f} GB  exit {codes}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
