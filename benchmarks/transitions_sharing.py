"""Transitions and cost of one automatic-sharing controller run, counted over every execution it causes.

    .venv/bin/python benchmarks/transitions_sharing.py

On its own LocalStack: the demo's seed (a run of 4 libraries in 3 projects, 2 FASTQs each) and its jobs.json
(one job shared, one disabled, one without a project in the run), then the ReadSetsAdded fixture. Every execution
is counted: the controller, its Distributed Map children (one per job), sharing_package_push, sharing_packaging,
sharing_push and the push's Distributed Map children (one per file). Waiting on a child with `.sync:2` costs no
transition; the production design polled every 300 s (Wait, Check, Choice: 3 transitions a poll) for the package
and again for the push.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from aslkit.cost import PRICES_AS_OF, Prices  # noqa: E402
from aslkit.local.clients import AwsClients  # noqa: E402
from aslkit.local.launcher import private_localstack  # noqa: E402
from aslkit.testing.backend import LocalStackBackend  # noqa: E402
from aslkit.testing.harness import Harness  # noqa: E402
from workflows.sharing import WORKFLOW  # noqa: E402
from workflows.sharing.local import SEED, put_jobs, seed_library  # noqa: E402

POLL_S = 300  # the production interval
TRANSITIONS_PER_POLL = 3  # Wait, Check ... Status (Lambda), Is ... Complete (Choice)


def main() -> int:
    with private_localstack(ROOT) as endpoint:
        return measure(AwsClients(endpoint.url))


#: States a Distributed Map child enters, by outcome (LocalStack keeps no history of the children: modelled from
#: the definitions, one transition per state entered plus the start).
JOB_CHILD = {"invalid": 3, "skipped": 3, "pushed": 3, "packaged": 3, "duplicate": 4, "failed": 4}
FILE_CHILD_SMALL = 3  # Copy file, How to copy?, Copy object
FILE_CHILD_LARGE = 5  # Copy file, How to copy?, Start multipart copy, Copy parts, Complete (+ one per part)


def measure(aws: AwsClients) -> int:
    harness = Harness(LocalStackBackend(aws, ROOT), ROOT)
    deployment = harness.deploy(WORKFLOW, parameters={"package_poll_seconds": "1"})
    for library in json.loads((SEED / "libraries.json").read_text()):
        seed_library(aws, deployment, library)
    put_jobs(aws, deployment, json.loads((SEED / "jobs.json").read_text()))
    event = json.loads((ROOT / "asl_tests/data/sharing/read_sets_added.event.json").read_text())
    [controller] = harness.put_event(deployment, source=event["source"], detail_type=event["detail-type"],
                                     detail=event["detail"], machine="sharing_controller", timeout=120)  # fmt: skip
    assert controller.succeeded, controller.explain()
    rows: list[tuple[str, int, int]] = []  # what, executions, transitions
    jobs = controller.output["jobs"]
    rows.append(("sharing_controller", 1, controller.transitions))
    rows.append(("  its Distributed Map children, one per job (modelled)", len(jobs),
                 sum(JOB_CHILD[job["outcome"]] + 1 for job in jobs)))  # fmt: skip
    for machine in ("sharing_package_push", "sharing_packaging", "sharing_push"):
        results = [harness.wait(arn) for arn in harness.backend.executions(deployment, machine)]
        rows.append((machine, len(results), sum(r.transitions for r in results)))
        if machine == "sharing_push":
            files = sum(r.output["files"] for r in results)
            rows.append(
                ("  its Distributed Map children, one per file (modelled)", files, files * (FILE_CHILD_SMALL + 1))
            )
    transitions = sum(t for _, _, t in rows)
    price = Prices.for_region("us-east-1")
    print(f"Automatic sharing: one controller run (prices as of {PRICES_AS_OF}, us-east-1)")
    print(f"  jobs: {json.dumps(controller.output['counts'])}")
    for name, count, t in rows:
        print(f"  {name:<56} {count:>3} execution(s) {t:>4} transitions")
    print(f"  total: {transitions} transitions, ${price.standard(transitions):.5f} of Step Functions")
    for package_min, push_min in ((5, 10), (20, 60), (60, 240)):
        polls = -(-package_min * 60 // POLL_S) + -(-push_min * 60 // POLL_S)
        print(f"  production polling for a {package_min} min package and a {push_min} min push: {polls} polls, "
              f"{polls * TRANSITIONS_PER_POLL} transitions, up to {2 * POLL_S // 60} min of added latency; "
              f"here: 0 (.sync:2)")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
