"""How states connect: chains (`a >> b`), reusable fragments with prefixed names, and graph collection.

A `Chain` is a start state plus the states where the chain can continue. `a >> b` (or `a.next(b)`) sets the
`Next` of every open end of `a` to the start of `b`. A graph (a machine, a Parallel branch, a Map processor) is
every state reachable from its start; names must be unique across the whole machine.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import inspect
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Union

from aslkit.errors import SpecError

if TYPE_CHECKING:
    from aslkit.asl.states import State

_PREFIX: contextvars.ContextVar[str] = contextvars.ContextVar("aslkit_state_prefix", default="")
_ASL_DIR = str(Path(__file__).resolve().parent)


class GraphError(SpecError):
    """A state graph that cannot be a valid state machine (duplicate names, a second `Next` ...)."""


class Chain:
    """A start state and the open ends that the next state will follow."""

    def __init__(self, start: State, ends: list[State]) -> None:
        self.start = start
        self.ends = ends

    def next(self, other: Chainable) -> Chain:
        other_chain = as_chain(other)
        if not self.ends:
            raise GraphError(
                f"the chain starting at {self.start.name!r} has no open end to continue to "
                f"{other_chain.start.name!r}: it ends in Succeed, Fail or Choice states "
                "(a Choice continues through .when() and .otherwise())"
            )
        for end in self.ends:
            end.set_next(other_chain.start)
        return Chain(self.start, other_chain.ends)

    def __rshift__(self, other: Chainable) -> Chain:
        return self.next(other)

    def __repr__(self) -> str:
        return f"Chain(start={self.start.name!r}, ends={[e.name for e in self.ends]!r})"


Chainable = Union["State", Chain]


def as_chain(item: Chainable) -> Chain:
    if isinstance(item, Chain):
        return item
    return Chain(item, [item] if item.can_continue else [])


def start_of(item: Chainable) -> State:
    return item.start if isinstance(item, Chain) else item


# -- names -------------------------------------------------------------------------------------------------------


@contextlib.contextmanager
def name_prefix(prefix: str) -> Iterator[None]:
    """Prefix the names of the states created inside the block (prefixes nest)."""
    token = _PREFIX.set(_PREFIX.get() + prefix)
    try:
        yield
    finally:
        _PREFIX.reset(token)


def current_prefix() -> str:
    return _PREFIX.get()


def fragment[**P, R](build: Callable[P, R]) -> Callable[P, R]:
    """Make a function that builds states a reusable fragment: `build(..., prefix="QC ")` prefixes every state
    name built inside it. The function declares the keyword itself (`*, prefix: str = ""`), so the type checker
    knows it; the decorator applies it (and passes it on)."""
    parameter = inspect.signature(build).parameters.get("prefix")
    if parameter is None or parameter.kind is not inspect.Parameter.KEYWORD_ONLY or parameter.default != "":
        raise SpecError(f'@fragment {build.__qualname__} must declare the keyword `*, prefix: str = ""`')

    @functools.wraps(build)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        prefix = kwargs.get("prefix", "")
        if not isinstance(prefix, str):
            raise TypeError("prefix must be a string")
        with name_prefix(prefix):
            return build(*args, **kwargs)

    return wrapper


def caller_location() -> str:
    """`file:line` of the first frame outside aslkit.asl: where the user created the state."""
    frame = sys._getframe(1)
    while frame is not None and frame.f_code.co_filename.startswith(_ASL_DIR):
        frame = frame.f_back  # type: ignore[assignment]
    if frame is None:
        return "<unknown>"
    filename = frame.f_code.co_filename
    with contextlib.suppress(ValueError):
        filename = os.path.relpath(filename)
    return f"{filename}:{frame.f_lineno}"


# -- collection --------------------------------------------------------------------------------------------------


def collect(start: State, seen_names: dict[str, State]) -> list[State]:
    """Every state reachable from `start` in depth-first order; `seen_names` spans the whole machine."""
    ordered: list[State] = []
    visited: set[int] = set()
    stack = [start]
    while stack:
        state = stack.pop()
        if id(state) in visited:
            continue
        visited.add(id(state))
        other = seen_names.get(state.name)
        if other is not None and other is not state:
            raise GraphError(
                f"two different states are named {state.name!r}: one created at {other.defined_at}, "
                f"the other at {state.defined_at}. State names must be unique across the whole machine; "
                "rename one, or build the repeated part as a fragment with a prefix"
            )
        seen_names[state.name] = state
        ordered.append(state)
        stack.extend(reversed(state.successors()))
    return ordered
