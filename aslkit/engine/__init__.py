"""aslkit.engine: an in-process Step Functions interpreter on a virtual clock.

    from aslkit.engine import Engine

    engine = Engine(functions={"summarise": handler})          # name or ARN -> handler(event, context)
    result = engine.run("statemachines/example.asl.json", {"runId": "R1"})
    assert result.status == "SUCCEEDED" and result.states == [...]

Both query languages, every state type, Retry/Catch with AWS's error names, `.sync`/`.sync:2` children and
`.waitForTaskToken` callbacks, inline and distributed Map. Waits, backoff, timeouts and heartbeats move a virtual
clock instead of sleeping; concurrent executions, branches and iterations interleave in an order fixed by `seed`.
`run()` returns the same `ExecutionResult` (status, output, error, states, history in AWS's shape) the LocalStack
harness returns. Lambda handlers run in this process; AWS services come from moto (aslkit[test]) when used.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aslkit.engine import faults
from aslkit.engine.delivery import Delivery
from aslkit.engine.execution import Execution
from aslkit.engine.failures import ExecutionStopped, StatesFailure
from aslkit.engine.gateway import Gateway
from aslkit.engine.interpreter import MAX_PAYLOAD, Interpreter
from aslkit.engine.jobs import Job, Jobs
from aslkit.engine.lambdas import Function, Lambdas
from aslkit.engine.scheduler import EPOCH, Scheduler
from aslkit.engine.services import Services
from aslkit.engine.tasks import TaskRunner
from aslkit.errors import EngineError, UserInputError
from aslkit.runtime.results import ExecutionResult

if TYPE_CHECKING:
    from aslkit.asl.machine import StateMachine
    from aslkit.spec import Workflow

__all__ = ["Engine", "EngineError", "ExecutionResult", "Function", "StatesFailure"]

Definition = Mapping[str, Any] | str | Path


class Engine:
    """Runs definitions in process. `functions` maps a function name or ARN to a handler (a callable or a
    `module.function` path, or a `Function`); `mocks` is a Step Functions Local mock configuration (the harness's
    `MockConfig().render()`), used by executions started with `test_case=`."""

    def __init__(
        self,
        functions: Mapping[str, Callable[[Any, Any], Any] | str | Function] | None = None,
        mocks: Mapping[str, Any] | None = None,
        seed: int = 0,
        *,
        substitutions: Mapping[str, str] | None = None,
        region: str = "us-east-1",
        account: str = "123456789012",
        start: float = EPOCH,
    ) -> None:
        self.region, self.account = region, account
        self.scheduler = Scheduler(seed, start)
        self.lambdas = Lambdas(region, account)
        self.jobs = Jobs(region, account)
        self.substitutions = dict(substitutions or {})
        for name, handler in (functions or {}).items():
            self.add_function(handler if isinstance(handler, Function) else Function(_function_name(name), handler))
        self.mocks = dict(mocks) if mocks else None
        self.services = Services(region, account)
        self.delivery = Delivery(self)
        self.gateway = Gateway(self)
        self.tasks = TaskRunner(self)
        self.executions: dict[str, Execution] = {}
        self.machines: dict[str, tuple[str, str, dict[str, Any]]] = {}  # arn -> (name, type, definition)
        self.tags: dict[str, dict[str, str]] = {}  # state machine arn -> its tags
        self.map_runs: set[str] = set()  # the ARNs of Distributed Map runs (ListExecutions by mapRunArn)
        #: the faults to inject (`aslkit.engine.faults.Plan`), or None
        self.faults: faults.Plan | None = None
        #: when a list: every history event of every execution, in the order they happened (execution ARN, event)
        self.journal: list[tuple[str, dict[str, Any]]] | None = None
        #: what changes the parameters of each AWS call made while wired, before it is sent (operation
        #: "dynamodb:UpdateItem", parameters): `aslkit.testing.simulation.CallVariant` plants a bug with one
        self.request_changes: list[Callable[[str, dict[str, Any]], None]] = []
        self.held = 0

    @classmethod
    def for_workflow(
        cls,
        workflow: Workflow,
        *,
        root: Path | None = None,
        seed: int = 0,
        parameters: Mapping[str, str] | None = None,
        mocks: Mapping[str, Any] | None = None,
    ) -> Engine:
        """An engine with a Workflow spec's functions, placeholders filled, and its committed machines registered."""
        from aslkit.project import Project
        from aslkit.spec import machine_arn, powertools_environment

        engine = cls(mocks=mocks, seed=seed)
        values = {**workflow.local_parameters(), **(parameters or {})}
        for resource in workflow.resources():
            for placeholder, attribute in resource.placeholders().items():
                engine.substitutions[placeholder] = engine.resource_value(resource.kind, resource.name, attribute)
        for name, value in values.items():
            engine.substitutions[name] = str(value)
        for function in workflow.functions:
            environment = powertools_environment(workflow.name, local=True)
            environment.update({key: engine._fill(str(value)) for key, value in function.environment.items()})
            engine.add_function(Function(function.name, function.handler, environment, function.memory,
                                         function.timeout))  # fmt: skip
        for job in workflow.jobs:
            environment = {key: engine._fill(str(value)) for key, value in job.environment.items()}
            engine.jobs.add(Job.of(job.name, job, environment))
        folder = Project.load(root or Path.cwd()).statemachines_dir
        for machine in workflow.machines:
            engine.substitutions[machine_arn(machine).name] = engine.machine_arn(machine.name)
        for machine in workflow.machines:
            path = folder / f"{machine.name}.asl.json"
            definition: Definition = path if path.exists() else json.loads(machine.to_json(lint=False))
            engine.register(definition, name=machine.name, type=machine.type)
        return engine

    # -- definitions and functions ---------------------------------------------------------------------------------
    def add_function(self, function: Function) -> None:
        self.lambdas.add(function)
        self.substitutions.setdefault(f"{function.name}_function_arn", self.lambdas.arn(function.name))
        self.substitutions.setdefault(f"{function.name}_function_name", function.name)

    def machine_arn(self, name: str) -> str:
        return f"arn:aws:states:{self.region}:{self.account}:stateMachine:{name}"

    def resource_value(self, kind: str, name: str, attribute: str) -> str:
        """What a placeholder of a spec resource stands for here (names are the spec names)."""
        if attribute == "name":
            return name
        if attribute == "url":
            return f"https://sqs.{self.region}.amazonaws.com/{self.account}/{name}"
        service, path = {"function": ("lambda", f"function:{name}"), "table": ("dynamodb", f"table/{name}"),
                         "queue": ("sqs", name), "topic": ("sns", name), "bus": ("events", f"event-bus/{name}"),
                         "secret": ("secretsmanager", f"secret:{name}")}.get(kind, (kind, name))  # fmt: skip
        if kind == "bucket":
            return f"arn:aws:s3:::{name}"
        if kind == "job":
            return self.jobs.queue_arn(name) if attribute == "queue_arn" else self.jobs.definition_arn(name)
        return f"arn:aws:{service}:{self.region}:{self.account}:{path}"

    def register(self, definition: Definition | StateMachine, *, name: str | None = None,
                 type: str = "STANDARD", tags: Mapping[str, str] | None = None) -> str:  # fmt: skip
        """Register a definition as a state machine (for `start` by ARN and for child executions); its ARN."""
        document = self._document(definition)
        machine_name = name or getattr(definition, "name", None) or f"machine-{len(self.machines) + 1}"
        arn = self.machine_arn(machine_name)
        self.machines[arn] = (machine_name, type, document)
        self.tags[arn] = dict(tags or {})
        return arn

    def _document(self, definition: Definition | StateMachine) -> dict[str, Any]:
        if hasattr(definition, "to_json"):
            text = definition.to_json(lint=False)
        elif isinstance(definition, Path) or (isinstance(definition, str) and not definition.lstrip().startswith("{")):
            path = Path(definition)
            if not path.is_file():
                raise UserInputError(f"no such definition file: {path}")
            text = path.read_text(encoding="utf-8")
        elif isinstance(definition, str):
            text = definition
        else:
            text = json.dumps(definition)
        try:
            document = json.loads(self._fill(text))
        except ValueError as error:
            raise UserInputError(f"the definition is not valid JSON: {error}") from None
        if not isinstance(document, dict) or "States" not in document or "StartAt" not in document:
            raise UserInputError("the definition has no StartAt and States: is it an ASL document?")
        return document

    def _fill(self, text: str) -> str:
        for name, value in self.substitutions.items():
            text = text.replace("${" + name + "}", value)
        return text

    # -- executions ------------------------------------------------------------------------------------------------
    def start(self, definition: Definition | StateMachine, input: Any = None, *, name: str | None = None,
              test_case: str | None = None) -> str:  # fmt: skip
        """Start an execution (of a registered machine's ARN or name, or of a definition) and return its ARN."""
        arn = self._machine(definition)
        return self._start(arn, {} if input is None else input, name=name, test_case=test_case).arn

    def run(self, definition: Definition | StateMachine, input: Any = None, *, name: str | None = None,
            test_case: str | None = None, max_seconds: float = 366 * 86400.0) -> ExecutionResult:  # fmt: skip
        """Start an execution and run the clock until it ends. An execution that waits for something only the test
        can give (a task token) is returned RUNNING: complete it, then `wait()`."""
        return self.wait(self.start(definition, input, name=name, test_case=test_case), max_seconds=max_seconds)

    def wait(self, execution_arn: str, *, max_seconds: float = 366 * 86400.0) -> ExecutionResult:
        execution = self._execution(execution_arn)
        self.scheduler.run_until(lambda: execution.finished.done, max_seconds=max_seconds)
        return execution.result()

    def result(self, execution_arn: str) -> ExecutionResult:
        return self._execution(execution_arn).result()

    def advance(self, seconds: float) -> None:
        """Move the virtual clock forward, running whatever becomes due on the way."""
        self.scheduler.advance(seconds)

    def run_until_idle(self) -> None:
        self.scheduler.run_until_idle()

    @contextlib.contextmanager
    def hold(self) -> Iterator[None]:
        """What calls from outside the engine start in the block (executions, events, messages) waits, instead of
        running at once, until the block ends: then it all runs in the order the seed picks. Waiting calls
        (`run`, `wait`) still run the engine."""
        self.held += 1
        try:
            yield
        finally:
            self.held -= 1

    @property
    def now(self) -> float:
        return self.scheduler.now

    def stop_execution(self, execution_arn: str, *, error: str | None = None, cause: str | None = None) -> None:
        execution = self._execution(execution_arn)
        if execution.status != "RUNNING" or execution.task is None:
            return
        execution.stop_error, execution.stop_cause = error, cause
        self.scheduler.cancel(execution.task, ExecutionStopped("stopped"))
        self.scheduler.run_until_idle()

    def send_task_success(self, token: str, output: Any) -> None:
        self.tasks.complete(token, output=json.loads(json.dumps(output)))
        self.scheduler.run_until_idle()

    def send_task_failure(self, token: str, error: str, cause: str = "") -> None:
        self.tasks.complete(token, error=error, cause=cause)
        self.scheduler.run_until_idle()

    def send_task_heartbeat(self, token: str) -> None:
        self.tasks.heartbeat(token)

    def close(self) -> None:
        self.gateway.close()
        self.services.stop()

    # -- internals -------------------------------------------------------------------------------------------------
    def _machine(self, definition: Definition | StateMachine) -> str:
        if isinstance(definition, str) and definition in self.machines:
            return definition
        if isinstance(definition, str) and self.machine_arn(definition) in self.machines:
            return self.machine_arn(definition)
        return self.register(definition, name=f"adhoc-{len(self.machines) + 1}") if not hasattr(
            definition, "name") else self.register(definition)  # fmt: skip

    def _execution(self, arn: str) -> Execution:
        if arn not in self.executions:
            raise UserInputError(f"no execution {arn} in this engine")
        return self.executions[arn]

    def _start(self, machine_arn: str, input: Any, *, name: str | None = None, test_case: str | None = None,
               parent: Execution | None = None) -> Execution:  # fmt: skip
        machine_name, kind, document = self.machines[machine_arn]
        execution_name = name or str(self.scheduler.unique_id())
        section = "express" if kind == "EXPRESS" else "execution"
        arn = f"arn:aws:states:{self.region}:{self.account}:{section}:{machine_name}:{execution_name}"
        if arn in self.executions:
            raise StatesFailure("StepFunctions.ExecutionAlreadyExistsException",
                                f"Execution Already Exists: '{arn}'")  # fmt: skip
        if len(json.dumps(input).encode()) > MAX_PAYLOAD:
            raise StatesFailure("States.DataLimitExceeded", "The execution input exceeds 256 KiB")
        execution = Execution(self, arn, execution_name, machine_arn, machine_name, kind, document, input,
                              role_arn=f"arn:aws:iam::{self.account}:role/{machine_name}-role",
                              test_case=test_case, parent=parent)  # fmt: skip
        self.executions[arn] = execution
        execution.task = self.scheduler.spawn(Interpreter(execution).run(), arn)
        if "TimeoutSeconds" in document:
            task = execution.task
            timer = self.scheduler.at(self.scheduler.now + float(document["TimeoutSeconds"]),
                                      lambda: self.scheduler.cancel(task, ExecutionStopped("timeout")))  # fmt: skip
            execution.finished.subscribe(lambda: self.scheduler.cancel_timer(timer))  # ended in time
        return execution

    def start_child(self, parent: Execution, arguments: Any) -> Execution:
        """`states:startExecution` from a state: a registered machine by ARN, its input as JSON or text."""
        arguments = dict(arguments or {})
        machine = str(arguments.get("StateMachineArn", ""))
        if machine not in self.machines:
            raise StatesFailure("StepFunctions.StateMachineDoesNotExistException",
                                f"State Machine Does Not Exist: '{machine}'")  # fmt: skip
        child_input = arguments.get("Input", {})
        if isinstance(child_input, str):
            try:
                child_input = json.loads(child_input)
            except ValueError:
                raise StatesFailure("StepFunctions.InvalidExecutionInputException", "Input is not JSON") from None
        return self._start(machine, child_input, name=arguments.get("Name"), parent=parent,
                           test_case=parent.test_case)  # fmt: skip

    def start_map_child(self, parent: Execution, state: str, index: int, processor: dict[str, Any], item: Any,
                        kind: str, variables: Mapping[str, Any]) -> Execution:  # fmt: skip
        """A Distributed Map iteration: a child execution of the item processor, with its own history."""
        document = {key: value for key, value in processor.items() if key != "ProcessorConfig"}
        document.setdefault("QueryLanguage", parent.definition.get("QueryLanguage", "JSONPath"))
        name = f"{parent.machine_name}/{state}"
        arn = self.machine_arn(name)
        self.machines[arn] = (name, kind, document)  # the parent's processor as it is now (a machine updated since)
        return self._start(arn, item, name=f"{parent.name}-{index}", parent=parent, test_case=parent.test_case)


def _function_name(name_or_arn: str) -> str:
    parts = name_or_arn.split(":")
    return parts[6] if name_or_arn.startswith("arn:") and len(parts) > 6 else name_or_arn
