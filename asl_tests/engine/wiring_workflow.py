"""A workflow (not in the catalogue) for the in-process tier's services: a schedule, a rule whose delivery can
fail, an API with a path parameter, and a JSONata machine that reads null and the clock."""

from __future__ import annotations

from typing import Any

from aslkit.asl import Pass, StateMachine, jsonata
from aslkit.events import InputTransformer, Rule, Schedule
from aslkit.resources import Api, Function, Route
from aslkit.spec import Workflow

HANDLERS = "asl_tests.engine.wiring_workflow"


def greet(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """A Lambda proxy handler: the path parameter and the query string back as JSON."""
    if event["pathParameters"]["name"] == "boom":
        raise RuntimeError("the handler failed")
    body = {"hello": event["pathParameters"]["name"], "query": event["queryStringParameters"],
            "stage": event["requestContext"]["stage"], "method": event["httpMethod"]}  # fmt: skip
    return {"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": __import__("json").dumps(body)}


def ticked(name: str = "wiring_ticked") -> StateMachine:
    return StateMachine(name, Pass("Tick", query_language="JSONata",
                                              output=jsonata("{'input': $states.input, 'at': $now()}")),
                        query_language="JSONata")  # fmt: skip


def nulls() -> StateMachine:
    keep = Pass("Keep null", query_language="JSONata", assign={"missing": jsonata("$states.input.absent ? 1 : null"),
                                                               "given": jsonata("$states.input.value")})  # fmt: skip
    read = Pass("Read", query_language="JSONata",
                output=jsonata("{'missingIsNull': $missing = null, 'givenIsNull': $given = null, "
                               "'millis': $millis()}"))  # fmt: skip
    return StateMachine("wiring_nulls", keep >> read, query_language="JSONata")


TICKED = ticked()
NULLS = nulls()
greeter = Function("wiring_greeter", handler=f"{HANDLERS}.greet")

WORKFLOW = Workflow(
    "wiring",
    "the in-process tier's services",
    machines=[TICKED, NULLS],
    functions=[greeter],
    apis=[Api("wiring_api", routes=[Route("GET", "/hello/{name}", "wiring_greeter")])],
    rules=[
        Rule(
            "wiring_strict",
            pattern={"source": ["wiring.test"]},
            target=TICKED,
            input_transformer=InputTransformer({"v": "$.detail.value"}, '{"value": <v>}'),
        ),
    ],
    schedules=[Schedule("wiring_every_five", "rate(5 minutes)", target=TICKED, input={"from": "schedule"})],
)

NIGHTLY = ticked("wiring_nightly")
CRON_WORKFLOW = Workflow(
    "wiring_cron",
    "a cron schedule of its own",
    machines=[NIGHTLY],
    schedules=[Schedule("wiring_twice_daily", "cron(30 2,14 * * ? *)", target=NIGHTLY, input={"from": "cron"})],
)
