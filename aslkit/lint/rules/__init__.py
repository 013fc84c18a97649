"""The semantic rules. Each check yields `(rule id, JSON Pointer, message)`; `RULES` documents every id.

A state (or the top level) can waive a rule for itself and what it contains by saying so in its Comment:
`"Comment": "polls until the job ends; aslkit:ignore=no-terminal"`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Final

from aslkit.lint.findings import Severity
from aslkit.lint.model import Document
from aslkit.lint.rules import expressions, fields, flow, recovery

Check = Callable[[Document], Iterable[tuple[str, str, str]]]

RULES: Final[dict[str, tuple[Severity, str]]] = {
    "schema": (Severity.ERROR, "the document fits the ASL JSON Schema: known fields, right types, required fields"),
    "duplicate-key": (Severity.ERROR, "a JSON object has the same key twice (the parser keeps only the last)"),
    "unresolved-next": (Severity.ERROR, "every StartAt, Next, Default and Catch Next names a state of its graph"),
    "unreachable-state": (Severity.ERROR, "every state can be reached from StartAt"),
    "no-terminal": (Severity.ERROR, "from every state a terminal state (End, Succeed, Fail) can be reached"),
    "duplicate-state-name": (Severity.ERROR, "state names are unique across the machine, branches included"),
    "choice-rule": (Severity.ERROR, "a Choice rule is one test: Variable + one operator, And/Or/Not, or Condition"),
    "choice-default": (Severity.WARNING, "a Choice has a Default, or fails with States.NoChoiceMatched"),
    "query-language-field": (Severity.ERROR, "no field of the other query language (Parameters in JSONata ...)"),
    "jsonpath-in-jsonata": (Severity.ERROR, "no '.$' keys in JSONata states: write the value as {% ... %}"),
    "jsonata-in-jsonpath": (Severity.WARNING, "a {% %} string in a JSONPath state is literal text, not evaluated"),
    "jsonata-delimiters": (Severity.ERROR, "a JSONata expression is the whole string, from '{%' to '%}'"),
    "jsonata-syntax": (Severity.ERROR, "every {% %} expression parses"),
    "invalid-path": (Severity.ERROR, "every JSONPath is valid"),
    "invalid-reference-path": (Severity.ERROR, "ResultPath, ItemsPath and ...Path fields select exactly one node"),
    "intrinsic-syntax": (Severity.ERROR, "intrinsic function calls parse"),
    "intrinsic-unknown": (Severity.ERROR, "intrinsic functions exist"),
    "intrinsic-arity": (Severity.ERROR, "intrinsic functions get the number (and kind) of arguments they take"),
    "mutually-exclusive": (Severity.ERROR, "exactly one of Next/End, Seconds/SecondsPath/..., Error/ErrorPath ..."),
    "heartbeat-timeout": (Severity.ERROR, "HeartbeatSeconds is smaller than TimeoutSeconds"),
    "distributed-only": (Severity.ERROR, "reader, batcher, writer, tolerances and Label only on a distributed Map"),
    "unbounded-wait": (Severity.WARNING, "a callback task has a HeartbeatSeconds or TimeoutSeconds"),
    "states-all-last": (Severity.ERROR, "States.ALL stands alone in the last retrier or catcher"),
    "unknown-states-error": (Severity.WARNING, "ErrorEquals names only States.* errors that exist"),
    "integration-pattern": (Severity.ERROR, "a service integration is used with a pattern it supports"),
    "unknown-placeholder": (Severity.ERROR, "every ${...} placeholder is one the machine declares"),
    "payload-template": (Severity.ERROR, "a '.$' key holds a string, and no template has both 'x' and 'x.$'"),
    "state-name": (Severity.ERROR, "a state's name has at most 80 characters"),
    "task-resource": (Severity.ERROR, "a Task's Resource is an ARN (or a placeholder filled at deploy time)"),
    "fail-error-states": (Severity.WARNING, "a Fail's error computed at run time cannot be a States.* name"),
    "getitem-item": (Severity.WARNING, "a getItem's Item as a whole Assign or Output value is guarded by $exists"),
    "map-label": (Severity.WARNING, "a Map Label of more than 40 characters: CDK's DistributedMap refuses it"),
}

CHECKS: Final[tuple[Check, ...]] = (
    *flow.CHECKS,
    *fields.CHECKS,
    *expressions.CHECKS,
    *recovery.CHECKS,
)
