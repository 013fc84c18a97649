"""The placeholders a definition file declares itself: `NAME.substitutions.json` beside `NAME.asl.json`.

The file is a JSON object in the shape of CloudFormation's `DefinitionSubstitutions`: each key is a `${key}` the
definition may use, each value what fills it at deploy time (a value, or a description of it). With one beside it,
`aslkit lint FILE` checks every placeholder of FILE against its keys, without `--placeholder` flags; `aslkit build`
writes one beside each committed definition that has placeholders, and `aslkit import` takes its values as the
workflow's parameters.
"""

from __future__ import annotations

import json
from pathlib import Path

from aslkit.errors import UserInputError

SUFFIX = ".substitutions.json"


def sidecar(definition: Path) -> Path:
    """`statemachines/orders.asl.json` -> `statemachines/orders.substitutions.json`."""
    name = definition.name
    stem = name.removesuffix(".asl.json") if name.endswith(".asl.json") else definition.stem
    return definition.with_name(stem + SUFFIX)


def read(definition: Path) -> dict[str, str] | None:
    """The substitutions declared beside `definition`, or None when there is no such file."""
    path = sidecar(definition)
    if not path.is_file():
        return None
    try:
        found = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as error:
        raise UserInputError(f"{path} is not valid JSON: {error}", hint="fix it, or remove it") from None
    if not isinstance(found, dict) or not all(isinstance(value, str) for value in found.values()):
        raise UserInputError(f"{path} must be a JSON object of strings (placeholder -> what fills it), as "
                             "CloudFormation's DefinitionSubstitutions")  # fmt: skip
    return found


def text(substitutions: dict[str, str]) -> str:
    """The file's deterministic text."""
    return json.dumps(dict(sorted(substitutions.items())), indent=2, ensure_ascii=False) + "\n"
