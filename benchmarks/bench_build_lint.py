"""Benchmark: build + lint of every workflow, and lint of a 200-state definition. Prints figures and targets.

make bench        (or: .venv/bin/python benchmarks/bench_build_lint.py)
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from aslkit.asl import (  # noqa: E402
    LAMBDA_TRANSIENT,
    Catch,
    Choice,
    Condition,
    Fail,
    Map,
    Parallel,
    Pass,
    Placeholder,
    Retry,
    StateMachine,
    Succeed,
    lambda_invoke,
    path,
)
from aslkit.lint import lint_document  # noqa: E402


def big_machine(n_states: int = 200) -> StateMachine:
    """A realistic definition of `n_states` states: blocks of a task with retry and catch, an inline Map,
    a Parallel and a Choice, chained one after the other."""
    failed = Fail("Failed", error="Failed", cause_path="$.error.Cause")
    done = Succeed("Done")
    per_block = 8  # task, map, item, parallel, left, right, choice, join
    start = last = None
    for block in range((n_states - 2) // per_block):
        task = lambda_invoke(
            f"Task {block}",
            function=Placeholder("fn"),
            payload={"step": block, "input": path("$.data")},
            result_selector={"value": path("$.Payload.value")},
            result_path=f"$.results.b{block}",
            retry=[Retry(LAMBDA_TRANSIENT, interval_seconds=1, max_attempts=3, backoff_rate=2)],
            catch=[Catch(["States.ALL"], failed, result_path="$.error")],
        )
        mapped = Map(
            f"Map {block}",
            items_path="$.items",
            processor=Pass(f"Item {block}", parameters={"v": path("$")}),
            result_path=f"$.mapped.b{block}",
        )
        parallel = Parallel(f"Parallel {block}", branches=[Pass(f"Left {block}"), Pass(f"Right {block}")],
                            result_path="$.parallel")  # fmt: skip
        join = Pass(f"Join {block}")
        choice = (
            Choice(f"Choice {block}")
            .when(Condition.string_equals_path("$.a", "$.b"), done)
            .when(Condition.numeric_greater_than(f"$.results.b{block}.value", 10), failed)
            .otherwise(join)
        )
        task >> mapped >> parallel >> choice
        if last is None:
            start = task
        else:
            last >> task
        last = join
    padding = n_states - 2 - per_block * ((n_states - 2) // per_block)
    for index in range(padding):
        step = Pass(f"Pad {index}")
        last >> step
        last = step
    last >> done
    return StateMachine("big", start)


def timed(fn, repeat: int) -> list[float]:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return samples


def main() -> int:
    # 1. aslkit build --check as a user runs it: a fresh process (imports included).
    cli = [sys.executable, "-m", "aslkit.cli", "build", "--check", "--root", str(ROOT)]
    build_runs = timed(lambda: subprocess.run(cli, check=True, capture_output=True), 5)

    # 2. lint of a 200-state definition, in process.
    machine = big_machine()
    document = machine.to_asl()
    states = sum(1 for _ in _all_states(document))
    lint_document(document)  # warm the schema validator and the parser caches once
    lint_runs = timed(lambda: lint_document(document), 20)
    findings = lint_document(document).findings

    print("aslkit build + lint benchmark (median of runs)")
    print(f"  build --check of all workflows (fresh process): {statistics.median(build_runs) * 1000:7.1f} ms"
          f"   target < 2000 ms   runs={len(build_runs)}")  # fmt: skip
    print(f"  lint of a {states}-state definition:              {statistics.median(lint_runs) * 1000:7.1f} ms"
          f"   target <  100 ms   runs={len(lint_runs)} findings={len(findings)}")  # fmt: skip
    return 0


def _all_states(document: dict):
    for name, state in document["States"].items():
        yield name
        for branch in state.get("Branches", []):
            yield from _all_states(branch)
        if "ItemProcessor" in state:
            yield from _all_states(state["ItemProcessor"])


if __name__ == "__main__":
    sys.exit(main())
