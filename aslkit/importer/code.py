"""Python expressions as small nodes, printed on one line when they fit and broken over lines when they do not.

The importer builds these instead of strings so that every value nests and wraps the same way ruff would format
it by hand: one argument per line, a trailing comma, closing brackets on their own line.
"""

from __future__ import annotations

import contextlib
import json
import re
import textwrap
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

WIDTH = 120
_MARGIN = [0]  # columns taken on the left by the block being written (a function body)
INDENT = "    "
NL = "\n"
QUOTES = '"' * 3


@contextlib.contextmanager
def margin(columns: int) -> Iterator[None]:
    """Lay out the nodes written inside as if indented by `columns` (they are indented afterwards)."""
    _MARGIN.append(_MARGIN[-1] + columns)
    try:
        yield
    finally:
        _MARGIN.pop()


class Node:
    def flat(self) -> str:
        raise NotImplementedError

    def broken(self, indent: str) -> str:
        """The node over several lines, its first line starting at `indent` (not included)."""
        return self.flat()

    def text(self, indent: str = "", lead: int = 0) -> str:
        """One line if it fits in `WIDTH` after `indent` and `lead` characters already on the line."""
        flat = self.flat()
        if _MARGIN[-1] + len(indent) + lead + len(flat) <= WIDTH or "\n" in flat:
            return flat
        return self.broken(indent)


@dataclass(frozen=True)
class Raw(Node):
    """Text used as is: a name (`States.ALL`, `DISCARD`), a literal already formatted."""

    code: str

    def flat(self) -> str:
        return self.code


def literal(value: object) -> Node:
    """A JSON scalar as a Python literal."""
    if value is None or isinstance(value, bool | int | float):
        return Raw(repr(value))
    if isinstance(value, str):
        return Str(value)
    raise TypeError(f"not a JSON scalar: {value!r}")


@dataclass(frozen=True)
class Str(Node):
    """A string literal in ruff's quotes; too long for the line, it becomes parenthesised parts split at spaces."""

    value: str

    def flat(self) -> str:
        return _quote(self.value, self._single)

    @property
    def _single(self) -> bool:
        return self.value.count('"') > self.value.count("'")  # ruff's choice: the quotes that need fewer escapes

    def broken(self, indent: str) -> str:
        inner = indent + INDENT
        parts = self._parts(WIDTH - _MARGIN[-1] - len(inner))  # one part: it fits on a line of its own, in parentheses
        lines = NL.join(inner + _quote(part, self._single) for part in parts)
        return f"({NL}{lines}{NL}{indent})"

    def _parts(self, room: int) -> list[str]:
        """The string in pieces that end after a space, each at most `room` characters once quoted."""
        parts: list[str] = []
        for word in re.split(r"(?<= )", self.value):
            if parts and len(_quote(parts[-1] + word, self._single)) <= room:
                parts[-1] += word
            else:
                parts.append(word)
        return parts


def _quote(text: str, single: bool) -> str:
    """Double quotes as JSON writes them (Python reads them the same), or single quotes where that saves escapes."""
    double = json.dumps(text, ensure_ascii=False)
    if not single:
        return double
    body = re.sub(r"\\(.)", lambda m: m.group(1) if m.group(1) == '"' else m.group(0), double[1:-1])
    return "'" + body.replace("'", "\\'") + "'"


@dataclass(frozen=True)
class Chained(Node):
    """`a >> b >> c`, one state per line in parentheses when it does not fit."""

    names: Sequence[str]

    def flat(self) -> str:
        return " >> ".join(self.names)

    def broken(self, indent: str) -> str:
        inner = indent + INDENT
        rest = "".join(f"{NL}{inner}>> {name}" for name in self.names[1:])
        return f"({NL}{inner}{self.names[0]}{rest}{NL}{indent})"


@dataclass(frozen=True)
class Items(Node):
    """A bracketed sequence of entries: a call's arguments, a list, a dict, a tuple."""

    opening: str
    entries: Sequence[tuple[str, Node]]  # (prefix such as `key=` or `"key": `, value)
    closing: str
    magic_comma: bool = False  # a one-element tuple needs its comma

    def flat(self) -> str:
        inner = ", ".join(prefix + node.flat() for prefix, node in self.entries)
        comma = "," if self.magic_comma and len(self.entries) == 1 else ""
        return f"{self.opening}{inner}{comma}{self.closing}"

    def broken(self, indent: str) -> str:
        if not self.entries:
            return self.flat()
        inner = indent + INDENT
        lines = [f"{inner}{prefix}{node.text(inner, len(prefix) + 1)}," for prefix, node in self.entries]
        return self.opening + "\n" + "\n".join(lines) + "\n" + indent + self.closing


def call(function: str, /, *args: Node, **kwargs: Node | None) -> Items:
    """`function(args..., key=value...)`; keyword arguments whose node is None are left out."""
    entries: list[tuple[str, Node]] = [("", arg) for arg in args]
    entries += [(f"{key}=", node) for key, node in kwargs.items() if node is not None]
    return Items(f"{function}(", entries, ")")


def list_of(nodes: Sequence[Node]) -> Items:
    return Items("[", [("", node) for node in nodes], "]")


def tuple_of(nodes: Sequence[Node]) -> Items:
    return Items("(", [("", node) for node in nodes], ")", magic_comma=True)


def dict_of(pairs: Sequence[tuple[str, Node]]) -> Items:
    return Items("{", [(literal(key).flat() + ": ", node) for key, node in pairs], "}")


@dataclass
class Module:
    """The lines of a generated module and the names it imports."""

    docstring: str
    imports: dict[str, set[str]] = field(default_factory=dict)  # module -> names
    body: list[str] = field(default_factory=list)

    def use(self, module: str, name: str) -> str:
        self.imports.setdefault(module, set()).add(name)
        return name

    def statement(self, text: str) -> None:
        self.body.append(text)

    def assign(self, name: str, node: Node) -> None:
        self.body.append(f"{name} = {node.text('', len(name) + 3)}")

    def blank_lines(self, count: int) -> None:
        """End the body with `count` blank lines (two around a function, as PEP 8 asks)."""
        while self.body and self.body[-1] == "":
            self.body.pop()
        self.body.extend([""] * (count if self.body else count - 1))  # the imports end with one already

    def blank(self) -> None:
        if self.body and self.body[-1] != "":
            self.body.append("")

    def render(self) -> str:
        paragraphs = self.docstring.replace(QUOTES, "'''").split("\n\n")
        text = "\n\n".join(textwrap.fill(p, WIDTH - 4, break_long_words=False) for p in paragraphs)
        head = [QUOTES + text + "\n" + QUOTES, ""]
        for module in sorted(self.imports):
            names = sorted(self.imports[module], key=_isort_key)
            line = f"from {module} import {', '.join(names)}"
            if len(line) > WIDTH:
                line = f"from {module} import (\n" + "".join(f"{INDENT}{n},\n" for n in names) + ")"
            head.append(line)
        body = list(self.body)
        while body and body[-1] == "":
            body.pop()
        return "\n".join([*head, "", *body]) + "\n"


def _isort_key(name: str) -> tuple[int, str]:
    """isort's (and ruff's) order within one `from` import: CONSTANTS, then Classes, then functions."""
    return (0 if name.isupper() else 1 if name[0].isupper() else 2, name)
