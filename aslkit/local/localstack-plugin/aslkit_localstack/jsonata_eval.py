"""JSONata for Step Functions with jsonata-python (a port of jsonata-java, the engine LocalStack drives via a JVM)."""

from __future__ import annotations

import json
from typing import Any


def eval_jsonata(expression: str) -> Any:
    """Evaluate a composed JSONata expression (variables already bound by LocalStack) and return plain JSON."""
    import jsonata
    from localstack.services.stepfunctions.asl.jsonata.jsonata import JSONataException

    try:
        result = jsonata.Jsonata(expression).evaluate(None)
        return json.loads(json.dumps(result, default=_plain))
    except JSONataException:
        raise
    except Exception as error:
        raise JSONataException("UNKNOWN", str(error)) from error


def _plain(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return list(value)
    if isinstance(value, dict):
        return dict(value)
    if callable(value):
        return None  # a function value has no JSON form; jsonata-java serialises it as null too
    raise TypeError(f"{type(value).__name__} has no JSON form")


def install() -> None:
    from localstack.services.stepfunctions.asl.jsonata import jsonata as module

    module._eval_jsonata = eval_jsonata
