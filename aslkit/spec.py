"""The Workflow spec: everything one business process declares, in one place.

Every consumer (the committed ASL, the local deployer, the CDK app) reads the spec; none re-declares a resource.
Resources enter the ASL as placeholders (`fn.arn`), which the spec can fill because it declares them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from aslkit.asl.machine import StateMachine
from aslkit.asl.values import Placeholder

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


class SpecError(ValueError):
    """A Workflow spec that cannot be rendered: bad names, a placeholder nothing provides, a duplicate."""


@dataclass(frozen=True)
class Function:
    """A task Lambda: `handler` is the dotted path of a handler under `tasks/` (`tasks.example.greet.handler`)."""

    name: str
    handler: str
    timeout: int = 30
    memory: int = 256
    environment: Mapping[str, str] = field(default_factory=dict)
    description: str = ""

    def __post_init__(self) -> None:
        if not _NAME.match(self.name):
            raise SpecError(f"function name {self.name!r} must be snake_case (a-z, 0-9, _), starting with a letter")
        if not self.handler.startswith("tasks.") or self.handler.count(".") < 2:
            raise SpecError(
                f"function {self.name!r}: handler {self.handler!r} must be 'tasks.<process>.<module>.<function>'"
            )

    @property
    def arn(self) -> Placeholder:
        """The function's ARN inside a definition."""
        return Placeholder(f"{self.name}_function_arn")


def machine_arn(machine: StateMachine | str) -> Placeholder:
    """The ARN of a state machine of the catalogue, inside another definition (child executions)."""
    name = machine if isinstance(machine, str) else machine.name
    return Placeholder(f"{name}_state_machine_arn")


@dataclass
class Workflow:
    """One business process: its state machines and the resources they use."""

    name: str
    description: str
    machines: Sequence[StateMachine]
    functions: Sequence[Function] = ()

    def __post_init__(self) -> None:
        if not _NAME.match(self.name):
            raise SpecError(f"workflow name {self.name!r} must be snake_case")
        _unique("function", [f.name for f in self.functions], self.name)
        _unique("state machine", [m.name for m in self.machines], self.name)

    def provided_placeholders(self) -> dict[str, str]:
        """Placeholder name -> what fills it, for every placeholder this spec can fill."""
        provided = {f.arn.name: f"ARN of function {f.name!r}" for f in self.functions}
        provided.update({machine_arn(m).name: f"ARN of state machine {m.name!r}" for m in self.machines})
        return provided

    def check(self) -> None:
        """Every placeholder a machine uses is provided by this spec."""
        provided = self.provided_placeholders()
        for machine in self.machines:
            missing = [p for p in machine.placeholders if p not in provided]
            if missing:
                raise SpecError(
                    f"workflow {self.name!r}, state machine {machine.name!r} uses placeholders nothing in the spec "
                    f"provides: {', '.join(missing)}. Declare the function or resource in the Workflow, "
                    f"or use its .arn; provided here: {', '.join(sorted(provided)) or 'none'}"
                )


def _unique(kind: str, names: list[str], workflow: str) -> None:
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise SpecError(f"workflow {workflow!r} declares the {kind} {name!r} twice")
        seen.add(name)
