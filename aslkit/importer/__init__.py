"""`aslkit import`: an ASL definition back to builder code that a person would keep.

    from aslkit.importer import import_definition
    imported = import_definition(document, machine="orders", workflow="orders", source="orders.asl.json")
    Path("workflows/orders.py").write_text(imported.code)

The code uses the same builders as hand-written workflows (states, `>>` chains, `.when()`, `path()`, `jsonata()`,
`Retry`/`Catch`, the integration helpers, `Placeholder`s declared as workflow parameters). Before it is returned
it is run, and the machine it builds must render the input again, JSON-equal (key order aside): an import never
alters a definition. What the builders cannot write is refused with the state and the reason (`ImportRefused`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aslkit.asl.values import PLACEHOLDER_IN_TEXT
from aslkit.importer.module import write_module
from aslkit.importer.states import ImportRefused

__all__ = ["ImportRefused", "Imported", "import_definition", "rebuild", "snake_name"]


@dataclass(frozen=True)
class Imported:
    code: str  # the module's text
    document: dict[str, Any]  # what its machine renders: equal to the input


def import_definition(
    document: Any, *, machine: str, workflow: str, source: str, substitutions: Mapping[str, str] | None = None
) -> Imported:
    """Builder code for `document`, checked to render it back; raises ImportRefused otherwise.

    `substitutions` (a `DefinitionSubstitutions` map) gives the workflow parameters their values.
    """
    from aslkit.lint import lint_document

    if not isinstance(document, Mapping):
        raise ImportRefused(f"{source} is not a state machine definition (a JSON object with StartAt and States)")
    placeholders = set(PLACEHOLDER_IN_TEXT.findall(json.dumps(document)))
    report = lint_document(document, known_placeholders=placeholders, source=source)
    if report.errors:
        first = "; ".join(str(f) for f in report.errors[:3])
        raise ImportRefused(
            f"{source} has {len(report.errors)} lint error(s), which AWS would refuse too: {first}",
            hint=f"fix them first (aslkit lint {source})",
        )
    code = write_module(document, machine=machine, workflow=workflow, source=source, values=substitutions or {})
    rebuilt = rebuild(code, source)
    difference = _first_difference(document, rebuilt)
    if difference is not None:
        raise ImportRefused(
            f"{source}: the imported code does not render {difference} as the input has it; "
            "this is a gap in aslkit import",
            hint="report it with the definition",
        )
    return Imported(code, rebuilt)


def rebuild(code: str, source: str = "<imported>") -> dict[str, Any]:
    """Run an imported module's code and render its `machine` (what `aslkit build` would write)."""
    from aslkit.asl.machine import AslValidationError, StateMachine

    namespace: dict[str, Any] = {"__name__": "aslkit_imported"}
    exec(compile(code, f"<aslkit import of {source}>", "exec"), namespace)  # code this package just wrote
    machine = namespace.get("machine")
    if not isinstance(machine, StateMachine):
        raise ImportRefused(f"the code imported from {source} defines no `machine`")
    try:
        machine.to_json()  # the builders lint what they render: the placeholders must all be declared
    except AslValidationError as error:
        raise ImportRefused(f"the code imported from {source} does not render a lint-clean definition: "
                            f"{error.findings[0]}; this is a gap in aslkit import",
                            hint="report it with the definition") from None  # fmt: skip
    rendered: dict[str, Any] = machine.to_asl()
    return rendered


def snake_name(text: str) -> str:
    """A workflow or machine name from a file name: `My-Flow.asl.json` -> `my_flow`."""
    stem = re.sub(r"(\.asl)?\.(json|ya?ml)$", "", text)
    name = re.sub(r"[^0-9a-z]+", "_", re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", stem).lower()).strip("_")
    if not name or not name[0].isalpha():
        name = f"imported_{name}".rstrip("_")
    return name[:48].rstrip("_")


def _first_difference(expected: Any, found: Any, pointer: str = "") -> str | None:
    """The JSON pointer of the first place where two documents differ (key order aside); None if equal."""
    if isinstance(expected, Mapping) and isinstance(found, Mapping):
        for key in list(expected) + [k for k in found if k not in expected]:
            here = f"{pointer}/{key}"
            if key not in found or key not in expected:
                return here
            inner = _first_difference(expected[key], found[key], here)
            if inner is not None:
                return inner
        return None
    if isinstance(expected, list) and isinstance(found, list):
        if len(expected) != len(found):
            return pointer or "/"
        for index, (a, b) in enumerate(zip(expected, found, strict=True)):
            inner = _first_difference(a, b, f"{pointer}/{index}")
            if inner is not None:
                return inner
        return None
    same = expected == found and type(expected) is type(found)
    return None if same else (pointer or "/")
