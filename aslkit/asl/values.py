"""Values that render differently depending on where they sit in an ASL document.

A builder field holds plain JSON, or one of these markers:

* `Placeholder`: a deploy-time value, rendered as `${name}` (a `DefinitionSubstitutions` key).
* `JsonPath` / `Intrinsic`: JSONPath-language dynamic values; the key that holds one gets the `.$` suffix.
* `Jsonata`: a JSONata expression, rendered as `{% expr %}`.

`render_value` turns a tree of these into plain JSON and records the placeholders it met.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

PLACEHOLDER_NAME = re.compile(r"^[A-Za-z0-9_.:-]+$")
PLACEHOLDER_IN_TEXT = re.compile(r"\$\{([^}]*)\}")


@dataclass(frozen=True)
class Placeholder:
    """A deploy-time value (ARN, name, URL) filled by CDK in AWS and by the local deployer in LocalStack."""

    name: str

    def __post_init__(self) -> None:
        if not PLACEHOLDER_NAME.match(self.name):
            raise ValueError(f"placeholder name {self.name!r} is not valid: use letters, digits and _ . : - only")

    def __str__(self) -> str:
        return "${" + self.name + "}"


@dataclass(frozen=True)
class JsonPath:
    """A JSONPath (`$.a.b`, `$$.Execution.Id`, `$var.x`) used as a value: its key is rendered with `.$`."""

    path: str

    def __str__(self) -> str:
        return self.path


@dataclass(frozen=True)
class Jsonata:
    """A JSONata expression, rendered as `{% expr %}`; `placeholders` names the `${...}` it embeds."""

    expression: str
    placeholders: tuple[str, ...] = ()

    def __str__(self) -> str:
        return "{% " + self.expression.strip() + " %}"


class Intrinsic:
    """An intrinsic function call (`States.Format(...)`); its key is rendered with `.$`.

    Arguments are JSONPath values, nested intrinsics, strings, numbers, booleans or None.
    """

    def __init__(self, name: str, *args: IntrinsicArg) -> None:
        self.name = name if name.startswith("States.") else f"States.{name}"
        self.args = args

    def __str__(self) -> str:
        template = self.name == "States.Format"  # its first argument's `{}` are the holes the values fill
        args = (_intrinsic_arg(a, template=template and i == 0) for i, a in enumerate(self.args))
        return f"{self.name}({', '.join(args)})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Intrinsic) and str(self) == str(other)

    def __hash__(self) -> int:
        return hash(str(self))

    def __repr__(self) -> str:
        return f"Intrinsic({str(self)!r})"


class Discard:
    """JSON `null` in `InputPath`, `ResultPath` or `OutputPath`.

    `InputPath: null` passes `{}` on; `ResultPath: null` keeps the input and drops the result.
    """

    _instance: Discard | None = None

    def __new__(cls) -> Discard:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "DISCARD"


DISCARD = Discard()

type IntrinsicArg = JsonPath | Intrinsic | str | int | float | bool | None
type JsonScalar = str | int | float | bool | None
type JsonValue = (
    JsonScalar | Discard | Placeholder | JsonPath | Intrinsic | Jsonata | Sequence[JsonValue] | Mapping[str, JsonValue]
)


def jsonata(expression: str) -> Jsonata:
    """Shorthand for `Jsonata(expression)`."""
    return Jsonata(expression)


def number_parameter(name: str) -> Jsonata:
    """A deploy-time number (a workflow parameter such as a timeout) inside a JSONata state: `$number('${name}')`.

    The placeholder is filled as text at deploy time; `$number` makes it a number at run time.
    """
    return Jsonata(f"$number('{Placeholder(name)}')", placeholders=(name,))


def path(p: str) -> JsonPath:
    """Shorthand for `JsonPath(p)`."""
    return JsonPath(p)


def _intrinsic_arg(arg: IntrinsicArg, *, template: bool = False) -> str:
    """One argument as intrinsic syntax: a string in single quotes with `' { } \\` escaped, except the `{}` holes
    of a `States.Format` template."""
    if isinstance(arg, (JsonPath, Intrinsic)):
        return str(arg)
    if isinstance(arg, str):
        pieces = arg.split("{}") if template else [arg]
        escaped = "{}".join(re.sub(r"([\\'{}])", r"\\\1", piece) for piece in pieces)
        return f"'{escaped}'"
    return json.dumps(arg)


def render_value(value: JsonValue, placeholders: set[str] | None = None) -> object:
    """Render a builder value to plain JSON, recording the names of `Placeholder` values in `placeholders`.

    A `${name}` typed inside a plain string is not recorded: the linter reports it as unknown unless the
    machine declares it, which catches typos in hand-written placeholders.
    """
    if isinstance(value, Placeholder):
        if placeholders is not None:
            placeholders.add(value.name)
        return str(value)
    if isinstance(value, Jsonata):
        if placeholders is not None:
            placeholders.update(value.placeholders)
        return str(value)
    if isinstance(value, (JsonPath, Intrinsic)):
        return str(value)
    if isinstance(value, Discard):
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        out: dict[str, object] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"JSON object keys must be strings, got {key!r}")
            rendered_key = key + ".$" if isinstance(item, (JsonPath, Intrinsic)) and not key.endswith(".$") else key
            out[rendered_key] = render_value(item, placeholders)
        return out
    if isinstance(value, (list, tuple)):
        return [render_value(item, placeholders) for item in value]
    if value is None or isinstance(value, (bool, int, float)):
        return value
    raise TypeError(f"cannot render {type(value).__name__} {value!r} as JSON")
