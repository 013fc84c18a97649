"""Benchmark of the LocalStack harness: start, Lambda invokes, execution latency, harness overhead, memory.

    make bench     (or: .venv/bin/python benchmarks/bench_localstack.py)

Starts its own LocalStack (never reuses one) and stops it at the end. Targets from the harness issue:
start <= 3 s, a Lambda-task execution <= 200 ms warm, harness overhead per test <= 0.5 s.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from aslkit.local.clients import AwsClients  # noqa: E402
from aslkit.local.launcher import private_localstack  # noqa: E402
from aslkit.testing.backend import LocalStackBackend  # noqa: E402
from aslkit.testing.harness import Harness  # noqa: E402


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its descendants, in MB."""
    out = subprocess.run(["ps", "-e", "-o", "pid=,ppid=,rss="], capture_output=True, text=True, check=True).stdout
    table = [tuple(int(x) for x in line.split()) for line in out.splitlines() if line.strip()]
    children: dict[int, list[int]] = {}
    rss = {}
    for p, pp, r in table:
        children.setdefault(pp, []).append(p)
        rss[p] = r
    total, stack = 0, [pid]
    while stack:
        current = stack.pop()
        total += rss.get(current, 0)
        stack.extend(children.get(current, []))
    return total / 1024


def main() -> int:
    t0 = time.perf_counter()
    with private_localstack(ROOT) as endpoint:
        return measure(endpoint, time.perf_counter() - t0)


def measure(endpoint, start_s: float) -> int:
    sys.path.insert(0, str(ROOT / "asl_tests"))
    from localstack.checks_workflow import WORKFLOW  # type: ignore[import-not-found]

    aws = AwsClients(endpoint.url)
    harness = Harness(LocalStackBackend(aws, ROOT, Path(endpoint.mock_config)), ROOT)
    t0 = time.perf_counter()
    deployment = harness.deploy(WORKFLOW)
    deploy_s = time.perf_counter() - t0

    lam = aws.client("lambda")
    t0 = time.perf_counter()
    lam.invoke(FunctionName="checks_echo", Payload=b"{}")
    first_invoke_ms = (time.perf_counter() - t0) * 1000
    warm = []
    for _ in range(30):
        t0 = time.perf_counter()
        lam.invoke(FunctionName="checks_echo", Payload=b"{}")
        warm.append((time.perf_counter() - t0) * 1000)

    def one_execution(n: int) -> float:
        t0 = time.perf_counter()
        result = harness.run(deployment, {"scenario": "echo", "n": n}, machine="checks_errors")
        assert result.succeeded, result.explain()
        return (time.perf_counter() - t0) * 1000

    one_execution(-1)  # warm the state machine path
    sequential = [one_execution(n) for n in range(20)]
    t0 = time.perf_counter()
    with ThreadPoolExecutor(max_workers=20) as pool:
        concurrent = list(pool.map(one_execution, range(20)))
    concurrent_wall_s = time.perf_counter() - t0

    # Harness overhead per test: what a test pays beyond its own execution, with the session deployment reused:
    # the (cached) deploy call, a unique execution name, the history read and result parsing, mock clean-up.
    overhead = []
    for n in range(10):
        t0 = time.perf_counter()
        cached = harness.deploy(WORKFLOW)
        arn = harness.start(cached, {"scenario": "echo", "n": n}, machine="checks_errors")
        harness.wait(arn)
        total = time.perf_counter() - t0
        description = aws.stepfunctions.describe_execution(executionArn=arn)
        engine = (description["stopDate"] - description["startDate"]).total_seconds()
        harness.clear_mocks()
        overhead.append(max(0.0, total - engine))

    rss = rss_mb(endpoint.pid)
    print("aslkit LocalStack harness benchmark (2-core machine; medians unless said)")
    print(f"  LocalStack start to Ready:                 {start_s:6.2f} s      target <= 3 s")
    print(f"  deploy of the checks workflow (13 resources): {deploy_s:6.2f} s")
    print(f"  first Lambda invoke (cold worker):         {first_invoke_ms:6.0f} ms")
    print(f"  warm Lambda invoke:                        {statistics.median(warm):6.1f} ms   (n={len(warm)})")
    print(f"  Lambda-task execution, sequential:         {statistics.median(sequential):6.0f} ms   "
          f"target <= 200 ms warm (p90 {sorted(sequential)[17]:.0f} ms, n=20)")  # fmt: skip
    print(f"  20 concurrent executions, wall:            {concurrent_wall_s:6.2f} s   "
          f"(median each {statistics.median(concurrent):.0f} ms)")  # fmt: skip
    print(f"  harness overhead per test:                 {statistics.median(overhead) * 1000:6.0f} ms   "
          f"target <= 500 ms (max {max(overhead) * 1000:.0f} ms)")  # fmt: skip
    print(f"  RSS, LocalStack + warm workers:            {rss:6.0f} MB")
    print(json.dumps({"start_s": round(start_s, 2), "warm_invoke_ms": round(statistics.median(warm), 1),
                      "execution_ms": round(statistics.median(sequential)), "rss_mb": round(rss)}))  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
