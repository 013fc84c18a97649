"""ASL values back to builder values: `.$` keys to `path()` and `Intrinsic(...)`, `{% %}` to `jsonata()`,
`${name}` to `Placeholder`, `null` paths to `DISCARD`.

A value becomes a marker only when the marker renders to exactly the text it came from; otherwise it stays the
plain string (which the builders render unchanged), so an import never alters a definition.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from aslkit.asl.values import PLACEHOLDER_IN_TEXT, PLACEHOLDER_NAME, Intrinsic, Jsonata, JsonPath
from aslkit.importer.code import Module, Node, Raw, call, dict_of, list_of, literal, tuple_of
from aslkit.lint import intrinsics

ASL = "aslkit.asl"
Language = Literal["JSONPath", "JSONata"]


def effective_language(state: Mapping[str, object], language: Language) -> Language:
    """The query language of a state in a graph of `language` (its own `QueryLanguage` wins)."""
    own = state.get("QueryLanguage") or language
    return "JSONata" if own == "JSONata" else "JSONPath"


class Values:
    """Writes the values of one definition; remembers the imports they need and the `${...}` names typed inside
    plain strings (the machine declares those)."""

    def __init__(self, module: Module) -> None:
        self.module = module
        self.in_text: set[str] = set()
        self.placeholders: set[str] = set()  # written as Placeholder(...) or Jsonata(..., placeholders=...)

    # -- the kinds of field ---------------------------------------------------------------------------------------
    def value(self, value: object, language: Language) -> Node:
        """A payload template, selector, `Output`, `Assign` ...: dynamic values become markers."""
        if isinstance(value, Mapping):
            pairs: list[tuple[str, Node]] = []
            for key, item in value.items():
                dynamic = self.dynamic(item) if language == "JSONPath" and key.endswith(".$") else None
                pairs.append((key[:-2], dynamic) if dynamic is not None else (key, self.value(item, language)))
            return dict_of(pairs)
        if isinstance(value, list):
            return list_of([self.value(item, language) for item in value])
        if isinstance(value, str):
            return self.string(value, language)
        return literal(value)

    def data(self, value: object) -> Node:
        """Plain JSON that is never evaluated (a Pass state's `Result`): kept exactly, `.$` keys included."""
        if isinstance(value, Mapping):
            return dict_of([(key, self.data(item)) for key, item in value.items()])
        if isinstance(value, list):
            return list_of([self.data(item) for item in value])
        return self.text(value) if isinstance(value, str) else literal(value)

    def path_or_discard(self, value: object) -> Node:
        """`InputPath`, `ResultPath`, `OutputPath`: a path, or `DISCARD` for JSON null."""
        if value is None:
            return Raw(self.module.use(ASL, "DISCARD"))
        return self.text(value)

    def string(self, text: str, language: Language) -> Node:
        """A string: a whole `${name}` is a Placeholder; under JSONata, `{% expr %}` is `jsonata(expr)`."""
        whole = PLACEHOLDER_IN_TEXT.fullmatch(text)
        if whole and PLACEHOLDER_NAME.match(whole.group(1)):
            self.placeholders.add(whole.group(1))
            return call(self.module.use(ASL, "Placeholder"), literal(whole.group(1)))
        if language == "JSONata" and text.startswith("{%") and text.endswith("%}"):
            expression = text[2:-2].strip()
            if str(Jsonata(expression)) == text:
                names = PLACEHOLDER_IN_TEXT.findall(expression)
                if not names:
                    return call(self.module.use(ASL, "jsonata"), literal(expression))
                if all(PLACEHOLDER_NAME.match(name) for name in names):
                    self.placeholders.update(names)
                    if expression == f"$number('${{{names[0]}}}')":  # a deploy-time number
                        return call(self.module.use(ASL, "number_parameter"), literal(names[0]))
                    declared = tuple_of([literal(name) for name in dict.fromkeys(names)])
                    return call(self.module.use(ASL, "Jsonata"), literal(expression), placeholders=declared)
        return self.text(text)

    def text(self, value: object) -> Node:
        """A string kept as it is; the `${...}` names inside it are declared by the machine."""
        if isinstance(value, str):
            self.in_text.update(PLACEHOLDER_IN_TEXT.findall(value))
        return literal(value)

    # -- JSONPath's dynamic values --------------------------------------------------------------------------------
    def dynamic(self, text: object) -> Node | None:
        """The value of a `.$` key as `path(...)` or `Intrinsic(...)`; None to keep the key and its text."""
        if not isinstance(text, str):
            return None
        if intrinsics.is_intrinsic(text):
            try:
                parsed = intrinsics.parse(text)
            except intrinsics.IntrinsicSyntaxError:
                return None
            built = _intrinsic(parsed)
            return self._intrinsic_node(built) if str(built) == text else None
        if text.startswith("$") and str(JsonPath(text)) == text:
            return call(self.module.use(ASL, "path"), literal(text))
        return None

    def _intrinsic_node(self, built: Intrinsic) -> Node:
        """`Intrinsic("Format", ...)` that builds `built` (its arguments as the builders take them)."""
        args: list[Node] = [literal(built.name.removeprefix("States."))]
        for arg in built.args:
            if isinstance(arg, Intrinsic):
                args.append(self._intrinsic_node(arg))
            elif isinstance(arg, JsonPath):
                args.append(call(self.module.use(ASL, "path"), literal(arg.path)))
            else:
                args.append(literal(arg))
        return call(self.module.use(ASL, "Intrinsic"), *args)


def _intrinsic(parsed: intrinsics.Call) -> Intrinsic:
    """The builder's Intrinsic for a parsed call (to check that it renders the same text)."""
    args: list[JsonPath | Intrinsic | str | int | float | bool | None] = []
    for arg in parsed.args:
        if isinstance(arg, intrinsics.Call):
            args.append(_intrinsic(arg))
        elif isinstance(arg, intrinsics.PathArg):
            args.append(JsonPath(arg.path))
        elif isinstance(arg, str):
            args.append(intrinsics.unescape(arg))
        elif arg is None or isinstance(arg, bool | int | float):
            args.append(arg)
    return Intrinsic(parsed.name, *args)
