"""The execution backends the test helpers talk to: `LocalStackBackend` (a LocalStack endpoint) and
`aslkit.testing.inprocess.InProcessBackend` (the engine on a virtual clock, moto for the services). Both reach
Step Functions and the services through boto3 clients (`ClientsBackend`); they differ in how they deploy, how they
wait (real time or virtual time) and how they take mocks. A test written against the protocol runs on either."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Protocol, TypeVar

from aslkit.asl.machine import StateMachine
from aslkit.local.clients import AwsClients
from aslkit.local.deployer import CodeMode, Deployment, LocalDeployer
from aslkit.runtime import express
from aslkit.runtime.results import TERMINAL, ExecutionResult, child_executions, from_history, read_history
from aslkit.spec import Workflow
from aslkit.testing.mocks import MockConfig

T = TypeVar("T")


class ExecutionTimeout(AssertionError):
    """An execution did not finish in the time a test allowed; the message says where it was."""


class ExecutionBackend(Protocol):
    name: str
    aws: AwsClients

    def deploy(self, workflow: Workflow, *, prefix: str = "", parameters: Mapping[str, str] | None = None,
               code: CodeMode = "hot-reload", statemachines_dir: Path | None = None,
               adopt: Mapping[str, str] | None = None) -> Deployment: ...  # fmt: skip

    def teardown(self, deployment: Deployment) -> None: ...

    def start(self, deployment: Deployment, machine: str | None = None, input: Any = None, *,
              name: str | None = None, test_case: str | None = None) -> str: ...  # fmt: skip

    def wait(self, execution_arn: str, timeout: float = 60.0) -> ExecutionResult: ...

    def run_sync(self, deployment: Deployment, machine: str, input: Any = None, *, name: str | None = None,
                 test_case: str | None = None) -> ExecutionResult: ...  # fmt: skip

    def result(self, execution_arn: str) -> ExecutionResult: ...

    def put_events(self, deployment: Deployment, entries: list[dict[str, Any]], *, bus: str | None = None) -> None: ...

    def executions(self, deployment: Deployment, machine: str) -> list[str]: ...

    def run_of(self, execution_arn: str) -> list[ExecutionResult]: ...

    def send_task_success(self, token: str, output: Any) -> None: ...

    def send_task_failure(self, token: str, error: str, cause: str = "") -> None: ...

    def write_mocks(self, mocks: MockConfig) -> None: ...

    def reset(self) -> None: ...

    def until(self, check: Callable[[], T], timeout: float) -> T: ...

    def pause(self, seconds: float) -> None: ...

    def clock(self) -> float: ...

    def cli_options(self) -> list[str]: ...

    def later(self, seconds: float, action: Callable[[], None]) -> None: ...

    def reseed(self, seed: int) -> None: ...


class ClientsBackend:
    """What both backends do the same way, through boto3 clients: start, list, results, events, callbacks."""

    name = "clients"

    def __init__(self, clients: AwsClients, root: Path) -> None:
        self.aws = clients
        self.root = root

    # -- executions ------------------------------------------------------------------------------------------------
    def start(
        self,
        deployment: Deployment,
        machine: str | StateMachine | None = None,
        input: Any = None,
        *,
        name: str | None = None,
        test_case: str | None = None,
    ) -> str:
        """Start an execution of `machine` (default: the workflow's first machine) and return its ARN."""
        machine_name = machine.name if isinstance(machine, StateMachine) else machine
        arn = deployment.machine_arn(machine_name or next(iter(deployment.machines)))
        if test_case:
            arn = f"{arn}#{test_case}"
        request: dict[str, Any] = {"stateMachineArn": arn, "input": json.dumps({} if input is None else input)}
        request["name"] = name or f"t-{uuid.uuid4().hex[:20]}"
        return str(self.aws.stepfunctions.start_execution(**request)["executionArn"])

    def result(self, execution_arn: str) -> ExecutionResult:
        if express.is_express(execution_arn):
            return self._express_result(execution_arn)
        return self._result(execution_arn, self.aws.stepfunctions.describe_execution(executionArn=execution_arn))

    def _result(self, arn: str, description: dict[str, Any]) -> ExecutionResult:
        return from_history(arn, description, self.history(arn))

    def _express_result(self, arn: str, description: dict[str, Any] | None = None,
                        group: str | None = None) -> ExecutionResult:  # fmt: skip
        """From the machine's log group (`group`, or looked up: EXPRESS keeps no history in Step Functions);
        `description`, if given, is StartSyncExecution's answer, which says how the run ended even before the log
        shows it."""
        logs = self.aws.logs
        logged = express.fetch_in(logs, group, arn) if group else express.fetch(self.aws.stepfunctions, logs, arn)
        if description is not None:
            return from_history(arn, description, logged.history if logged else [])
        return logged or from_history(arn, {"status": "RUNNING"}, [])

    def run_of(self, execution_arn: str) -> list[ExecutionResult]:
        """The execution and, depth first, every child it started with `states:startExecution` (its history names
        them). LocalStack keeps no executions of Distributed Map children: they are not in it there."""
        results = [self.result(execution_arn)]
        for arn in child_executions(results[0].history):
            results += self.run_of(arn)
        return results

    def history(self, execution_arn: str) -> list[dict[str, Any]]:
        if express.is_express(execution_arn):
            return self._express_result(execution_arn).history
        return read_history(self.aws.stepfunctions, execution_arn)

    def executions(self, deployment: Deployment, machine: str) -> list[str]:
        if deployment.machine_types.get(machine) == "EXPRESS":
            return express.executions(self.aws.stepfunctions, self.aws.logs, deployment.machine_arn(machine))
        paginator = self.aws.stepfunctions.get_paginator("list_executions")
        arns: list[str] = []
        for page in paginator.paginate(stateMachineArn=deployment.machine_arn(machine)):
            arns.extend(item["executionArn"] for item in page["executions"])
        return arns

    # -- events ----------------------------------------------------------------------------------------------------
    def put_events(self, deployment: Deployment, entries: list[dict[str, Any]], *, bus: str | None = None) -> None:
        """Put events on the deployment's bus (`bus` is the spec name; default: `Deployment.bus_for` the source)."""
        prepared = []
        for entry in entries:
            item = dict(entry)
            item.setdefault("EventBusName", deployment.buses[bus] if bus else deployment.bus_for(item["Source"]))
            if not isinstance(item.get("Detail"), str):
                item["Detail"] = json.dumps(item.get("Detail", {}))
            prepared.append(item)
        response = self.aws.events.put_events(Entries=prepared)
        if response.get("FailedEntryCount"):
            raise AssertionError(f"PutEvents rejected entries: {response['Entries']}")

    # -- callbacks -------------------------------------------------------------------------------------------------
    def send_task_success(self, token: str, output: Any) -> None:
        self.aws.stepfunctions.send_task_success(taskToken=token, output=json.dumps(output))

    def send_task_failure(self, token: str, error: str, cause: str = "") -> None:
        self.aws.stepfunctions.send_task_failure(taskToken=token, error=error, cause=cause)


class LocalStackBackend(ClientsBackend):
    """Runs workflows on a LocalStack endpoint (host mode or any running LocalStack), in real time."""

    name = "localstack"

    def __init__(self, clients: AwsClients, root: Path, mock_config: Path | None = None) -> None:
        super().__init__(clients, root)
        self.mock_config = mock_config
        #: polling starts at poll_interval and backs off to max_poll_interval: a short execution is seen at once,
        #: and a long wait does not keep LocalStack (the tier's busiest process) answering DescribeExecution
        self.poll_interval = 0.025
        self.max_poll_interval = 0.4

    # -- deployment ------------------------------------------------------------------------------------------------
    def deploy(
        self,
        workflow: Workflow,
        *,
        prefix: str = "",
        parameters: Mapping[str, str] | None = None,
        code: CodeMode = "hot-reload",
        statemachines_dir: Path | None = None,
        adopt: Mapping[str, str] | None = None,
    ) -> Deployment:
        deployer = LocalDeployer(self.aws, self.root, prefix=prefix, code=code, parameters=parameters,
                                 statemachines_dir=statemachines_dir, adopt=adopt)  # fmt: skip
        return deployer.deploy(workflow)

    def teardown(self, deployment: Deployment) -> None:
        LocalDeployer(self.aws, self.root, prefix=deployment.prefix).teardown(deployment)

    # -- executions and time -----------------------------------------------------------------------------------------
    def run_sync(
        self,
        deployment: Deployment,
        machine: str,
        input: Any = None,
        *,
        name: str | None = None,
        test_case: str | None = None,
    ) -> ExecutionResult:
        """Run an EXPRESS machine synchronously: its result, with the history read from its log group."""
        arn = deployment.machine_arn(machine) + (f"#{test_case}" if test_case else "")
        response = self.aws.sfn_sync.start_sync_execution(
            stateMachineArn=arn,
            input=json.dumps({} if input is None else input),
            name=name or f"t-{uuid.uuid4().hex[:20]}",
        )
        return self._express_result(response["executionArn"], response)

    def wait(self, execution_arn: str, timeout: float = 60.0) -> ExecutionResult:
        deadline = time.monotonic() + timeout
        sfn = self.aws.stepfunctions
        interval = self.poll_interval
        logged_only = express.is_express(execution_arn)  # its log group holds status and history in one read
        group = express.log_group_of(sfn, express.machine_of(execution_arn)) if logged_only else None
        while True:
            if logged_only:
                logged = self._express_result(execution_arn, group=group)
                status = logged.status
            else:
                description = sfn.describe_execution(executionArn=execution_arn)
                status = description["status"]
            ended, late = status in TERMINAL, time.monotonic() > deadline
            if ended or late:
                result = logged if logged_only else self._result(execution_arn, description)
                if ended:
                    return result
                raise ExecutionTimeout(
                    f"execution {execution_arn} still {status} after {timeout:.0f} s; "
                    f"states so far: {' -> '.join(result.states) or 'none'}"
                )
            time.sleep(interval)
            interval = min(self.max_poll_interval, interval * 1.5)

    def until(self, check: Callable[[], T], timeout: float) -> T:
        """Poll `check` until it returns something truthy or `timeout` seconds pass; its last value."""
        deadline = time.monotonic() + timeout
        value = check()
        interval = 0.05
        while not value and time.monotonic() < deadline:
            time.sleep(interval)
            interval = min(self.max_poll_interval, interval * 1.5)
            value = check()
        return value

    def pause(self, seconds: float) -> None:
        time.sleep(seconds)

    def clock(self) -> float:
        return time.monotonic()

    def cli_options(self) -> list[str]:
        """What points aslkit's commands (run in this process) at this tier: the endpoint."""
        return ["--endpoint-url", self.aws.endpoint_url]

    def later(self, seconds: float, action: Callable[[], None]) -> None:
        """Run `action` after `seconds` of real time, on a thread (what a fake external system does later)."""
        threading.Timer(seconds, action).start()

    def reseed(self, seed: int) -> None:
        """Nothing to do: LocalStack's interleavings are its own, and no seed chooses them."""

    # -- mocks and state -------------------------------------------------------------------------------------------
    def write_mocks(self, mocks: MockConfig) -> None:
        if self.mock_config is None:
            raise RuntimeError(
                "mocked integrations need the LocalStack aslkit starts (it sets SFN_MOCK_CONFIG); "
                "this one was found through LOCALSTACK_ENDPOINT/AWS_ENDPOINT_URL"
            )
        mocks.write(self.mock_config)

    def reset(self) -> None:
        """Clear every service's state (aslkit's plugin route); deployments must be made again afterwards."""
        import urllib.request

        request = urllib.request.Request(f"{self.aws.endpoint_url}/_aslkit/state/reset", method="POST")
        with urllib.request.urlopen(request, timeout=60) as response:
            response.read()
