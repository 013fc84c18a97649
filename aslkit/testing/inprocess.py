"""The in-process tier: the engine on a virtual clock, moto for every service, in the test's own process.

`InProcessBackend` deploys a Workflow spec as the local deployer deploys it to LocalStack (the same code creates
the tables, buckets, queues, topics, buses, rules and secrets, here in moto), but registers the state machines and
the functions with the engine, wires the engine into moto (`aslkit.engine.wiring`) so rules, schedules and queue
triggers deliver to it, and waits in virtual time: a Wait state of an hour, a retry backoff or a visibility timeout
costs nothing.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

from aslkit.engine import Engine
from aslkit.engine.delivery import QueueTrigger
from aslkit.engine.gateway import Route
from aslkit.engine.jobs import Job as EngineJob
from aslkit.engine.lambdas import Function as EngineFunction
from aslkit.engine.wiring import LOCK, wired
from aslkit.events.rules import Schedule
from aslkit.local.clients import AwsClients
from aslkit.local.deployer import CodeMode, Deployment, LocalDeployer
from aslkit.resources import Api, ContainerJob, Function
from aslkit.runtime.results import ExecutionResult
from aslkit.spec import Workflow
from aslkit.testing.backend import ClientsBackend, ExecutionTimeout
from aslkit.testing.mocks import MockConfig

T = TypeVar("T")
ACCOUNT = "123456789012"  # moto's account, and the engine's


class MotoClients(AwsClients):
    """boto3 clients that moto answers in process (and `engine`, wired into moto, for Step Functions); the engine's
    virtual clock and stand-ins serve what a workflow's local stand-ins ask of the clients."""

    def __init__(self, engine: Engine) -> None:
        self.endpoint_url = "https://s3.amazonaws.com"  # where site URLs point (path-style S3)
        self.region = engine.region
        self.engine = engine
        self._clients = {}

    def _make_client(self, service: str, config: dict[str, Any]) -> Any:
        import boto3
        from botocore.config import Config

        return boto3.client(service, region_name=self.region, aws_access_key_id="testing",
                            aws_secret_access_key="testing", config=Config(**config) if config else None)  # fmt: skip

    def arn(self, service: str, resource: str) -> str:
        return f"arn:aws:{service}:{self.region}:{ACCOUNT}:{resource}"

    def finished(self, execution_arn: str, timeout: float = 300.0) -> str:
        """The execution run to its end in the engine's virtual time; its status."""
        return self.engine.wait(execution_arn).status

    def later(self, seconds: float, action: Callable[[], None]) -> None:
        """Run `action` after `seconds` of virtual time. A fake external system's thread may call this while the
        engine waits for its answer (the caller holds the engine, blocked on that thread), so it takes no lock."""
        self.engine.scheduler.at(self.engine.now + seconds, action)

    def seed_standin(self, service: str, document: Mapping[str, Any]) -> dict[str, Any]:
        """The engine's stand-in of the service (`aslkit.standins`) gets the data."""
        counts: dict[str, Any] = getattr(self.engine.services, service).seed(document)
        return counts


class InProcessDeployer(LocalDeployer):
    """The local deployer's resources in moto; machines, functions, queue triggers and schedules in the engine."""

    def __init__(self, clients: AwsClients, root: Path, engine: Engine, **options: Any) -> None:
        super().__init__(clients, root, **options)
        self.engine = engine

    def _deploy_function(self, workflow: Workflow, function: Function, out: Deployment) -> None:
        name = self.physical(function.name)
        self.engine.add_function(EngineFunction(name, function.handler, self._environment(workflow, function, out),
                                                function.memory, function.timeout))  # fmt: skip
        out.functions[function.name] = name
        self._fill(out, function, {"arn": self.engine.lambdas.arn(name), "name": name})
        if function.queue_trigger:
            queue = next(q for q in workflow.queues if q.name == function.queue_trigger)
            physical = self.naming.queue(queue.name, fifo=queue.fifo)
            triggers = self.engine.delivery.triggers.get(physical, [])
            if not any(trigger.function == name for trigger in triggers):
                self.engine.delivery.add_trigger(QueueTrigger(physical, name, function.batch_size,
                                                              queue.visibility_timeout))  # fmt: skip

    def _deploy_job(self, workflow: Workflow, job: ContainerJob, out: Deployment) -> None:
        """Run by the engine, in process, when a definition submits it (`aslkit.engine.jobs`)."""
        name = self.naming.own(job.name)
        self.engine.jobs.add(EngineJob.of(name, job, self._environment(workflow, job, out)))
        out.jobs[job.name] = self.engine.jobs.definition_arn(name)
        self._fill(out, job, {"queue_arn": self.engine.jobs.queue_arn(name), "definition_arn": out.jobs[job.name]})

    def _deploy_api(self, workflow: Workflow, api: Api, out: Deployment) -> None:
        """Served by the engine's gateway on a loopback port (`aslkit.engine.gateway`)."""
        name = self.physical(api.name)
        api_id = hashlib.sha256(name.encode()).hexdigest()[:10]
        routes = [Route(r.method, r.path, self.physical(r.function)) for r in api.routes]
        url = self.engine.gateway.add(api_id, api.stage, routes, api.auth)
        out.apis[api.name] = url
        self._fill(out, api, {"url": url, "id": api_id})

    def _deploy_machine(self, workflow: Workflow, name: str, machine_type: str, out: Deployment) -> None:
        self.engine.register(self._definition(name, out), name=self.physical(name), type=machine_type,
                             tags=self.tags(workflow, name))  # fmt: skip

    def _deploy_schedule(self, workflow: Workflow, schedule: Schedule, out: Deployment) -> None:
        super()._deploy_schedule(workflow, schedule, out)
        name = self.physical(schedule.name)
        target = {"Arn": self._target(workflow, schedule.target, out)["Arn"], "Input": json.dumps(schedule.input)}
        if name not in self.engine.delivery.schedules:
            self.engine.delivery.schedule(name, schedule.expression, target)

    def teardown(self, deployment: Deployment) -> None:
        for arn in deployment.machines.values():
            self.engine.machines.pop(arn, None)
        for name in deployment.functions.values():
            self.engine.lambdas.functions.pop(name, None)
        for spec_name in deployment.jobs:
            self.engine.jobs.jobs.pop(self.naming.own(spec_name), None)
        for queue in list(self.engine.delivery.triggers):
            if queue in {url.rsplit("/", 1)[1] for url in deployment.queues.values()}:
                self.engine.delivery.triggers.pop(queue)
        super().teardown(deployment)


class InProcessBackend(ClientsBackend):
    """Runs workflows in this process on the engine, in virtual time; `aws` are moto's clients."""

    name = "inprocess"

    def __init__(self, root: Path, seed: int = 0) -> None:
        # the clock starts at the wall clock's second, so the handlers' own `time.time()` agrees with it at first
        self.engine = Engine(seed=seed, account=ACCOUNT, start=float(int(time.time())))
        self._wiring = wired(self.engine)
        self._wiring.__enter__()
        super().__init__(MotoClients(self.engine), root)

    def close(self) -> None:
        self._wiring.__exit__(None, None, None)
        self.engine.close()

    # -- deployment ------------------------------------------------------------------------------------------------
    def deploy(self, workflow: Workflow, *, prefix: str = "", parameters: Mapping[str, str] | None = None,
               code: CodeMode = "hot-reload", statemachines_dir: Path | None = None,
               adopt: Mapping[str, str] | None = None) -> Deployment:  # fmt: skip
        deployer = InProcessDeployer(self.aws, self.root, self.engine, prefix=prefix, parameters=parameters,
                                     statemachines_dir=statemachines_dir, adopt=adopt)  # fmt: skip
        return deployer.deploy(workflow)

    def teardown(self, deployment: Deployment) -> None:
        InProcessDeployer(self.aws, self.root, self.engine, prefix=deployment.prefix).teardown(deployment)

    # -- executions and time ---------------------------------------------------------------------------------------
    def run_sync(self, deployment: Deployment, machine: str, input: Any = None, *, name: str | None = None,
                 test_case: str | None = None) -> ExecutionResult:  # fmt: skip
        """EXPRESS machines run to their end, with their whole history (the engine keeps one for every type)."""
        return self.wait(self.start(deployment, machine, input, name=name, test_case=test_case))

    def wait(self, execution_arn: str, timeout: float = 60.0) -> ExecutionResult:
        with LOCK:
            result = self.engine.wait(execution_arn)
        if result.status == "RUNNING":
            raise ExecutionTimeout(
                f"execution {execution_arn} is still RUNNING with nothing left to happen in virtual time: it waits "
                f"for something only the test can give (a task token?); states so far: "
                f"{' -> '.join(result.states) or 'none'}"
            )
        return result

    def result(self, execution_arn: str) -> ExecutionResult:
        with LOCK:
            return self.engine.result(execution_arn)

    def run_of(self, execution_arn: str) -> list[ExecutionResult]:
        """The execution and every execution it led to (`.sync` children, Distributed Map children, theirs), in
        the order they started: the engine knows each one's parent."""
        with LOCK:
            executions = list(self.engine.executions.values())

            def descends(execution: Any) -> bool:
                while execution is not None:
                    if execution.arn == execution_arn:
                        return True
                    execution = execution.parent
                return False

            return [self.engine.result(e.arn) for e in executions if descends(e)]

    def executions(self, deployment: Deployment, machine: str) -> list[str]:
        """Every execution of the machine, EXPRESS ones included (the engine keeps them all)."""
        arn = deployment.machine_arn(machine)
        with LOCK:
            return [execution.arn for execution in self.engine.executions.values() if execution.machine_arn == arn]

    def until(self, check: Callable[[], T], timeout: float) -> T:
        """Run the virtual clock, timer after timer, until `check` returns something truthy (or nothing is left to
        happen within `timeout` virtual seconds); its last value."""
        scheduler = self.engine.scheduler
        with LOCK:  # held while the engine runs, not while `check` runs (it may call an API the engine serves)
            limit = scheduler.now + timeout
            scheduler.run_until_idle()
        value = check()
        while not value:
            with LOCK:
                if not scheduler.step_to_next(limit):
                    return value
            value = check()
        return value

    def pause(self, seconds: float) -> None:
        with LOCK:
            self.engine.advance(seconds)

    def clock(self) -> float:
        return self.engine.now

    def reseed(self, seed: int) -> None:
        """Draw the scheduler's choices from `seed` from now on (the plugin reseeds per test from its id, so a test's
        interleavings do not depend on which tests ran before it in the session)."""
        self.engine.scheduler.reseed(seed)

    def later(self, seconds: float, action: Callable[[], None]) -> None:
        """After `seconds` of virtual time (`MotoClients.later`)."""
        self.aws.later(seconds, action)

    def cli_options(self) -> list[str]:
        """What points aslkit's commands (run in this process) at this tier: AWS's own endpoints, which moto and the
        wired engine answer here."""
        return ["--region", self.engine.region]

    # -- mocks and state -------------------------------------------------------------------------------------------
    def write_mocks(self, mocks: MockConfig) -> None:
        self.engine.mocks = mocks.render()

    def reset(self) -> None:
        """Forget every execution and every service's state; deployments must be made again afterwards."""
        from moto.moto_api._internal.models import moto_api_backend

        moto_api_backend.reset()
        self.engine.executions.clear()
        self.engine.machines.clear()
        self.engine.delivery.triggers.clear()
        self.engine.delivery.schedules.clear()
