"""Validation of the JSONPath dialect Step Functions accepts.

A *path* may select many nodes (`$..x`, `$.a[*]`, filters, slices, unions); a *reference path* must identify a
single node (`$`, `$.a.b`, `$['a b'][0]`) and is what ResultPath, ItemsPath and the `...Path` fields require.
Paths start at the input (`$`), the context object (`$$`) or a variable (`$name`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_NAME = re.compile(r"[^.\[\]()\s'\"]+")
_VARIABLE = re.compile(r"\$[A-Za-z_][A-Za-z0-9_]*")
_INDEX = re.compile(r"-?\d+")
_SLICE = re.compile(r"-?\d*:-?\d*(:-?\d*)?")
_UNION = re.compile(r"(-?\d+|'[^']*')(\s*,\s*(-?\d+|'[^']*'))+")
_FUNCTION = re.compile(r"\.(length|min|max|avg|stddev|sum|keys)\(\)$")


@dataclass(frozen=True)
class PathProblem:
    message: str


def check_path(text: str, *, reference: bool = False, allow_context: bool = True) -> PathProblem | None:
    """None when `text` is a valid path (or reference path); otherwise what is wrong and how to write it."""
    kind = "reference path" if reference else "path"
    if not text.startswith("$"):
        return PathProblem(f"{text!r} is not a {kind}: it must start with '$' (input), '$$' (context) or '$var'")
    if text.startswith("$$"):
        if not allow_context:
            return PathProblem(f"{text!r}: a {kind} here cannot refer to the context object ('$$')")
        rest = text[2:]
    elif text.startswith("$") and len(text) > 1 and text[1] not in ".[":
        match = _VARIABLE.match(text)
        if not match:
            return PathProblem(f"{text!r}: after '$' write '.field', '[...]' or a variable name like '$myVar'")
        if reference and not allow_context:
            return PathProblem(f"{text!r}: a {kind} here must start at the input ('$'), not a variable")
        rest = text[match.end() :]
    else:
        rest = text[1:]
    offset = len(text) - len(rest)
    function = _FUNCTION.search(rest)
    if function:
        if reference:
            return PathProblem(f"{text!r}: a {kind} cannot call {function.group(1)}()")
        rest = rest[: function.start()]
    return _check_segments(text, rest, reference, kind, offset)


def _check_segments(text: str, rest: str, reference: bool, kind: str, offset: int) -> PathProblem | None:
    i = 0
    while i < len(rest):
        if rest.startswith("..", i):
            if reference:
                return PathProblem(f"{text!r}: a {kind} cannot use deep scan '..'; name each level")
            i += 2
            if i < len(rest) and rest[i] == "[":
                continue
            match = _NAME.match(rest, i) or (re.compile(r"\*").match(rest, i))
            if not match:
                return PathProblem(f"{text!r}: expected a field name after '..' at position {offset + i + 1}")
            i = match.end()
        elif rest[i] == ".":
            i += 1
            if rest.startswith("[", i):  # `$.[0]`, `$.a.['b c']`: AWS's documentation writes them, and AWS runs them
                continue
            if rest.startswith("*", i):
                if reference:
                    return PathProblem(f"{text!r}: a {kind} cannot use the wildcard '*'")
                i += 1
                continue
            match = _NAME.match(rest, i)
            if not match:
                return PathProblem(f"{text!r}: expected a field name after '.' at position {offset + i + 1}")
            i = match.end()
        elif rest[i] == "[":
            end = bracket_end(rest, i)
            if end < 0:
                return PathProblem(f"{text!r}: '[' at position {offset + i + 1} is never closed")
            inner = rest[i + 1 : end].strip()
            problem = _check_bracket(text, inner, reference, kind)
            if problem:
                return problem
            i = end + 1
        else:
            return PathProblem(
                f"{text!r}: unexpected {rest[i]!r} at position {offset + i + 1}; use '.field' or '[...]'"
            )
    return None


def bracket_end(text: str, start: int) -> int:
    """The index of the `]` that closes the `[` at `start` (quotes and nesting respected), or -1."""
    depth, quote = 0, ""
    for index in range(start, len(text)):
        char = text[index]
        if quote:
            if char == quote and text[index - 1] != "\\":
                quote = ""
        elif char in "'\"":
            quote = char
        elif char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
            if depth == 0:
                return index
    return -1


def _check_bracket(text: str, inner: str, reference: bool, kind: str) -> PathProblem | None:
    if (inner.startswith("'") and inner.endswith("'") and len(inner) >= 2) or (
        inner.startswith('"') and inner.endswith('"') and len(inner) >= 2
    ):
        return None
    if _INDEX.fullmatch(inner):
        return None
    multi = inner == "*" or inner.startswith("?(") or _SLICE.fullmatch(inner) or _UNION.fullmatch(inner)
    if inner.startswith("?(") and not inner.endswith(")"):
        return PathProblem(f"{text!r}: the filter [{inner}] must end with ')'")
    if multi:
        if reference:
            return PathProblem(f"{text!r}: a {kind} must select one node; [{inner}] can select many")
        return None
    return PathProblem(f"{text!r}: [{inner}] is not an index, a quoted name, '*', a slice or a filter")
