"""Choice rules back to `Condition` calls and `.when(...)` / `.otherwise(...)` statements."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from aslkit.asl.conditions import ALL_OPERATORS
from aslkit.asl.values import Jsonata
from aslkit.importer.code import Node, Raw, call, literal
from aslkit.importer.states import ImportRefused
from aslkit.importer.values import ASL, Language, Values, effective_language

_RULE_FIELDS = frozenset({"Comment", "Assign", "Output", "Next"})


class ChoiceWriter:
    def __init__(self, values: Values, var: Callable[[str], str]) -> None:
        self.values = values
        self.var = var

    def statements(self, variable: str, name: str, state: Mapping[str, object], language: Language) -> list[Node]:
        """`choice.when(...)` for each rule, then `choice.otherwise(...)`."""
        rules = state.get("Choices")
        if not isinstance(rules, list) or not rules:
            raise ImportRefused(f"Choice {name!r} needs a non-empty Choices list")
        effective = effective_language(state, language)
        out: list[Node] = []
        for rule in rules:
            if not isinstance(rule, Mapping) or "Next" not in rule:
                raise ImportRefused(f"Choice {name!r}: every rule needs a Next")
            body = {key: value for key, value in rule.items() if key not in _RULE_FIELDS}
            keywords: dict[str, Node | None] = {
                "comment": self.values.text(rule["Comment"]) if "Comment" in rule else None,
                "assign": self.values.value(rule["Assign"], effective) if "Assign" in rule else None,
                "output": self.values.value(rule["Output"], effective) if "Output" in rule else None,
            }
            condition = self._top_level(name, body)
            out.append(call(f"{variable}.when", condition, Raw(self.var(str(rule["Next"]))), **keywords))
        if "Default" in state:
            out.append(call(f"{variable}.otherwise", Raw(self.var(str(state["Default"])))))
        return out

    def _top_level(self, name: str, rule: Mapping[str, object]) -> Node:
        """A JSONata condition as its expression text (`.when` takes a string); anything else as a Condition."""
        text = rule.get("Condition")
        if set(rule) == {"Condition"} and isinstance(text, str) and "${" not in text:
            expression = text[2:-2].strip() if text.startswith("{%") and text.endswith("%}") else None
            if expression is not None and str(Jsonata(expression)) == text:
                return literal(expression)
        return self.condition(name, rule)

    def condition(self, name: str, rule: Mapping[str, object]) -> Node:
        condition_ = self.values.module.use(ASL, "Condition")
        comment = rule.get("Comment")
        body = {key: value for key, value in rule.items() if key != "Comment"}
        node = self._bare(name, body, condition_)
        return call(f"{node.flat()}.commented", literal(comment)) if isinstance(comment, str) else node

    def _bare(self, name: str, rule: Mapping[str, object], condition_: str) -> Node:
        if set(rule) == {"And"} or set(rule) == {"Or"}:
            key = next(iter(rule))
            parts = rule[key]
            if not isinstance(parts, list) or not all(isinstance(p, Mapping) for p in parts):
                raise ImportRefused(f"Choice {name!r}: {key} must be a list of rules")
            return call(f"{condition_}.{key.lower()}_", *[self.condition(name, part) for part in parts])
        if set(rule) == {"Not"} and isinstance(rule["Not"], Mapping):
            return call(f"{condition_}.not_", self.condition(name, rule["Not"]))
        if set(rule) == {"Condition"}:
            text = rule["Condition"]
            expression = text[2:-2].strip() if isinstance(text, str) and text.startswith("{%") else None
            if expression is not None and str(Jsonata(expression)) == text:
                self.values.text(text)  # the machine declares the ${...} a condition holds
                return call(f"{condition_}.jsonata", literal(expression))
            raise ImportRefused(
                f"Choice {name!r}: the condition {text!r} is not written `{{% expression %}}` with one "
                "space inside the braces, as the builders write it",
                hint="reformat it so and import again",
            )
        operators = [key for key in rule if key in ALL_OPERATORS]
        if "Variable" in rule and len(operators) == 1 and len(rule) == 2:
            operator = operators[0]
            variable, operand = rule["Variable"], rule[operator]
            method = _snake(operator)
            if operator.startswith("Is") and operand is True:
                return call(f"{condition_}.{method}", self.values.text(variable))
            return call(f"{condition_}.{method}", self.values.text(variable), self.values.text(operand))
        raise ImportRefused(
            f"Choice {name!r}: the rule {dict(rule)!r} is not one the builders write",
            hint="a rule is a Variable with one operator, And, Or, Not or a JSONata Condition",
        )


def _snake(operator: str) -> str:
    """`NumericGreaterThanEqualsPath` -> `numeric_greater_than_equals_path`."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", operator).lower()
