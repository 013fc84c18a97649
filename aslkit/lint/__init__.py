"""The ASL linter: a JSON Schema of the language plus semantic rules, with precise locations.

    report = lint_file("statemachines/example.asl.json")
    for line in report.text_lines(): print(line)

Every finding has a rule id (see `RULES`), a severity, a JSON Pointer and a message that says what to write.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from aslkit.lint.findings import Finding, Report, Severity
from aslkit.lint.model import build
from aslkit.lint.rules import CHECKS, RULES

__all__ = ["ASL_SCHEMA", "RULES", "Finding", "Report", "Severity", "lint_document", "lint_file", "lint_text"]

_IGNORE = re.compile(r"aslkit:ignore=([\w,-]+)")


def lint_document(
    document: Any, *, known_placeholders: Iterable[str] | None = None, source: str = "<document>"
) -> Report:
    """Lint a parsed ASL document. With `known_placeholders`, any other `${...}` is an error."""
    from aslkit.lint.schema import schema_findings  # jsonschema loads in about 0.1 s: only when linting

    findings = schema_findings(document)
    if isinstance(document, dict):
        doc = build(document, set(known_placeholders) if known_placeholders is not None else None)
        for check in CHECKS:
            for rule, ptr, message in check(doc):
                findings.append(Finding(ptr, rule, RULES[rule][0], message))
        findings = _apply_waivers(_deploy_time_values(findings, document), document)
    return Report(source, sorted(set(findings)))


def _deploy_time_values(findings: list[Finding], document: dict[str, Any]) -> list[Finding]:
    """A value that is exactly `${name}` is filled at deploy time (DefinitionSubstitutions), with a number where a
    number is due: its type is not judged (unknown names are still reported by unknown-placeholder)."""
    from aslkit.lint.findings import resolve
    from aslkit.lint.rules.expressions import PLACEHOLDER

    kept = []
    for finding in findings:
        if finding.rule in ("schema", "query-language-field"):
            value = resolve(document, finding.pointer)
            if isinstance(value, str) and PLACEHOLDER.fullmatch(value):
                continue
        kept.append(finding)
    return kept


def lint_text(
    text: str,
    *,
    source: str = "<text>",
    known_placeholders: Iterable[str] | None = None,
    substitutions: Mapping[str, str] | None = None,
) -> Report:
    """Lint ASL text: reports JSON syntax errors and duplicate keys too; substitutes `${...}` first if asked."""
    duplicates: list[Finding] = []

    def pairs_hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        seen: dict[str, Any] = {}
        for key, value in pairs:
            if key in seen:
                duplicates.append(
                    Finding("", "duplicate-key", Severity.ERROR, f"key {key!r} appears twice in one object; keep one")
                )
            seen[key] = value
        return seen

    if substitutions:
        for name, value in substitutions.items():
            text = text.replace("${" + name + "}", value)
    try:
        document = json.loads(text, object_pairs_hook=pairs_hook)
    except json.JSONDecodeError as error:
        message = f"not valid JSON: {error.msg} at line {error.lineno} column {error.colno}"
        return Report(source, [Finding("", "schema", Severity.ERROR, message)])
    report = lint_document(document, known_placeholders=known_placeholders, source=source)
    report.findings = sorted(set(report.findings + duplicates))
    return report


def lint_file(
    path: str | Path,
    *,
    known_placeholders: Iterable[str] | None = None,
    substitutions: Mapping[str, str] | None = None,
) -> Report:
    file = Path(path)
    from aslkit.lint.substitutions import read

    declared = read(file)  # a `NAME.substitutions.json` beside the file declares its placeholders
    if declared is not None:
        known_placeholders = set(declared) | set(known_placeholders or ())
    return lint_text(
        file.read_text(encoding="utf-8"),
        source=str(path),
        known_placeholders=known_placeholders,
        substitutions=substitutions,
    )


def __getattr__(name: str) -> Any:
    if name == "ASL_SCHEMA":
        from aslkit.lint.schema import ASL_SCHEMA

        return ASL_SCHEMA
    raise AttributeError(name)


def _apply_waivers(findings: list[Finding], document: dict[str, Any]) -> list[Finding]:
    """Drop findings waived by an `aslkit:ignore=rule[,rule]` Comment on a graph (the top level, a branch, a
    processor) or on a state, for everything at or below it."""
    waivers: list[tuple[str, set[str]]] = []
    doc = build(document)
    places = [(graph.ptr, graph.body) for graph in doc.graphs] + [(state.ptr, state.body) for state in doc.states()]
    for ptr, body in places:
        comment = body.get("Comment")
        if isinstance(comment, str):
            waivers.extend((ptr, set(match.group(1).split(","))) for match in _IGNORE.finditer(comment))
    if not waivers:
        return findings
    return [
        f
        for f in findings
        if not any(f.rule in rules and (f.pointer == ptr or f.pointer.startswith(ptr + "/")) for ptr, rules in waivers)
    ]
