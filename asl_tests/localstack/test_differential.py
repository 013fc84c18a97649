"""The differential suite: every corpus definition on the in-process engine and on LocalStack, compared on status,
error, the states entered and the output. Where they differ, AWS's documentation decides, and the difference is
listed in KNOWN with the page that settles it."""

from __future__ import annotations

import json
from typing import Any

import pytest

from asl_tests.conformance.corpus import CASES, DOCUMENTS, WORKFLOW, Case
from aslkit.engine import Engine
from aslkit.runtime.results import ExecutionResult

#: these tests are about the engine against LocalStack: they run on LocalStack only
pytestmark = [pytest.mark.localstack, pytest.mark.usefixtures("localstack")]

#: (machine, field) -> why the engine differs from LocalStack and which side AWS's documentation supports
KNOWN: dict[tuple[str, str], str] = {
    ("conf_no_choice", "error"): "LocalStack: States.Runtime. AWS: States.NoChoiceMatched, 'A Choice state failed to "
    "find a match for the condition field extracted from its input' (States Language spec, appendix A; "
    "docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html). The engine follows AWS.",
    ("conf_intrinsic_failure", "error"): "LocalStack: States.Runtime. AWS names a failed intrinsic function "
    "States.IntrinsicFailure (concepts-error-handling.html, error names). The engine follows AWS.",
    ("conf_ja_query_error", "error"): "LocalStack: States.Runtime. AWS: a JSONata expression that throws is "
    "States.QueryEvaluationError, recorded with an EvaluationFailed event (API_EvaluationFailedEventDetails; "
    "concepts-error-handling.html). The engine follows AWS.",
}
#: machines whose branches or iterations run concurrently: the order of their states is not part of the contract
CONCURRENT = {name for name, document in DOCUMENTS.items() if '"Parallel"' in json.dumps(document)
              or '"Map"' in json.dumps(document)}  # fmt: skip


def observed(result: ExecutionResult, machine: str) -> dict[str, Any]:
    states: Any = sorted(result.states) if machine in CONCURRENT else result.states
    return {"status": result.status, "error": result.error, "states": states, "output": result.output}


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine.for_workflow(WORKFLOW)


@pytest.mark.parametrize("case", CASES, ids=[f"{c.machine}-{json.dumps(c.input, sort_keys=True)[:40]}" for c in CASES])
def test_the_engine_and_localstack_agree(case: Case, harness, engine: Engine) -> None:
    deployment = harness.deploy(WORKFLOW)
    on_localstack = observed(harness.run(deployment, case.input, machine=case.machine), case.machine)
    in_process = observed(engine.run(case.machine, case.input), case.machine)
    for field, value in on_localstack.items():
        if (case.machine, field) in KNOWN:
            assert in_process[field] != value, f"a known difference is gone: {KNOWN[case.machine, field]}"
            continue
        assert in_process[field] == value, f"{field}: engine {in_process[field]!r} != LocalStack {value!r}"
