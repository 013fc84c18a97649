"""Intrinsic functions (`States.Format('{}', $.x)` ...) evaluated with AWS's argument rules.

Parsing is the linter's (`aslkit.lint.intrinsics`); a call whose arguments break a rule raises
`StatesFailure("States.IntrinsicFailure", ...)`, the error AWS reports.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import random
import re
import uuid
from collections.abc import Callable
from typing import Any

from aslkit.engine.failures import INTRINSIC_FAILURE, StatesFailure
from aslkit.lint.intrinsics import Call, PathArg, parse, unescape

Resolve = Callable[[str], Any]  # reads a path argument


def evaluate(text: str, resolve: Resolve, rng: random.Random) -> Any:
    return _call(_parsed(text), resolve, rng)


@functools.lru_cache(maxsize=2048)
def _parsed(text: str) -> Call:
    return parse(text)


def _call(call: Call, resolve: Resolve, rng: random.Random) -> Any:
    args = [_argument(arg, resolve, rng) for arg in call.args]
    function = _FUNCTIONS.get(call.name)
    if function is None:
        raise StatesFailure(INTRINSIC_FAILURE, f"{call.name} is not an intrinsic function")
    try:
        return function(args, rng)
    except StatesFailure:
        raise
    except (TypeError, ValueError, IndexError, KeyError) as error:
        raise StatesFailure(INTRINSIC_FAILURE, f"{call.name}: {error}") from None


def _argument(arg: object, resolve: Resolve, rng: random.Random) -> Any:
    if isinstance(arg, PathArg):
        return resolve(arg.path)
    if isinstance(arg, Call):
        return _call(arg, resolve, rng)
    if isinstance(arg, str):
        return unescape(arg)
    return arg


def _need(condition: bool, message: str) -> None:
    if not condition:
        raise StatesFailure(INTRINSIC_FAILURE, message)


def _integer(value: Any, what: str) -> int:
    _need(isinstance(value, int | float) and not isinstance(value, bool) and float(value).is_integer(),
          f"{what} must be an integer, got {json.dumps(value)}")  # fmt: skip
    return int(value)


def _format(args: list[Any], _: random.Random) -> str:
    template, values = args[0], args[1:]
    _need(isinstance(template, str), "States.Format: the template must be a string")
    pieces = re.split(r"(?<!\\)\{\}", template)
    _need(len(pieces) - 1 == len(values), f"States.Format: {len(pieces) - 1} '{{}}' for {len(values)} value(s)")
    out = [pieces[0]]
    for value, piece in zip(values, pieces[1:], strict=True):
        _need(not isinstance(value, dict | list), "States.Format: values must be strings, numbers, booleans or null")
        out.append(value if isinstance(value, str) else json.dumps(value))
        out.append(piece)
    return "".join(out).replace("\\{", "{").replace("\\}", "}")


def _array_partition(args: list[Any], _: random.Random) -> list[Any]:
    array, size = args
    _need(isinstance(array, list), "States.ArrayPartition: the first argument must be an array")
    size = _integer(size, "States.ArrayPartition: the chunk size")
    _need(size > 0, "States.ArrayPartition: the chunk size must be positive")
    return [array[i : i + size] for i in range(0, len(array), size)]


def _array_range(args: list[Any], _: random.Random) -> list[int]:
    start, end, step = (_integer(a, "States.ArrayRange: each argument") for a in args)
    _need(step != 0, "States.ArrayRange: the step must not be 0")
    values = list(range(start, end + (1 if step > 0 else -1), step))
    _need(len(values) <= 1000, "States.ArrayRange: at most 1000 items")
    return values


def _array_get_item(args: list[Any], _: random.Random) -> Any:
    array, index = args
    _need(isinstance(array, list), "States.ArrayGetItem: the first argument must be an array")
    index = _integer(index, "States.ArrayGetItem: the index")
    _need(0 <= index < len(array), f"States.ArrayGetItem: index {index} is out of bounds")
    return array[index]


def _array_unique(args: list[Any], _: random.Random) -> list[Any]:
    (array,) = args
    _need(isinstance(array, list), "States.ArrayUnique: the argument must be an array")
    seen: list[str] = []
    out = []
    for item in array:
        key = json.dumps(item, sort_keys=True)
        if key not in seen:
            seen.append(key)
            out.append(item)
    return out


#: Step Functions' hash algorithm names (States.Hash and JSONata's $hash) -> hashlib's
HASHES = {"MD5": "md5", "SHA-1": "sha1", "SHA-256": "sha256", "SHA-384": "sha384", "SHA-512": "sha512"}


def digest(value: Any, algorithm: str) -> str:
    """The hex digest of a string, or of a JSON value's compact text, by one of HASHES."""
    text = value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))
    return hashlib.new(HASHES[algorithm], text.encode()).hexdigest()


def _hash(args: list[Any], _: random.Random) -> str:
    data, algorithm = args
    _need(algorithm in HASHES, f"States.Hash: the algorithm must be one of {', '.join(HASHES)}")
    return digest(data, algorithm)


def _json_merge(args: list[Any], _: random.Random) -> dict[str, Any]:
    left, right, deep = args
    _need(isinstance(left, dict) and isinstance(right, dict), "States.JsonMerge: both arguments must be objects")
    _need(deep is False, "States.JsonMerge: only shallow merges are supported (the third argument must be false)")
    return {**left, **right}


def _math_random(args: list[Any], rng: random.Random) -> int:
    start, end = _integer(args[0], "States.MathRandom: start"), _integer(args[1], "States.MathRandom: end")
    _need(start < end, "States.MathRandom: start must be less than end")
    source = random.Random(_integer(args[2], "States.MathRandom: seed")) if len(args) > 2 else rng
    return source.randrange(start, end)


def _math_add(args: list[Any], _: random.Random) -> int:
    return _integer(args[0], "States.MathAdd: the first value") + _integer(args[1], "States.MathAdd: the second value")


def _string_split(args: list[Any], _: random.Random) -> list[str]:
    text, delimiters = args
    _need(isinstance(text, str) and isinstance(delimiters, str), "States.StringSplit: both arguments are strings")
    if not delimiters:
        return [text] if text else []
    return [part for part in re.split("[" + re.escape(delimiters) + "]", text) if part]


def _string(args: list[Any], name: str) -> str:
    _need(isinstance(args[0], str), f"{name}: the argument must be a string")
    _need(len(args[0]) <= 10000, f"{name}: at most 10,000 characters")
    return str(args[0])


def _string_to_json(args: list[Any], _: random.Random) -> Any:
    text = _string(args, "States.StringToJson")
    try:
        return json.loads(text)
    except ValueError:
        raise StatesFailure(INTRINSIC_FAILURE, f"States.StringToJson: {text!r} is not JSON") from None


def _base64_decode(args: list[Any], _: random.Random) -> str:
    try:
        return base64.b64decode(_string(args, "States.Base64Decode"), validate=True).decode()
    except ValueError:
        raise StatesFailure(INTRINSIC_FAILURE, "States.Base64Decode: the argument is not base64") from None


_FUNCTIONS: dict[str, Callable[[list[Any], random.Random], Any]] = {
    "States.Format": _format,
    "States.StringToJson": _string_to_json,
    "States.JsonToString": lambda a, _: json.dumps(a[0], separators=(",", ":")),
    "States.Array": lambda a, _: list(a),
    "States.ArrayPartition": _array_partition,
    "States.ArrayContains": lambda a, _: isinstance(a[0], list) and a[1] in a[0],
    "States.ArrayRange": _array_range,
    "States.ArrayGetItem": _array_get_item,
    "States.ArrayLength": lambda a, _: len(a[0]) if isinstance(a[0], list) else _need(False, "not an array"),
    "States.ArrayUnique": _array_unique,
    "States.Base64Encode": lambda a, _: base64.b64encode(_string(a, "States.Base64Encode").encode()).decode(),
    "States.Base64Decode": _base64_decode,
    "States.Hash": _hash,
    "States.JsonMerge": _json_merge,
    "States.MathRandom": _math_random,
    "States.MathAdd": _math_add,
    "States.StringSplit": _string_split,
    "States.UUID": lambda a, rng: str(uuid.UUID(int=rng.getrandbits(128), version=4)),
}
