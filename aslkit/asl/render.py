"""Rendering a state graph to ASL: the effective query language, placeholders, canonical key order."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Final

from aslkit.asl.graph import collect

if TYPE_CHECKING:
    from aslkit.asl.states import QueryLanguage, State

#: The order of ASL's own keys in a rendered object: what a state is, what it reads, what it does,
#: what it outputs, how it fails, where it goes. Keys of user data (Parameters, Arguments ...) keep their order.
KEY_ORDER: Final[tuple[str, ...]] = (
    "Type", "Comment", "QueryLanguage", "Version",
    "Resource", "Credentials",
    "InputPath", "ItemsPath", "Items", "ItemReader", "ItemSelector", "ItemBatcher",
    "Parameters", "Arguments",
    "ItemProcessor", "Iterator", "Branches", "Choices",
    "Seconds", "SecondsPath", "Timestamp", "TimestampPath",
    "Result", "ResultSelector", "ResultPath", "ResultWriter",
    "Output", "OutputPath", "Assign",
    "MaxConcurrency", "MaxConcurrencyPath",
    "ToleratedFailureCount", "ToleratedFailureCountPath",
    "ToleratedFailurePercentage", "ToleratedFailurePercentagePath", "Label",
    "TimeoutSeconds", "TimeoutSecondsPath", "HeartbeatSeconds", "HeartbeatSecondsPath",
    "Error", "ErrorPath", "Cause", "CausePath",
    "Retry", "Catch",
    "StartAt", "States",
    "Default", "Next", "End",
)  # fmt: skip
_RANK: Final = {key: index for index, key in enumerate(KEY_ORDER)}


def canonical(obj: dict[str, object]) -> dict[str, object]:
    """The same object with ASL keys in `KEY_ORDER` (stable for unknown keys)."""
    return dict(sorted(obj.items(), key=lambda item: _RANK.get(item[0], len(KEY_ORDER))))


@dataclass
class RenderContext:
    """What a state needs to render: the effective query language and the machine-wide bookkeeping."""

    query_language: QueryLanguage = "JSONPath"
    placeholders: set[str] = field(default_factory=set)
    names: dict[str, State] = field(default_factory=dict)

    def with_language(self, language: QueryLanguage | None) -> RenderContext:
        return self if language is None or language == self.query_language else replace(self, query_language=language)

    def render_graph(self, start: State) -> dict[str, object]:
        """`{"StartAt", "States"}` of the graph reachable from `start`."""
        states = collect(start, self.names)
        return {
            "StartAt": start.name,
            "States": {state.name: canonical(state.render(self)) for state in states},
        }


def dumps(document: object) -> str:
    """Deterministic JSON: 2-space indent, UTF-8 kept, trailing newline."""
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
