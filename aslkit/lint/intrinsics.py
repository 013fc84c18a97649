"""Parsing intrinsic function calls (`States.Format('{}', $.x)`) and checking names and arities."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Final

from aslkit.lint.jsonpath import check_path

#: name -> (minimum, maximum) number of arguments; None means no maximum.
ARITY: Final[dict[str, tuple[int, int | None]]] = {
    "States.Format": (1, None),
    "States.StringToJson": (1, 1),
    "States.JsonToString": (1, 1),
    "States.Array": (0, None),
    "States.ArrayPartition": (2, 2),
    "States.ArrayContains": (2, 2),
    "States.ArrayRange": (3, 3),
    "States.ArrayGetItem": (2, 2),
    "States.ArrayLength": (1, 1),
    "States.ArrayUnique": (1, 1),
    "States.Base64Encode": (1, 1),
    "States.Base64Decode": (1, 1),
    "States.Hash": (2, 2),
    "States.JsonMerge": (3, 3),
    "States.MathRandom": (2, 3),
    "States.MathAdd": (2, 2),
    "States.StringSplit": (2, 2),
    "States.UUID": (0, 0),
}
HASH_ALGORITHMS: Final = ("MD5", "SHA-1", "SHA-256", "SHA-384", "SHA-512")
#: name -> the argument positions that must be integers (the engine's rules, `aslkit.engine.intrinsics`)
INTEGER_ARGS: Final[dict[str, tuple[int, ...]]] = {
    "States.MathAdd": (0, 1),
    "States.MathRandom": (0, 1, 2),
    "States.ArrayRange": (0, 1, 2),
    "States.ArrayPartition": (1,),
    "States.ArrayGetItem": (1,),
}
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9]*(\.[A-Za-z][A-Za-z0-9]*)*")
_NUMBER = re.compile(r"-?\d+(\.\d+)?([eE][+-]?\d+)?")


class IntrinsicSyntaxError(ValueError):
    pass


@dataclass
class Call:
    name: str
    args: list[object] = field(default_factory=list)  # str literal, float/int, bool, None, PathArg, Call


@dataclass
class PathArg:
    path: str


def unescape(raw: str) -> str:
    """A string argument as the parser keeps it (`'it\\'s'` keeps its backslash) to the string it means."""
    return re.sub(r"\\(.)", lambda m: m.group(1), raw)


def is_intrinsic(text: str) -> bool:
    return text.startswith("States.") and "(" in text


def parse(text: str) -> Call:
    parser = _Parser(text)
    call = parser.call()
    parser.skip_space()
    if parser.pos != len(text):
        raise IntrinsicSyntaxError(
            f"unexpected text after the call at position {parser.pos + 1}: {text[parser.pos :]!r}"
        )
    return call


def problems(text: str) -> list[tuple[str, str]]:
    """(rule, message) pairs for an intrinsic expression: syntax, unknown names, arities, argument checks."""
    try:
        call = parse(text)
    except IntrinsicSyntaxError as error:
        return [("intrinsic-syntax", f"{text!r}: {error}")]
    found: list[tuple[str, str]] = []
    _check(call, found)
    return found


def _check(call: Call, found: list[tuple[str, str]]) -> None:
    arity = ARITY.get(call.name)
    if arity is None:
        close = [name for name in ARITY if name.lower() == call.name.lower()]
        hint = f"; did you mean {close[0]}?" if close else f"; known functions: {', '.join(sorted(ARITY))}"
        found.append(("intrinsic-unknown", f"{call.name} is not an intrinsic function{hint}"))
    else:
        low, high = arity
        n = len(call.args)
        if n < low or (high is not None and n > high):
            expected = f"{low}" if low == high else f"{low} or more" if high is None else f"{low} to {high}"
            found.append(("intrinsic-arity", f"{call.name} takes {expected} argument(s), got {n}"))
        elif call.name == "States.Format" and isinstance(call.args[0], str):
            holes = len(re.findall(r"(?<!\\)\{\}", call.args[0]))
            if holes != n - 1:
                found.append(
                    ("intrinsic-arity", f"States.Format template has {holes} '{{}}' but {n - 1} value(s) follow it")
                )
        elif call.name == "States.Hash" and isinstance(call.args[1], str) and call.args[1] not in HASH_ALGORITHMS:
            found.append(("intrinsic-arity", f"States.Hash algorithm must be one of {', '.join(HASH_ALGORITHMS)}"))
        for position in INTEGER_ARGS.get(call.name, ()):
            literal = call.args[position] if position < len(call.args) else 0
            whole = isinstance(literal, int | float) and not isinstance(literal, bool) and float(literal).is_integer()
            if not isinstance(literal, PathArg | Call) and not whole:
                message = (f"{call.name}: argument {position + 1} must be an integer (or a path to one), not "
                           f"{literal!r}: the call fails with States.IntrinsicFailure")  # fmt: skip
                found.append(("intrinsic-arity", message))
    for arg in call.args:
        if isinstance(arg, Call):
            _check(arg, found)
        elif isinstance(arg, PathArg):
            problem = check_path(arg.path)
            if problem:
                found.append(("invalid-path", problem.message))


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def skip_space(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def call(self) -> Call:
        self.skip_space()
        match = _NAME.match(self.text, self.pos)
        if not match:
            raise IntrinsicSyntaxError(f"expected a function name at position {self.pos + 1}")
        self.pos = match.end()
        self.skip_space()
        self.expect("(")
        call = Call(match.group(0))
        self.skip_space()
        if self.peek() == ")":
            self.pos += 1
            return call
        while True:
            call.args.append(self.argument())
            self.skip_space()
            if self.peek() == ",":
                self.pos += 1
                continue
            self.expect(")")
            return call

    def argument(self) -> object:
        self.skip_space()
        char = self.peek()
        if char == "'":
            return self.string()
        if char == "$":
            return self.path()
        number = _NUMBER.match(self.text, self.pos)
        if number:
            self.pos = number.end()
            literal = number.group(0)
            return float(literal) if any(c in literal for c in ".eE") else int(literal)
        for word, constant in (("true", True), ("false", False), ("null", None)):
            if self.text.startswith(word, self.pos):
                self.pos += len(word)
                return constant
        if self.text.startswith("States.", self.pos):
            return self.call()
        raise IntrinsicSyntaxError(
            f"expected a string in single quotes, a number, a path or a call at position {self.pos + 1}"
        )

    def string(self) -> str:
        self.pos += 1
        out: list[str] = []
        while self.pos < len(self.text):
            char = self.text[self.pos]
            if char == "\\" and self.pos + 1 < len(self.text):
                out.append(char + self.text[self.pos + 1])
                self.pos += 2
                continue
            if char == "'":
                self.pos += 1
                return "".join(out)
            out.append(char)
            self.pos += 1
        raise IntrinsicSyntaxError("a string argument is not closed with a single quote")

    def path(self) -> PathArg:
        start, depth = self.pos, 0
        while self.pos < len(self.text):
            char = self.text[self.pos]
            if char in "[(":
                depth += 1
            elif char in "])":
                if depth == 0:
                    break
                depth -= 1
            elif char == "," and depth == 0:
                break
            self.pos += 1
        return PathArg(self.text[start : self.pos].strip())

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def expect(self, char: str) -> None:
        if self.peek() != char:
            found = repr(self.peek()) if self.peek() else "the end"
            raise IntrinsicSyntaxError(f"expected {char!r} at position {self.pos + 1}, found {found}")
        self.pos += 1
