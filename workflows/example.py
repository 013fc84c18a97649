"""A small example that shows the way: a task Lambda, a Choice, an inline Map, Retry and a named failure.

Input: `{"runId": "...", "libraries": [{"id": "L1", "type": "WGS"}, ...]}`.
"""

from aslkit.asl import (
    Catch,
    Choice,
    Condition,
    Fail,
    Map,
    Pass,
    Retry,
    StateMachine,
    Succeed,
    lambda_invoke,
    path,
)
from aslkit.spec import Function, Workflow

summarise = Function(
    "example_summarise_run",
    handler="tasks.example.summarise_run.handler",
    description="Count the libraries of a run per type",
)

invalid = Fail("Run is invalid", error="InvalidRun", cause_path="$.error.Cause")
summary = lambda_invoke(
    "Summarise run",
    function=summarise.arn,
    payload=path("$"),
    result_selector={"summary": path("$.Payload")},
    result_path="$.result",
    retry=[Retry.lambda_transient()],
    catch=[Catch(["InvalidRun"], invalid, result_path="$.error")],
)
per_library = Map(
    "For each library",
    items_path="$.libraries",
    max_concurrency=10,
    item_selector={"runId": path("$.runId"), "library": path("$$.Map.Item.Value")},
    processor=Pass("Plan QC", parameters={"runId": path("$.runId"), "libraryId": path("$.library.id")}),
    result_path="$.plans",
)
has_wgs = (
    Choice("Any library?")
    .when(Condition.numeric_greater_than("$.result.summary.libraryCount", 0), per_library >> Succeed("Planned"))
    .otherwise(Succeed("Nothing to plan"))
)
machine = StateMachine(
    "example_run_summary",
    summary >> has_wgs,
    comment="Example: summarise a run's libraries and plan QC for each library",
    timeout_seconds=300,
)

WORKFLOW = Workflow(
    "example",
    "Summarise a sequencing run and plan QC for its libraries (the example that shows the way).",
    machines=[machine],
    functions=[summarise],
)
