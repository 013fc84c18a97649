"""Rules on failure handling and resources: Retry/Catch order, error names, integration patterns, placeholders."""

from __future__ import annotations

import re
from collections.abc import Iterator

from aslkit.asl.errors import STATES_ERRORS
from aslkit.asl.integrations import parse_resource, pattern_supported
from aslkit.asl.values import PLACEHOLDER_IN_TEXT
from aslkit.lint.model import Document, walk_values

Found = Iterator[tuple[str, str, str]]


def states_all_last(doc: Document) -> Found:
    for state in doc.states():
        for key in ("Retry", "Catch"):
            handlers = state.body.get(key)
            if not isinstance(handlers, list):
                continue
            for index, handler in enumerate(handlers):
                errors = handler.get("ErrorEquals") if isinstance(handler, dict) else None
                if not isinstance(errors, list) or "States.ALL" not in errors:
                    continue
                ptr = state.at(key, index, "ErrorEquals")
                if len(errors) > 1:
                    yield "states-all-last", ptr, "States.ALL matches every error: list it alone, in its own entry"
                if index != len(handlers) - 1:
                    yield (
                        "states-all-last",
                        ptr,
                        f"the {key} entry with States.ALL must be the last one: entries after it are never used",
                    )


def own_errors(doc: Document) -> set[str]:
    """The error names the machine's own Fail states raise (written out, not computed)."""
    return {str(s.body["Error"]) for s in doc.states() if s.type == "Fail" and isinstance(s.body.get("Error"), str)}


def unknown_states_error(doc: Document) -> Found:
    raised = own_errors(doc)  # a Fail may raise a States.* name (the ASL specification forbids it; AWS runs it)
    for state in doc.states():
        for key in ("Retry", "Catch"):
            for index, handler in enumerate(state.body.get(key) or []):
                errors = handler.get("ErrorEquals") if isinstance(handler, dict) else None
                for position, name in enumerate(errors if isinstance(errors, list) else []):
                    known = name in STATES_ERRORS or name in raised
                    if isinstance(name, str) and name.startswith("States.") and not known:
                        yield (
                            "unknown-states-error",
                            state.at(key, index, "ErrorEquals", position),
                            f"{name} is not an error Step Functions raises, so this never matches; "
                            f"known: {', '.join(sorted(STATES_ERRORS))}",
                        )


def fail_error_states(doc: Document) -> Found:
    """A Fail whose error is computed at run time (a caught error re-raised) may produce a States.* name, which
    AWS refuses in a Fail ("Custom Error Names MUST NOT begin with the prefix 'States.'"): the execution then ends
    as States.Runtime, and the real error (a timeout, say) is lost."""
    for state in doc.states():
        if state.type != "Fail":
            continue
        written = state.body.get("Error")
        if isinstance(written, str) and written.startswith("States."):
            yield ("fail-error-states", state.at("Error"), f"{written!r}: the ASL specification reserves the "
                   "'States.' prefix for Step Functions' own errors (\"MUST NOT begin with the prefix 'States.'\"); "
                   "name it without the prefix")  # fmt: skip
        for key in ("Error", "ErrorPath"):
            value = state.body.get(key)
            dynamic = key == "ErrorPath" or (isinstance(value, str) and value.lstrip().startswith("{%"))
            if isinstance(value, str) and dynamic and "'States.'" not in value and '"States."' not in value:
                yield ("fail-error-states", state.at(key), f"{value!r} is computed at run time: a caught States.* "
                       "error (States.Timeout ...) re-raised here ends the execution as States.Runtime instead. "
                       "Map those to a name of your own (aslkit.asl.reraise does)")  # fmt: skip


_GET_ITEM = ("arn:aws:states:::dynamodb:getItem", "arn:aws:states:::aws-sdk:dynamodb:getItem")
#: a whole JSONata value that is the getItem's Item (or a field of it): undefined when nothing was found
_BARE_ITEM = re.compile(r"\{%\s*\$states\.result\.Item(\.[A-Za-z0-9_]+)*\s*%\}")


def get_item_without_exists(doc: Document) -> Found:
    """A getItem that finds nothing returns no `Item`: an Assign or Output whose value is that Item (or a field of
    it) is undefined, which fails with States.QueryEvaluationError instead of taking the not-found path. (Inside
    an object an undefined field is only left out, so only whole values are reported.)"""
    for state in doc.states():
        if state.query_language != "JSONata" or state.body.get("Resource") not in _GET_ITEM:
            continue
        for key in ("Assign", "Output"):
            for ptr, _, value in [(state.at(key), key, state.body.get(key)), *walk_values(state.body.get(key),
                                                                                          state.at(key))]:  # fmt: skip
                if isinstance(value, str) and _BARE_ITEM.fullmatch(value.strip()):
                    yield ("getitem-item", ptr, f"{value!r} is undefined when the getItem finds nothing, and "
                           "fails with States.QueryEvaluationError: write {% $exists($states.result.Item) ? "
                           "$states.result.Item : null %}, or test it in a Choice first")  # fmt: skip


def integration_pattern(doc: Document) -> Found:
    for state in doc.states():
        resource = state.body.get("Resource")
        if state.type != "Task" or not isinstance(resource, str) or not resource.startswith("arn:aws:states:::"):
            continue
        parsed = parse_resource(resource)
        if parsed is None:
            yield (
                "integration-pattern",
                state.at("Resource"),
                f"{resource!r} is not a service integration ARN: write arn:aws:states:::<service>:<action>[.sync|"
                ".sync:2|.waitForTaskToken] or arn:aws:states:::aws-sdk:<service>:<action>",
            )
            continue
        key, pattern = parsed
        if pattern is None:
            yield (
                "integration-pattern",
                state.at("Resource"),
                f"{resource!r} ends in an unknown pattern: use .sync, .sync:2 or .waitForTaskToken",
            )
        elif pattern_supported(key, pattern) is False:
            yield (
                "integration-pattern",
                state.at("Resource"),
                f"{key} does not support the {pattern.name} pattern ({pattern.value or 'request-response'})",
            )


def unknown_placeholder(doc: Document) -> Found:
    known = doc.known_placeholders
    if known is None:
        return
    for ptr, _, value in walk_values(doc.root, ""):
        if not isinstance(value, str):
            continue
        for name in PLACEHOLDER_IN_TEXT.findall(value):
            if name not in known:
                listed = ", ".join(sorted(known)) or "none"
                yield (
                    "unknown-placeholder",
                    ptr,
                    f"placeholder ${{{name}}} is not declared (declared: {listed}): use a Placeholder value, "
                    "declare it on the machine, or pass it with --placeholder",
                )


CHECKS = (states_all_last, unknown_states_error, integration_pattern, unknown_placeholder, fail_error_states,
          get_item_without_exists)  # fmt: skip
