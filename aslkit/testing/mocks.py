"""Mocked service integrations declared in Python, rendered into LocalStack's `SFN_MOCK_CONFIG` file.

    mocks = MockConfig()
    mocks.case("omics_status", "active", {"Get read set": [Return({...})], "Get store": [Throw("Omics.X", "...")]})
    backend.write_mocks(mocks)                       # then start with test_case="active"

The format is Step Functions Local's: `StateMachines.<name>.TestCases.<case>.<state>` names a mocked response,
`MockedResponses.<response>.<invocation index>` is `{"Return": ...}` or `{"Throw": {"Error", "Cause"}}`.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Return:
    """The integration returns `value` (for `lambda:invoke`, the whole response: `{"Payload": ...}`)."""

    value: Any
    repeat: int = 1


@dataclass(frozen=True)
class Throw:
    """The integration fails with `error` and `cause` (Retry and Catch see exactly this error name)."""

    error: str
    cause: str = ""
    repeat: int = 1


Response = Return | Throw


@dataclass
class MockConfig:
    cases: dict[str, dict[str, dict[str, Sequence[Response]]]] = field(default_factory=dict)

    def case(self, machine: str, case: str, states: Mapping[str, Sequence[Response]]) -> str:
        """Declare test case `case` of the deployed machine named `machine`; returns the case name."""
        self.cases.setdefault(machine, {})[case] = dict(states)
        return case

    def render(self) -> dict[str, Any]:
        machines: dict[str, Any] = {}
        responses: dict[str, Any] = {}
        for machine, cases in self.cases.items():
            test_cases: dict[str, dict[str, str]] = {}
            for case, states in cases.items():
                test_cases[case] = {}
                for state, sequence in states.items():
                    response_name = f"{machine}.{case}.{state}"
                    test_cases[case][state] = response_name
                    responses[response_name] = _responses(sequence)
            machines[machine] = {"TestCases": test_cases}
        return {"StateMachines": machines, "MockedResponses": responses}

    def write(self, path: Path) -> None:
        """Write the file, moving its mtime forward: LocalStack caches it by whole-second mtime."""
        previous = path.stat().st_mtime if path.exists() else 0.0
        path.write_text(json.dumps(self.render(), indent=2) + "\n")
        stamp = max(time.time(), previous + 1.0)
        os.utime(path, (stamp, stamp))


def _responses(sequence: Sequence[Response]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    index = 0
    for response in sequence:
        key = str(index) if response.repeat == 1 else f"{index}-{index + response.repeat - 1}"
        if isinstance(response, Return):
            out[key] = {"Return": response.value}
        else:
            out[key] = {"Throw": {"Error": response.error, "Cause": response.cause}}
        index += response.repeat
    return out
