"""How fast the CLI answers in a fresh process: `aslkit --help` and `aslkit lint --rules`, inside this project
(whose catalogue must not be imported for them) and outside any project.

    .venv/bin/python benchmarks/bench_cli.py

Target (the library issue): <= 0.4 s each. Prints medians of 15 runs and, for scale, a bare `python -c pass`.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUNS = 15


def median_seconds(command: list[str], cwd: Path) -> float:
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        subprocess.run(command, cwd=cwd, capture_output=True, check=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> int:
    aslkit = [sys.executable, "-m", "aslkit.cli"]
    outside = Path(tempfile.mkdtemp(prefix="aslkit-bench-"))
    rows = [
        ("python -c pass (interpreter start)", [sys.executable, "-c", "pass"], ROOT),
        ("aslkit --help, in the catalogue", [*aslkit, "--help"], ROOT),
        ("aslkit lint --rules, in the catalogue", [*aslkit, "lint", "--rules"], ROOT),
        ("aslkit --help, outside a project", [*aslkit, "--help"], outside),
        ("aslkit lint --rules, outside a project", [*aslkit, "lint", "--rules"], outside),
    ]
    print(f"aslkit CLI start-up, fresh process, median of {RUNS} (target <= 0.40 s)")
    worst = 0.0
    for label, command, cwd in rows:
        seconds = median_seconds(command, cwd)
        if "aslkit" in label:
            worst = max(worst, seconds)
        print(f"  {label:<42} {seconds:5.3f} s")
    print(f"  worst aslkit command: {worst:.3f} s ({'meets' if worst <= 0.4 else 'misses'} the target)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
