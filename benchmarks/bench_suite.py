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


def tree_rss(root: int) -> dict[int, int]:
    """Bytes resident in `root` and in every process under it, by process id."""
    children, found, todo = _children(), {}, [root]
    while todo:
        pid = todo.pop()
        try:
            found[pid] = int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE
        except OSError:
            continue
        todo.extend(children.get(pid, []))
    return found


def _label(pid: int) -> str:
    """What a process is, for people: its command line's telling words (pytest -m ..., LocalStack, a worker)."""
    try:
        words = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
    except OSError:
        return "?"
    text = " ".join(w for w in words if w)
    kinds = (("aslkit_localstack/worker.py", "Lambda workers"), ("localstack", "LocalStack"), ("chromium", "Chromium"),
             ("node", "node (CDK synth)"), ("mypy", "mypy"), ("ruff", "ruff"))  # fmt: skip
    for needle, name in kinds:
        if needle in text:
            return name
    if "pytest" in text:
        marks = text.split(" -m ", 1)[1].split(" --")[0] if " -m " in text else "every test"
        return f"pytest ({marks[:40]})"
    return Path(words[0]).name if words and words[0] else "?"


def run(tier: str, extra: list[str]) -> tuple[float, int, int, dict[str, int]]:
    """(seconds, peak RSS bytes, exit code, the peak's bytes by kind of process) of one suite run (`make` runs
    `make test`)."""
    command = (
        ["make", "test"]
        if tier == "make"
        else [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--aslkit-backend={tier}", *extra]
    )
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    peak, kinds = 0, {}
    while process.poll() is None:
        sample = tree_rss(process.pid)
        if sum(sample.values()) > peak:  # a new peak: say what held it while the processes are there
            peak, kinds = sum(sample.values()), {}
            for pid, size in sample.items():
                kinds[_label(pid)] = kinds.get(_label(pid), 0) + size
        time.sleep(0.2)
    return time.perf_counter() - started, peak, process.returncode, kinds


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
        at_peak = max(results, key=lambda r: r[1])[3]  # the processes at the highest peak
        print("    at the peak: " + ", ".join(f"{kind} {size / 1024**3:.2f} GB" for kind, size in
                                           sorted(at_peak.items(), key=lambda item: -item[1])[:8]))  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
