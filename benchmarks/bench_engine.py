"""The in-process engine against the LocalStack harness, on the same four machines in both query languages.

    .venv/bin/python benchmarks/bench_engine.py [--engine-only]

Machines: 10 Pass states; a Choice loop of 50 iterations; a Map over 100 items; 3 Lambda tasks calling the
catalogue's real handler (`tasks.example.summarise_run.handler`). Both backends run the same definitions, built
with aslkit's builders, in the same run: medians per execution and their ratio. Targets (the engine issue):
>= 100x faster than the LocalStack harness on each machine, <= 50 us per state entered on the Choice loop.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from aslkit.asl import (  # noqa: E402
    DISCARD,
    Choice,
    Condition,
    Intrinsic,
    Map,
    Pass,
    StateMachine,
    Succeed,
    jsonata,
    lambda_invoke,
    path,
)
from aslkit.asl.machine import StateMachine as Machine  # noqa: E402
from aslkit.engine import Engine  # noqa: E402
from aslkit.spec import Function, Workflow  # noqa: E402

RUN = {"runId": "R1", "libraries": [{"id": f"L{i}", "type": "WGS"} for i in range(3)]}
summarise = Function("bench_summarise", handler="tasks.example.summarise_run.handler")


def machines() -> dict[str, tuple[Machine, Any, int]]:
    """name -> (machine, input, states entered per execution)."""
    out: dict[str, tuple[Machine, Any, int]] = {}
    for language in ("JSONPath", "JSONata"):
        short = "jp" if language == "JSONPath" else "ja"
        passes = Pass("P0")
        chain: Any = passes
        for i in range(1, 10):
            chain = chain >> Pass(f"P{i}")
        out[f"bench_pass_{short}"] = (StateMachine(f"bench_pass_{short}", chain, query_language=language), {"x": 1}, 10)

        if language == "JSONPath":
            step = Pass("Step", parameters={"n": Intrinsic("MathAdd", path("$.n"), 1)})
            loop = Choice("More?").when(Condition.numeric_less_than("$.n", 50), step)
        else:
            step = Pass("Step", assign={"n": jsonata("$n + 1")})
            loop = Choice("More?").when("$n < 50", step)
        start = Pass("Start", assign={"n": 0}) if language == "JSONata" else Pass("Start", result={"n": 0})
        step.next(loop)
        loop.otherwise(Succeed("Done"))
        out[f"bench_loop_{short}"] = (StateMachine(f"bench_loop_{short}", start >> step, query_language=language),
                                      {}, 1 + 50 * 2 + 1)  # fmt: skip

        items = jsonata("$states.input.items") if language == "JSONata" else None
        fan = Map("Each", processor=Pass("Item"), items=items, items_path="$.items" if items is None else None,
                  max_concurrency=10)  # fmt: skip
        out[f"bench_map_{short}"] = (StateMachine(f"bench_map_{short}", fan, query_language=language),
                                     {"items": list(range(100))}, 1 + 100)  # fmt: skip

        payload = jsonata("$states.input") if language == "JSONata" else path("$")
        keep = {"output": jsonata("$states.input")} if language == "JSONata" else {"result_path": DISCARD}
        tasks = [lambda_invoke(f"Summarise {i}", function=summarise.arn, payload=payload, **keep) for i in range(3)]
        out[f"bench_lambda_{short}"] = (StateMachine(f"bench_lambda_{short}", tasks[0] >> tasks[1] >> tasks[2],
                                                     query_language=language), RUN, 3)  # fmt: skip
    return out


def median_ms(run: Any, input: Any, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        result = run(input)
        times.append((time.perf_counter() - started) * 1000)
        assert result.status == "SUCCEEDED", result.explain()
    return statistics.median(times)


def main() -> int:
    engine_only = "--engine-only" in sys.argv
    specs = machines()
    workflow = Workflow("bench", "benchmark machines", machines=[m for m, _, _ in specs.values()],
                        functions=[summarise])  # fmt: skip
    engine = Engine.for_workflow(workflow, root=Path("/nonexistent"))
    engine_ms = {}
    for name, (_, input, _states) in specs.items():
        engine.run(name, input)  # warm: the handler's imports, compiled expressions
        engine_ms[name] = median_ms(lambda data, n=name: engine.run(n, data), input, 30)
    localstack_ms: dict[str, float] = {}
    if not engine_only:
        localstack_ms = measure_localstack(workflow, specs)
    print("aslkit engine vs LocalStack harness, median per execution (same run, 2-core machine)")
    print(f"  {'machine':<18} {'states':>6} {'engine':>10} {'us/state':>9} {'LocalStack':>11} {'ratio':>8}")
    for name, (_, _, states) in specs.items():
        line = f"  {name:<18} {states:>6} {engine_ms[name]:>8.2f}ms {engine_ms[name] * 1000 / states:>9.0f}"
        if name in localstack_ms:
            line += f" {localstack_ms[name]:>9.0f}ms {localstack_ms[name] / engine_ms[name]:>7.0f}x"
        print(line)
    loops = {n: engine_ms[n] * 1000 / specs[n][2] for n in engine_ms if "loop" in n}
    print("  Choice loop per state: " + ", ".join(f"{n}: {v:.0f} us" for n, v in loops.items()) + " (target <= 50)")
    if localstack_ms:
        print(f"  smallest ratio: {min(localstack_ms[n] / engine_ms[n] for n in localstack_ms):.0f}x (target >= 100x)")
    print(json.dumps({"engine_ms": {k: round(v, 3) for k, v in engine_ms.items()},
                      "localstack_ms": {k: round(v, 1) for k, v in localstack_ms.items()}}))  # fmt: skip
    return 0


def measure_localstack(workflow: Workflow, specs: dict[str, tuple[Machine, Any, int]]) -> dict[str, float]:
    from aslkit.local.clients import AwsClients
    from aslkit.local.launcher import private_localstack
    from aslkit.testing.backend import LocalStackBackend
    from aslkit.testing.harness import Harness

    out = {}
    with private_localstack(ROOT) as endpoint:
        harness = Harness(LocalStackBackend(AwsClients(endpoint.url), ROOT, Path(endpoint.mock_config)), ROOT)
        deployment = harness.deploy(workflow)
        for name, (_, input, _) in specs.items():
            harness.run(deployment, input, machine=name)
            out[name] = median_ms(lambda data, n=name: harness.run(deployment, data, machine=n), input, 7)
    return out


if __name__ == "__main__":
    sys.exit(main())
