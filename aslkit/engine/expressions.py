"""Values of both query languages: JSONPath payload templates (`"key.$": path or intrinsic`) and JSONata
`{% ... %}` expressions with `$states` and the execution's variables, plus Step Functions' own JSONata functions.

JSONata expressions are compiled once per text (jsonata-python) and reused.
"""

from __future__ import annotations

import functools
import json
import random
import re
import time
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import jsonata
from jsonata.utils import Utils

from aslkit.asl.errors import States
from aslkit.engine import intrinsics, paths
from aslkit.engine.failures import StatesFailure


class Scope:
    """What a value can read: the effective input (`$`), the context object (`$$`), variables, and, for JSONata,
    the `$states` fields set so far (result, errorOutput)."""

    __slots__ = ("clock", "context", "input", "rng", "states", "variables")

    def __init__(self, input: Any, context: dict[str, Any], variables: dict[str, Any], rng: random.Random,
                 clock: Callable[[], float] = time.time) -> None:  # fmt: skip
        self.input = input
        self.context = context
        self.variables = variables
        self.rng = rng
        self.clock = clock  # $now() and $millis() read it: the engine's virtual clock
        self.states: dict[str, Any] = {"input": input, "context": context}


# -- JSONPath -----------------------------------------------------------------------------------------------------
def read_path(path: str, data: Any, scope: Scope, *, field: str) -> Any:
    """A path's value, or States.Runtime naming the field, as AWS words it."""
    try:
        return paths.read(path, data, context=scope.context, variables=scope.variables)
    except paths.PathNotFound:
        raise StatesFailure(
            States.RUNTIME,
            f"An error occurred while executing the state. The JSONPath '{path}' specified for the field "
            f"'{field}' could not be found in the input '{json.dumps(data, separators=(',', ':'))}'",
        ) from None


def template(value: Any, data: Any, scope: Scope, *, field: str = "Parameters") -> Any:
    """A JSONPath payload template filled from `data`: `key.$` values are paths or intrinsic calls."""
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if key.endswith(".$") and isinstance(item, str):
                out[key[:-2]] = _dynamic(item, data, scope, f"{key}")
            else:
                out[key] = template(item, data, scope, field=field)
        return out
    if isinstance(value, list):
        return [template(item, data, scope, field=field) for item in value]
    return value


def _dynamic(text: str, data: Any, scope: Scope, field: str) -> Any:
    if text.startswith("States."):
        return intrinsics.evaluate(text, lambda path: read_path(path, data, scope, field=field), scope.rng)
    return read_path(text, data, scope, field=field)


def select(body: Mapping[str, Any], field: str, data: Any, scope: Scope) -> Any:
    """InputPath / OutputPath: `$` when absent; null gives `{}`."""
    if field not in body:
        return data
    path = body[field]
    return {} if path is None else read_path(path, data, scope, field=field)


def place(body: Mapping[str, Any], data: Any, result: Any) -> Any:
    """ResultPath: where the result goes in the state's input (absent: replaces it; null: the input unchanged)."""
    if "ResultPath" not in body:
        return result
    result_path = body["ResultPath"]
    if result_path is None:
        return data
    try:
        return paths.write(str(result_path), data, result)
    except paths.PathNotFound:
        raise StatesFailure(States.RESULT_PATH_MATCH_FAILURE,
                            f"Unable to apply ResultPath '{result_path}' to the input") from None  # fmt: skip


# -- JSONata ------------------------------------------------------------------------------------------------------
def is_expression(value: Any) -> bool:
    return isinstance(value, str) and value.startswith("{%") and value.endswith("%}")


def evaluate(value: Any, scope: Scope, *, field: str) -> Any:
    """A JSONata field's value: `{% %}` strings evaluated at any depth of objects and arrays; the rest as is."""
    if isinstance(value, str):
        if is_expression(value):
            return _run(value[2:-2].strip(), scope, field)
        return value
    if isinstance(value, dict):
        return {key: evaluate(item, scope, field=field) for key, item in value.items()}
    if isinstance(value, list):
        return [evaluate(item, scope, field=field) for item in value]
    return value


#: `$name` or `$name.field.field`: read directly (a third of the catalogue's expressions), as JSONata would
_SIMPLE_PATH = re.compile(r"^\$([A-Za-z_][A-Za-z0-9_]*)((?:\.[A-Za-z_][A-Za-z0-9_]*)*)$")
_KEYWORDS = frozenset({"and", "or", "in", "true", "false", "null", "function"})
_NOT_SIMPLE = object()


def _simple_path(expression: str, scope: Scope) -> Any:
    """The value of a plain variable path, or _NOT_SIMPLE where JSONata's own rules are needed (a step into an
    array maps over it; an array result is a sequence)."""
    match = _SIMPLE_PATH.match(expression)
    if match is None:
        return _NOT_SIMPLE
    name, steps = match[1], match[2].split(".")[1:]
    if name in _KEYWORDS or any(step in _KEYWORDS for step in steps):
        return _NOT_SIMPLE
    if name != "states" and name not in scope.variables:
        return _NOT_SIMPLE  # undefined, or one of JSONata's functions ($now)
    value = scope.states if name == "states" else scope.variables[name]
    for step in steps:
        if isinstance(value, list):
            return _NOT_SIMPLE
        if not isinstance(value, dict):
            return None  # a field of a value that is not an object: undefined
        value = value.get(step)
    if isinstance(value, list):
        return _NOT_SIMPLE
    return _plain(value)


def _run(expression: str, scope: Scope, field: str) -> Any:
    simple = _simple_path(expression, scope)
    if simple is not _NOT_SIMPLE:
        return simple
    return _evaluated(expression, scope, field)


def _evaluated(expression: str, scope: Scope, field: str) -> Any:
    compiled = _compiled(expression)
    # only what the expression names is converted for it (all of it when it may name anything: `$eval`)
    every = "$eval" in expression
    bindings: dict[str, Any] = {name: _converted(value) for name, value in scope.variables.items()
                                if every or f"${name}" in expression}  # fmt: skip
    if every or "$states" in expression:
        bindings["states"] = {key: _context(value) if key == "context" else _converted(value)
                              for key, value in scope.states.items() if every or key in expression}  # fmt: skip
    _RNG[0] = scope.rng
    _CLOCK[0] = scope.clock
    try:
        result = compiled.evaluate(None, bindings)
    except StatesFailure:
        raise
    except Exception as error:  # jsonata-python raises its own JException, and Python errors on bad types
        raise StatesFailure(States.QUERY_EVALUATION_ERROR,
                            f"An error occurred while evaluating the field '{field}': {error}") from None  # fmt: skip
    return _plain(result)


_RNG: list[random.Random] = [random.Random(0)]
_CLOCK: list[Callable[[], float]] = [time.time]


@functools.lru_cache(maxsize=4096)
def _compiled(expression: str) -> Any:
    try:
        compiled = jsonata.Jsonata(expression)
    except Exception as error:
        raise StatesFailure(
            States.QUERY_EVALUATION_ERROR, f"The JSONata expression cannot be parsed: {error}"
        ) from None
    for name, function in _FUNCTIONS.items():
        compiled.register_lambda(name, function)
    return compiled


def _nulls(value: Any) -> Any:
    """JSON's null as jsonata-python's null (it reads Python's None as *undefined*): `$x = null` must hold for a
    variable or field that holds null. Copies only what holds a null."""
    if value is None:
        return _NULL
    if isinstance(value, dict):
        converted = {key: _nulls(item) for key, item in value.items()}
        return value if all(converted[key] is item for key, item in value.items()) else converted
    if isinstance(value, list):
        items = [_nulls(item) for item in value]
        return value if all(a is b for a, b in zip(items, value, strict=True)) else items
    return value


_NULL = Utils.NULL_VALUE
#: id -> (value, its conversion): a state's input, result and variables are read by many expressions, unchanged
_CONVERSIONS: dict[int, tuple[Any, Any]] = {}


def _converted(value: Any) -> Any:
    """`_nulls(value)`, once per value object (values are not changed in place once a state has them)."""
    if not isinstance(value, dict | list):
        return _nulls(value)
    known = _CONVERSIONS.get(id(value))
    if known is not None and known[0] is value:
        return known[1]
    if len(_CONVERSIONS) >= 1024:
        _CONVERSIONS.clear()
    converted = _nulls(value)
    _CONVERSIONS[id(value)] = (value, converted)
    return converted


def _context(context: dict[str, Any]) -> dict[str, Any]:
    """The context object, converted afresh (the engine fills parts of it as a state runs) but for the execution's
    input, which never changes."""
    out = {key: _nulls(value) for key, value in context.items() if key != "Execution"}
    execution = context.get("Execution")
    if isinstance(execution, dict):
        out["Execution"] = {key: _converted(value) if key == "Input" else _nulls(value)
                            for key, value in execution.items()}  # fmt: skip
    return out


def _plain(value: Any) -> Any:
    """jsonata-python's sequences and numbers as plain JSON values (integral floats become ints, as in AWS)."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if callable(value) or value is _NULL:
        return None
    return value


def _partition(array: list[Any], size: Any) -> list[list[Any]]:
    chunk = int(size)
    if chunk <= 0:
        raise StatesFailure(States.QUERY_EVALUATION_ERROR, "$partition: the size must be positive")
    return [list(array[i : i + chunk]) for i in range(0, len(array), chunk)]


def _range(start: Any, end: Any, step: Any) -> list[int]:
    first, last, by = int(start), int(end), int(step)
    if by == 0:
        raise StatesFailure(States.QUERY_EVALUATION_ERROR, "$range: the step must not be 0")
    return list(range(first, last + (1 if by > 0 else -1), by))


def _hash(value: Any, algorithm: Any = "SHA-256") -> str:
    if algorithm not in intrinsics.HASHES:
        raise StatesFailure(States.QUERY_EVALUATION_ERROR, f"$hash: unknown algorithm {algorithm!r}")
    return intrinsics.digest(_plain(value), str(algorithm))


def _random(seed: Any = None) -> float:
    return random.Random(seed).random() if seed is not None else _RNG[0].random()


def _uuid() -> str:
    return str(uuid.UUID(int=_RNG[0].getrandbits(128), version=4))


def _parse(text: Any) -> Any:
    try:
        return json.loads(str(text))
    except ValueError:
        raise StatesFailure(States.QUERY_EVALUATION_ERROR, f"$parse: {str(text)[:80]!r} is not JSON") from None


def _millis() -> int:
    return int(_CLOCK[0]() * 1000)


def _now(picture: Any = None, timezone: Any = None) -> str:
    """`$now()` on the engine's clock: ISO 8601 with milliseconds, or formatted as JSONata's `$fromMillis` does."""
    if picture is None and timezone is None:
        when = datetime.fromtimestamp(_millis() / 1000, UTC)
        return when.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    formatted = _compiled("$fromMillis($ms, $picture, $timezone)").evaluate(
        None, {"ms": _millis(), "picture": picture, "timezone": timezone}
    )
    return str(formatted)


_FUNCTIONS = {"partition": _partition, "range": _range, "hash": _hash, "random": _random, "uuid": _uuid,
              "parse": _parse, "now": _now, "millis": _millis}  # fmt: skip
