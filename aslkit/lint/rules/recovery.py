"""Rules on failure handling and resources: Retry/Catch order, error names, integration patterns, placeholders."""

from __future__ import annotations

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


def unknown_states_error(doc: Document) -> Found:
    for state in doc.states():
        for key in ("Retry", "Catch"):
            for index, handler in enumerate(state.body.get(key) or []):
                errors = handler.get("ErrorEquals") if isinstance(handler, dict) else None
                for position, name in enumerate(errors if isinstance(errors, list) else []):
                    if isinstance(name, str) and name.startswith("States.") and name not in STATES_ERRORS:
                        yield (
                            "unknown-states-error",
                            state.at(key, index, "ErrorEquals", position),
                            f"{name} is not an error Step Functions raises, so this never matches; "
                            f"known: {', '.join(sorted(STATES_ERRORS))}",
                        )


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


CHECKS = (states_all_last, unknown_states_error, integration_pattern, unknown_placeholder)
