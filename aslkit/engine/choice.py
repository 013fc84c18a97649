"""JSONPath Choice rules: Variable with a comparison operator (or its `...Path` form), And / Or / Not, type tests.

A rule whose Variable is missing fails with States.Runtime, except `IsPresent` (which tests exactly that).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from aslkit.engine.expressions import Scope, read_path
from aslkit.engine.paths import PathNotFound, read


def matches(rule: dict[str, Any], data: Any, scope: Scope) -> bool:
    if "And" in rule:
        return all(matches(inner, data, scope) for inner in rule["And"])
    if "Or" in rule:
        return any(matches(inner, data, scope) for inner in rule["Or"])
    if "Not" in rule:
        return not matches(rule["Not"], data, scope)
    variable = rule["Variable"]
    operator = next(key for key in rule if key not in ("Variable", "Next", "Comment", "Assign"))
    if operator == "IsPresent":
        try:
            read(variable, data, context=scope.context, variables=scope.variables)
            present = True
        except PathNotFound:
            present = False
        return present is rule[operator]
    value = read_path(variable, data, scope, field="Variable")
    expected = rule[operator]
    if operator.endswith("Path"):
        expected = read_path(expected, data, scope, field=operator)
        operator = operator[: -len("Path")]
    return _OPERATORS[operator](value, expected)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _timestamp(value: Any) -> datetime | None:
    if not isinstance(value, str) or not re.match(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}", value):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def _strings(compare: Callable[[str, str], bool]) -> Callable[[Any, Any], bool]:
    return lambda a, b: isinstance(a, str) and isinstance(b, str) and compare(a, b)


def _numbers(compare: Callable[[float, float], bool]) -> Callable[[Any, Any], bool]:
    return lambda a, b: _is_number(a) and _is_number(b) and compare(a, b)


def _timestamps(compare: Callable[[datetime, datetime], bool]) -> Callable[[Any, Any], bool]:
    def test(a: Any, b: Any) -> bool:
        left, right = _timestamp(a), _timestamp(b)
        return left is not None and right is not None and compare(left, right)

    return test


def _string_matches(value: Any, pattern: Any) -> bool:
    if not isinstance(value, str) or not isinstance(pattern, str):
        return False
    # `*` is the only wildcard; `\*` is a literal star (and `\\` a backslash)
    parts = re.split(r"(\\\\|\\\*|\*)", pattern)
    regex = "".join(".*" if p == "*" else re.escape(p[1]) if p in ("\\*", "\\\\") else re.escape(p) for p in parts)
    return re.fullmatch(regex, value, re.DOTALL) is not None


_OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "StringEquals": _strings(lambda a, b: a == b),
    "StringLessThan": _strings(lambda a, b: a < b),
    "StringGreaterThan": _strings(lambda a, b: a > b),
    "StringLessThanEquals": _strings(lambda a, b: a <= b),
    "StringGreaterThanEquals": _strings(lambda a, b: a >= b),
    "StringMatches": _string_matches,
    "NumericEquals": _numbers(lambda a, b: a == b),
    "NumericLessThan": _numbers(lambda a, b: a < b),
    "NumericGreaterThan": _numbers(lambda a, b: a > b),
    "NumericLessThanEquals": _numbers(lambda a, b: a <= b),
    "NumericGreaterThanEquals": _numbers(lambda a, b: a >= b),
    "BooleanEquals": lambda a, b: isinstance(a, bool) and a is b,
    "TimestampEquals": _timestamps(lambda a, b: a == b),
    "TimestampLessThan": _timestamps(lambda a, b: a < b),
    "TimestampGreaterThan": _timestamps(lambda a, b: a > b),
    "TimestampLessThanEquals": _timestamps(lambda a, b: a <= b),
    "TimestampGreaterThanEquals": _timestamps(lambda a, b: a >= b),
    "IsNull": lambda a, b: (a is None) is b,
    "IsString": lambda a, b: isinstance(a, str) is b,
    "IsNumeric": lambda a, b: _is_number(a) is b,
    "IsBoolean": lambda a, b: isinstance(a, bool) is b,
    "IsTimestamp": lambda a, b: (_timestamp(a) is not None) is b,
}
