"""JSONPath as Step Functions evaluates it: read any path, write reference paths.

A definite path (fields and indexes only) selects one node and yields it; an indefinite one (`*`, `..`, filters,
slices, unions) yields the list of what it matched, as Step Functions' Jayway-based evaluator does. A path that
selects nothing raises `PathNotFound`, which the interpreter turns into `States.Runtime` with AWS's wording.
Paths are parsed once and cached.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from aslkit.lint.jsonpath import bracket_end

Node = Any


class PathNotFound(LookupError):
    """The path selects nothing in the data it was applied to."""

    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.path = path


class PathSyntaxError(ValueError):
    pass


# -- segments -----------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Field:
    name: str


@dataclass(frozen=True)
class Index:
    index: int


@dataclass(frozen=True)
class Wildcard:
    pass


@dataclass(frozen=True)
class Slice:
    start: int | None
    stop: int | None
    step: int | None


@dataclass(frozen=True)
class Union:
    keys: tuple[str | int, ...]


@dataclass(frozen=True)
class Filter:
    test: Callable[[Node, Node], bool]  # (candidate, root) -> keep


@dataclass(frozen=True)
class Deep:
    inner: Field | Wildcard | Index | Filter | Union | Slice


Segment = Field | Index | Wildcard | Slice | Union | Filter | Deep


@dataclass(frozen=True)
class Path:
    text: str
    root: str  # "$" input, "$$" context, or a variable name
    segments: tuple[Segment, ...]
    function: str | None = None  # a trailing .length(), .max() ...

    @property
    def definite(self) -> bool:
        return all(isinstance(s, Field | Index) for s in self.segments)


# -- reading ------------------------------------------------------------------------------------------------------
def read(text: str, data: Node, *, context: Node = None, variables: dict[str, Node] | None = None) -> Node:
    """The value `text` selects: from `data` (`$`), `context` (`$$`) or a variable (`$name`)."""
    path = parse(text)
    if path.root == "$":
        base = data
    elif path.root == "$$":
        base = context
    else:
        if variables is None or path.root not in variables:
            raise PathNotFound(text)
        base = variables[path.root]
    found = list(_walk(base, path.segments, base))
    if path.function is not None:
        if path.definite and not found:
            raise PathNotFound(text)
        return _FUNCTIONS[path.function](found[0] if path.definite else found)
    if path.definite:
        if not found:
            raise PathNotFound(text)
        return found[0]
    return found


def exists(text: str, data: Node, *, context: Node = None, variables: dict[str, Node] | None = None) -> bool:
    try:
        value = read(text, data, context=context, variables=variables)
    except PathNotFound:
        return False
    return not (isinstance(value, list) and not parse(text).definite and not value)


def write(text: str, data: Node, value: Node) -> Node:
    """`data` with `value` placed at the reference path `text` (intermediate objects created), as ResultPath does.
    `data` is not changed: the result shares untouched parts with it."""
    path = parse(text)
    if path.root != "$" or not path.definite:
        raise PathSyntaxError(f"{text!r} is not a reference path into the input")
    return _write(data, list(path.segments), value, text)


def _write(node: Node, segments: list[Segment], value: Node, text: str) -> Node:
    if not segments:
        return value
    head, rest = segments[0], segments[1:]
    if isinstance(head, Field):
        if node is None or not isinstance(node, dict):
            if node is not None and not isinstance(node, dict):
                raise PathNotFound(text)
            node = {}
        copy = dict(node)
        copy[head.name] = _write(node.get(head.name), rest, value, text)
        return copy
    assert isinstance(head, Index)
    if not isinstance(node, list) or not -len(node) <= head.index < len(node):
        raise PathNotFound(text)
    items = list(node)
    items[head.index] = _write(items[head.index], rest, value, text)
    return items


def _walk(node: Node, segments: tuple[Segment, ...], root: Node) -> Iterator[Node]:
    if not segments:
        yield node
        return
    head, rest = segments[0], segments[1:]
    if isinstance(head, Deep):
        for descendant in _descendants(node):
            yield from _walk_one(descendant, head.inner, rest, root)
        return
    yield from _walk_one(node, head, rest, root)


def _walk_one(node: Node, head: Segment, rest: tuple[Segment, ...], root: Node) -> Iterator[Node]:
    if isinstance(head, Field):
        if isinstance(node, dict) and head.name in node:
            yield from _walk(node[head.name], rest, root)
    elif isinstance(head, Index):
        if isinstance(node, list) and -len(node) <= head.index < len(node):
            yield from _walk(node[head.index], rest, root)
    elif isinstance(head, Wildcard):
        for child in _children(node):
            yield from _walk(child, rest, root)
    elif isinstance(head, Slice):
        if isinstance(node, list):
            for child in node[head.start : head.stop : head.step]:
                yield from _walk(child, rest, root)
    elif isinstance(head, Union):
        for key in head.keys:
            yield from _walk_one(node, Field(key) if isinstance(key, str) else Index(key), rest, root)
    elif isinstance(head, Filter):
        for child in _children(node):
            if head.test(child, root):
                yield from _walk(child, rest, root)


def _children(node: Node) -> list[Node]:
    if isinstance(node, dict):
        return list(node.values())
    if isinstance(node, list):
        return list(node)
    return []


def _descendants(node: Node) -> Iterator[Node]:
    yield node
    for child in _children(node):
        yield from _descendants(child)


def _length(value: Node) -> int:
    return len(value) if isinstance(value, list | dict | str) else 0


_FUNCTIONS: dict[str, Callable[[Node], Node]] = {
    "length": _length,
    "min": lambda v: min(v) if v else None,
    "max": lambda v: max(v) if v else None,
    "sum": lambda v: sum(v),
    "avg": lambda v: sum(v) / len(v) if v else None,
    "keys": lambda v: list(v) if isinstance(v, dict) else [],
    "stddev": lambda v: (sum((x - sum(v) / len(v)) ** 2 for x in v) / len(v)) ** 0.5 if v else None,
}


# -- parsing ------------------------------------------------------------------------------------------------------
_NAME = re.compile(r"[^.\[\]()\s'\"]+")
_VARIABLE = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
_FUNCTION = re.compile(r"\.(length|min|max|avg|stddev|sum|keys)\(\)$")


@functools.lru_cache(maxsize=4096)
def parse(text: str) -> Path:
    if text.startswith("$$"):
        root, rest = "$$", text[2:]
    elif len(text) > 1 and text[0] == "$" and text[1] not in ".[":
        match = _VARIABLE.match(text)
        if not match:
            raise PathSyntaxError(f"{text!r} is not a path")
        root, rest = match.group(1), text[match.end() :]
    elif text.startswith("$"):
        root, rest = "$", text[1:]
    else:
        raise PathSyntaxError(f"{text!r} is not a path: it must start with '$'")
    function = _FUNCTION.search(rest)
    if function:
        rest = rest[: function.start()]
    return Path(text, root, tuple(_segments(text, rest)), function.group(1) if function else None)


def _segments(text: str, rest: str) -> list[Segment]:
    segments: list[Segment] = []
    i = 0
    while i < len(rest):
        deep = rest.startswith("..", i)
        if deep or rest[i] == ".":
            i += 2 if deep else 1
            if i < len(rest) and rest[i] == "[":  # `$.['a b']` and `$..[0]`: a bracket after a dot
                end = _bracket_end(rest, i)
                segment = _bracket(text, rest[i + 1 : end].strip())
                i = end + 1
            elif rest.startswith("*", i):
                segment, i = Wildcard(), i + 1
            else:
                match = _NAME.match(rest, i)
                if not match:
                    raise PathSyntaxError(f"{text!r}: expected a field name at position {i + 1}")
                segment, i = Field(match.group(0)), match.end()
            segments.append(Deep(segment) if deep else segment)  # type: ignore[arg-type]
        elif rest[i] == "[":
            end = _bracket_end(rest, i)
            segments.append(_bracket(text, rest[i + 1 : end].strip()))
            i = end + 1
        else:
            raise PathSyntaxError(f"{text!r}: unexpected {rest[i]!r} at position {i + 1}")
    return segments


def _bracket_end(text: str, start: int) -> int:
    end = bracket_end(text, start)
    if end < 0:
        raise PathSyntaxError(f"{text!r}: '[' is never closed")
    return end


def _bracket(text: str, inner: str) -> Segment:
    if inner == "*":
        return Wildcard()
    if inner.startswith("?(") and inner.endswith(")"):
        return Filter(_filter(inner[2:-1]))
    parts = [part.strip() for part in _split(inner, ",")]
    keys: list[str | int] = []
    for part in parts:
        if len(part) >= 2 and part[0] == part[-1] and part[0] in "'\"":
            keys.append(part[1:-1])
        elif re.fullmatch(r"-?\d+", part):
            keys.append(int(part))
        elif len(parts) == 1 and re.fullmatch(r"-?\d*:-?\d*(:-?\d*)?", part):
            numbers = [int(n) if n else None for n in part.split(":")]
            return Slice(*(numbers + [None] * (3 - len(numbers))))
        else:
            raise PathSyntaxError(f"{text!r}: [{inner}] is not an index, a quoted name, '*', a slice or a filter")
    if len(keys) == 1:
        return Field(keys[0]) if isinstance(keys[0], str) else Index(keys[0])
    return Union(tuple(keys))


def _split(text: str, separator: str) -> list[str]:
    parts: list[str] = []
    current: list[str] = []
    depth, quote = 0, ""
    for char in text:
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char in "([":
            depth += 1
        elif char in ")]":
            depth -= 1
        elif char == separator and depth == 0:
            parts.append("".join(current))
            current = []
            continue
        current.append(char)
    parts.append("".join(current))
    return parts


# -- filters: ?(@.a == 'x' && @.b > 2), ?(@.flag), ?(@.n in [1, 2]), ?(@.name =~ /re/) -----------------------------
_TOKEN = re.compile(
    r"\s*(?:(?P<num>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)|(?P<str>'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\")"
    r"|(?P<re>/(?:[^/\\]|\\.)*/[a-z]*)|(?P<op>==|!=|<=|>=|=~|&&|\|\||[<>!()\[\],])|(?P<word>nin\b|in\b|true\b"
    r"|false\b|null\b)|(?P<path>[@$](?:\.\.?[^\s=!<>&|()\[\],.]+|\[[^\]]*\])*))"
)


def _filter(expression: str) -> Callable[[Node, Node], bool]:
    tokens = _tokens(expression)
    parser = _FilterParser(tokens, expression)
    test = parser.disjunction()
    if parser.pos != len(tokens):
        raise PathSyntaxError(f"filter ?({expression}): unexpected {tokens[parser.pos][1]!r}")
    return lambda node, root: bool(_truthy(test(node, root)))


def _tokens(expression: str) -> list[tuple[str, str]]:
    tokens, pos = [], 0
    while pos < len(expression):
        if expression[pos:].strip() == "":
            break
        match = _TOKEN.match(expression, pos)
        if not match or match.end() == pos:
            raise PathSyntaxError(f"filter ?({expression}): cannot read {expression[pos:]!r}")
        kind = match.lastgroup or ""
        tokens.append((kind, match.group(kind).strip()))
        pos = match.end()
    return tokens


_MISSING = object()
Test = Callable[[Node, Node], Any]


class _FilterParser:
    def __init__(self, tokens: list[tuple[str, str]], source: str) -> None:
        self.tokens, self.pos, self.source = tokens, 0, source

    def peek(self) -> str:
        return self.tokens[self.pos][1] if self.pos < len(self.tokens) else ""

    def take(self) -> tuple[str, str]:
        token = self.tokens[self.pos]
        self.pos += 1
        return token

    def disjunction(self) -> Test:
        left = self.conjunction()
        while self.peek() == "||":
            self.take()
            left = _either(left, self.conjunction())
        return left

    def conjunction(self) -> Test:
        left = self.comparison()
        while self.peek() == "&&":
            self.take()
            left = _both(left, self.comparison())
        return left

    def comparison(self) -> Test:
        if self.peek() == "!":
            self.take()
            inner = self.comparison()
            return lambda n, r: not _truthy(inner(n, r))
        left = self.operand()
        operator = self.peek()
        if operator in _COMPARE:
            self.take()
            right = self.operand()
            compare = _COMPARE[operator]
            return lambda n, r: _safe(compare, left(n, r), right(n, r))
        return left

    def operand(self) -> Test:
        kind, text = self.take()
        if text == "(":
            inner = self.disjunction()
            self.take()
            return inner
        if text == "[":
            items = []
            while self.peek() != "]":
                items.append(self.operand())
                if self.peek() == ",":
                    self.take()
            self.take()
            return lambda n, r: [item(n, r) for item in items]
        if kind == "num":
            number = float(text) if any(c in text for c in ".eE") else int(text)
            return lambda n, r: number
        if kind == "str":
            value = text[1:-1].replace("\\'", "'").replace('\\"', '"')
            return lambda n, r: value
        if kind == "re":
            body, flags = text[1:].rsplit("/", 1)
            pattern = re.compile(body, re.IGNORECASE if "i" in flags else 0)
            return lambda n, r: pattern
        if kind == "word":
            constant = {"true": True, "false": False, "null": None}.get(text, text)
            return lambda n, r: constant
        if kind == "path":
            relative = "$" + text[1:]
            if text.startswith("@"):
                return lambda n, r: _lookup(relative, n)
            return lambda n, r: _lookup(relative, r)
        raise PathSyntaxError(f"filter ?({self.source}): unexpected {text!r}")


def _either(a: Test, b: Test) -> Test:
    return lambda n, r: _truthy(a(n, r)) or _truthy(b(n, r))


def _both(a: Test, b: Test) -> Test:
    return lambda n, r: _truthy(a(n, r)) and _truthy(b(n, r))


def _lookup(path: str, node: Node) -> Node:
    try:
        return read(path, node)
    except (PathNotFound, PathSyntaxError):
        return _MISSING


def _truthy(value: Node) -> bool:
    return value is not _MISSING and value is not None and value is not False


def _safe(compare: Callable[[Node, Node], bool], left: Node, right: Node) -> bool:
    if left is _MISSING or right is _MISSING:
        return False
    try:
        return compare(left, right)
    except TypeError:
        return False


def _number_or_same(a: Node, b: Node) -> bool:
    return isinstance(a, bool) == isinstance(b, bool) and a == b


_COMPARE: dict[str, Callable[[Node, Node], bool]] = {
    "==": _number_or_same,
    "!=": lambda a, b: not _number_or_same(a, b),
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    "=~": lambda a, b: isinstance(a, str) and bool(b.search(a)),
    "in": lambda a, b: a in b,
    "nin": lambda a, b: a not in b,
}
