"""The helpers a test uses: deploy a workflow once per session, start and wait, trigger through events, mock."""

from __future__ import annotations

import atexit
import shutil
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

from aslkit.build import build, discover
from aslkit.cost import RunCost, estimate_run
from aslkit.local.deployer import CodeMode, Deployment
from aslkit.runtime.results import ExecutionResult
from aslkit.spec import SpecError, Workflow
from aslkit.testing.backend import ExecutionBackend
from aslkit.testing.mocks import MockConfig, Response

T = TypeVar("T")


class Harness:
    def __init__(self, backend: ExecutionBackend, root: Path) -> None:
        self.backend = backend
        self.root = root
        self._workflows: dict[str, Workflow] | None = None
        self._deployments: dict[tuple[Any, ...], Deployment] = {}
        self._built: Path | None = None
        self.mocks = MockConfig()

    # -- workflows -------------------------------------------------------------------------------------------------
    def _catalogue(self) -> dict[str, Workflow]:
        if self._workflows is None:
            self._workflows = {w.name: w for w in discover(self.root)}
        return self._workflows

    def workflow(self, name: str) -> Workflow:
        try:
            return self._catalogue()[name]
        except KeyError:
            raise SpecError(f"no workflow {name!r} in workflows/: {sorted(self._catalogue())}") from None

    def deploy(
        self,
        workflow: str | Workflow,
        *,
        prefix: str = "",
        parameters: Mapping[str, str] | None = None,
        code: CodeMode = "hot-reload",
        fresh: bool = False,
        adopt: Mapping[str, str] | None = None,
    ) -> Deployment:
        """Deploy once per session per (workflow, prefix, parameters, code, adopted); `fresh=True` deploys again.
        `adopt` maps spec names of stores to existing resources, as a stage adopts them (`aslkit.names`).

        A catalogue workflow runs its committed `statemachines/`; a workflow that is not in `workflows/` (a test's
        own) is built first, with the code `aslkit build` uses, into a folder of the harness's."""
        spec = self.workflow(workflow) if isinstance(workflow, str) else workflow
        key = (spec.name, prefix, tuple(sorted((parameters or {}).items())), code, tuple(sorted((adopt or {}).items())))
        if fresh or key not in self._deployments:
            self._deployments[key] = self.backend.deploy(
                spec,
                prefix=prefix,
                parameters=parameters,
                code=code,
                statemachines_dir=self._definitions(spec),
                adopt=adopt,
            )
        return self._deployments[key]

    def _definitions(self, spec: Workflow) -> Path | None:
        """None for the catalogue's committed definitions; a built folder for any other workflow."""
        catalogue = self._catalogue()
        if catalogue.get(spec.name) is spec:
            return None
        if self._built is None:
            self._built = Path(tempfile.mkdtemp(prefix="aslkit-harness-asl-"))
            atexit.register(shutil.rmtree, self._built, True)
        build([spec], self._built)
        return self._built

    def forget_deployments(self) -> None:
        self._deployments.clear()

    # -- executions ------------------------------------------------------------------------------------------------
    def start(self, deployment: Deployment, input: Any = None, *, machine: str | None = None,
              name: str | None = None, test_case: str | None = None) -> str:  # fmt: skip
        return self.backend.start(deployment, machine, input, name=name, test_case=test_case)

    def run(
        self,
        deployment: Deployment,
        input: Any = None,
        *,
        machine: str | None = None,
        name: str | None = None,
        test_case: str | None = None,
        timeout: float = 60.0,
    ) -> ExecutionResult:
        """Start an execution and wait for it to end (EXPRESS machines run synchronously, without a history)."""
        target = machine or next(iter(deployment.machines))
        if deployment.machine_types.get(target) == "EXPRESS":
            return self.backend.run_sync(deployment, target, input, name=name, test_case=test_case)
        arn = self.start(deployment, input, machine=machine, name=name, test_case=test_case)
        return self.backend.wait(arn, timeout)

    def wait(self, execution_arn: str, timeout: float = 60.0) -> ExecutionResult:
        return self.backend.wait(execution_arn, timeout)

    def result(self, execution_arn: str) -> ExecutionResult:
        """Where an execution is now, without waiting."""
        return self.backend.result(execution_arn)

    def run_cost(self, result: ExecutionResult, memory_mb: Mapping[str, int] | None = None) -> RunCost:
        """What the whole run cost: the execution and every child it started (`.sync`, Distributed Map), priced
        together (`aslkit.cost.estimate_run`)."""
        return estimate_run(self.backend.run_of(result.arn), memory_mb=memory_mb)

    def put_event(
        self,
        deployment: Deployment,
        *,
        source: str,
        detail_type: str,
        detail: Any,
        bus: str | None = None,
        expect: int = 1,
        machine: str | None = None,
        timeout: float = 30.0,
        settle: float = 0.5,
    ) -> list[ExecutionResult]:
        """Put one event and return the executions its rules started on `machine` (default: every machine of the
        deployment; EXPRESS executions are found in their log group on LocalStack), each waited for. Fails unless
        exactly `expect` started (waiting `settle` more seconds for extras)."""
        machines = [machine] if machine else list(deployment.machines)
        before = {m: set(self.backend.executions(deployment, m)) for m in machines}
        self.backend.put_events(deployment, [{"Source": source, "DetailType": detail_type, "Detail": detail}], bus=bus)

        def started() -> list[str]:
            return [arn for m in machines for arn in self.backend.executions(deployment, m) if arn not in before[m]]

        def enough() -> list[str]:
            found = started()
            return found if len(found) >= expect else []

        if expect:
            self.backend.until(enough, timeout)
        if settle:
            self.backend.pause(settle)
        new = started()
        if len(new) != expect:
            raise AssertionError(f"expected {expect} execution(s) started by the event, found {len(new)}: {new}")
        return [self.backend.wait(arn, timeout) for arn in new]

    # -- time ------------------------------------------------------------------------------------------------------
    def eventually(self, check: Callable[[], T], *, timeout: float = 30.0, what: str = "the check held") -> T:
        """Wait until `check()` returns something truthy and return it: polled in real time on LocalStack, the
        virtual clock run timer by timer in process (failing at once when nothing is left to happen)."""
        value = self.backend.until(check, timeout)
        if not value:
            raise AssertionError(f"timed out after {timeout:.0f} s ({self.backend.name}) waiting until {what}")
        return value

    def sleep(self, seconds: float) -> None:
        """Let `seconds` pass: real time on LocalStack, virtual time in process (what falls due on the way runs)."""
        self.backend.pause(seconds)

    def clock(self) -> float:
        """Seconds on the tier's clock (monotonic real time, or the engine's virtual clock)."""
        return self.backend.clock()

    def cli_options(self) -> list[str]:
        """Options that point an aslkit command run in this process (`aslkit.cli.main([...])`) at the tier."""
        return self.backend.cli_options()

    @property
    def in_process(self) -> bool:
        return self.backend.name == "inprocess"

    # -- mocks -----------------------------------------------------------------------------------------------------
    def mock(self, deployment: Deployment, machine: str, case: str, states: Mapping[str, list[Response]]) -> str:
        """Declare mocked integrations for `case` of `machine`; start executions with `test_case=case`."""
        physical = deployment.machine_arn(machine).rsplit(":", 1)[1]
        self.mocks.case(physical, case, states)
        self.backend.write_mocks(self.mocks)
        return case

    def clear_mocks(self) -> None:
        if self.mocks.cases:
            self.mocks = MockConfig()
            self.backend.write_mocks(self.mocks)
