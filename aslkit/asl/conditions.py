"""Choice rules: JSONPath data-test expressions (`Variable` + operator, `And`/`Or`/`Not`) and JSONata conditions.

Condition.string_equals("$.status", "SUCCEEDED")
Condition.and_(Condition.is_present("$.x"), Condition.numeric_greater_than_path("$.x", "$.limit"))
Condition.jsonata("$states.input.status = 'SUCCEEDED'")
"""

from __future__ import annotations

from typing import Final

from aslkit.asl.values import Jsonata

#: Every comparison operator of a JSONPath data-test expression, with the JSON type of its operand.
#: `...Path` operators take a path instead of a literal.
COMPARISON_OPERATORS: Final[dict[str, str]] = {
    **{f"String{op}": "string" for op in ("Equals", "LessThan", "GreaterThan", "LessThanEquals", "GreaterThanEquals")},
    "StringMatches": "string",
    **{f"Numeric{op}": "number" for op in ("Equals", "LessThan", "GreaterThan", "LessThanEquals", "GreaterThanEquals")},
    "BooleanEquals": "boolean",
    **{
        f"Timestamp{op}": "timestamp"
        for op in ("Equals", "LessThan", "GreaterThan", "LessThanEquals", "GreaterThanEquals")
    },
    **{f"Is{kind}": "boolean" for kind in ("Null", "Present", "Numeric", "String", "Boolean", "Timestamp")},
}
PATH_OPERATORS: Final[frozenset[str]] = frozenset(
    f"{op}Path" for op in COMPARISON_OPERATORS if not op.startswith("Is") and op != "StringMatches"
)
ALL_OPERATORS: Final[frozenset[str]] = frozenset(COMPARISON_OPERATORS) | PATH_OPERATORS


class Condition:
    """One Choice rule condition. Build it with the static methods; combine with `and_`, `or_`, `not_`."""

    def __init__(self, rendered: dict[str, object]) -> None:
        self.rendered = rendered

    def __repr__(self) -> str:
        return f"Condition({self.rendered!r})"

    def commented(self, comment: str) -> Condition:
        """The same condition with a `Comment` (ASL allows one on any rule, nested ones included)."""
        return Condition({"Comment": comment, **self.rendered})

    # -- JSONata -------------------------------------------------------------------------------------------------
    @staticmethod
    def jsonata(expression: str | Jsonata) -> Condition:
        expr = expression if isinstance(expression, Jsonata) else Jsonata(expression)
        return Condition({"Condition": str(expr)})

    # -- boolean combinators -------------------------------------------------------------------------------------
    @staticmethod
    def and_(*conditions: Condition) -> Condition:
        return Condition({"And": [c.rendered for c in conditions]})

    @staticmethod
    def or_(*conditions: Condition) -> Condition:
        return Condition({"Or": [c.rendered for c in conditions]})

    @staticmethod
    def not_(condition: Condition) -> Condition:
        return Condition({"Not": condition.rendered})

    # -- generic data test ---------------------------------------------------------------------------------------
    @staticmethod
    def compare(variable: str, operator: str, operand: object) -> Condition:
        if operator not in ALL_OPERATORS:
            raise ValueError(f"unknown Choice operator {operator!r}; use one of {sorted(ALL_OPERATORS)}")
        return Condition({"Variable": variable, operator: operand})

    # -- strings ---------------------------------------------------------------------------------------------------
    @staticmethod
    def string_equals(variable: str, value: str) -> Condition:
        return Condition.compare(variable, "StringEquals", value)

    @staticmethod
    def string_equals_path(variable: str, path: str) -> Condition:
        return Condition.compare(variable, "StringEqualsPath", path)

    @staticmethod
    def string_less_than(variable: str, value: str) -> Condition:
        return Condition.compare(variable, "StringLessThan", value)

    @staticmethod
    def string_less_than_path(variable: str, path: str) -> Condition:
        return Condition.compare(variable, "StringLessThanPath", path)

    @staticmethod
    def string_greater_than(variable: str, value: str) -> Condition:
        return Condition.compare(variable, "StringGreaterThan", value)

    @staticmethod
    def string_greater_than_path(variable: str, path: str) -> Condition:
        return Condition.compare(variable, "StringGreaterThanPath", path)

    @staticmethod
    def string_less_than_equals(variable: str, value: str) -> Condition:
        return Condition.compare(variable, "StringLessThanEquals", value)

    @staticmethod
    def string_less_than_equals_path(variable: str, path: str) -> Condition:
        return Condition.compare(variable, "StringLessThanEqualsPath", path)

    @staticmethod
    def string_greater_than_equals(variable: str, value: str) -> Condition:
        return Condition.compare(variable, "StringGreaterThanEquals", value)

    @staticmethod
    def string_greater_than_equals_path(variable: str, path: str) -> Condition:
        return Condition.compare(variable, "StringGreaterThanEqualsPath", path)

    @staticmethod
    def string_matches(variable: str, pattern: str) -> Condition:
        return Condition.compare(variable, "StringMatches", pattern)

    # -- numbers ---------------------------------------------------------------------------------------------------
    @staticmethod
    def numeric_equals(variable: str, value: float) -> Condition:
        return Condition.compare(variable, "NumericEquals", value)

    @staticmethod
    def numeric_equals_path(variable: str, path: str) -> Condition:
        return Condition.compare(variable, "NumericEqualsPath", path)

    @staticmethod
    def numeric_less_than(variable: str, value: float) -> Condition:
        return Condition.compare(variable, "NumericLessThan", value)

    @staticmethod
    def numeric_less_than_path(variable: str, path: str) -> Condition:
        return Condition.compare(variable, "NumericLessThanPath", path)

    @staticmethod
    def numeric_greater_than(variable: str, value: float) -> Condition:
        return Condition.compare(variable, "NumericGreaterThan", value)

    @staticmethod
    def numeric_greater_than_path(variable: str, path: str) -> Condition:
        return Condition.compare(variable, "NumericGreaterThanPath", path)

    @staticmethod
    def numeric_less_than_equals(variable: str, value: float) -> Condition:
        return Condition.compare(variable, "NumericLessThanEquals", value)

    @staticmethod
    def numeric_less_than_equals_path(variable: str, path: str) -> Condition:
        return Condition.compare(variable, "NumericLessThanEqualsPath", path)

    @staticmethod
    def numeric_greater_than_equals(variable: str, value: float) -> Condition:
        return Condition.compare(variable, "NumericGreaterThanEquals", value)

    @staticmethod
    def numeric_greater_than_equals_path(variable: str, path: str) -> Condition:
        return Condition.compare(variable, "NumericGreaterThanEqualsPath", path)

    # -- booleans --------------------------------------------------------------------------------------------------
    @staticmethod
    def boolean_equals(variable: str, value: bool) -> Condition:
        return Condition.compare(variable, "BooleanEquals", value)

    @staticmethod
    def boolean_equals_path(variable: str, path: str) -> Condition:
        return Condition.compare(variable, "BooleanEqualsPath", path)

    # -- timestamps ------------------------------------------------------------------------------------------------
    @staticmethod
    def timestamp_equals(variable: str, value: str) -> Condition:
        return Condition.compare(variable, "TimestampEquals", value)

    @staticmethod
    def timestamp_equals_path(variable: str, path: str) -> Condition:
        return Condition.compare(variable, "TimestampEqualsPath", path)

    @staticmethod
    def timestamp_less_than(variable: str, value: str) -> Condition:
        return Condition.compare(variable, "TimestampLessThan", value)

    @staticmethod
    def timestamp_less_than_path(variable: str, path: str) -> Condition:
        return Condition.compare(variable, "TimestampLessThanPath", path)

    @staticmethod
    def timestamp_greater_than(variable: str, value: str) -> Condition:
        return Condition.compare(variable, "TimestampGreaterThan", value)

    @staticmethod
    def timestamp_greater_than_path(variable: str, path: str) -> Condition:
        return Condition.compare(variable, "TimestampGreaterThanPath", path)

    @staticmethod
    def timestamp_less_than_equals(variable: str, value: str) -> Condition:
        return Condition.compare(variable, "TimestampLessThanEquals", value)

    @staticmethod
    def timestamp_less_than_equals_path(variable: str, path: str) -> Condition:
        return Condition.compare(variable, "TimestampLessThanEqualsPath", path)

    @staticmethod
    def timestamp_greater_than_equals(variable: str, value: str) -> Condition:
        return Condition.compare(variable, "TimestampGreaterThanEquals", value)

    @staticmethod
    def timestamp_greater_than_equals_path(variable: str, path: str) -> Condition:
        return Condition.compare(variable, "TimestampGreaterThanEqualsPath", path)

    # -- type tests ------------------------------------------------------------------------------------------------
    @staticmethod
    def is_null(variable: str, expected: bool = True) -> Condition:
        return Condition.compare(variable, "IsNull", expected)

    @staticmethod
    def is_present(variable: str, expected: bool = True) -> Condition:
        return Condition.compare(variable, "IsPresent", expected)

    @staticmethod
    def is_numeric(variable: str, expected: bool = True) -> Condition:
        return Condition.compare(variable, "IsNumeric", expected)

    @staticmethod
    def is_string(variable: str, expected: bool = True) -> Condition:
        return Condition.compare(variable, "IsString", expected)

    @staticmethod
    def is_boolean(variable: str, expected: bool = True) -> Condition:
        return Condition.compare(variable, "IsBoolean", expected)

    @staticmethod
    def is_timestamp(variable: str, expected: bool = True) -> Condition:
        return Condition.compare(variable, "IsTimestamp", expected)
