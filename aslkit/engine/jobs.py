"""Container jobs run in process: AWS Batch's SubmitJob, to a queue and job definition of a job the engine knows,
runs the job's command (`python -m <module> <arguments>`) here, with the definition's environment, `Ref::`
parameters filled from the request's `Parameters`, the request's container overrides, and the definition's attempts;
what it prints is its log (`Job.log`). The answer is what Batch gives: SubmitJob's response, and for `.sync` the
finished job as DescribeJobs describes it (a failed one fails the state with `States.TaskFailed`, as on AWS).

A job runs to its end at once: virtual time does not move while it runs (its wall-clock seconds are recorded).
"""

from __future__ import annotations

import contextlib
import json
import runpy
import sys
import time
import traceback
import uuid
import warnings
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aslkit.asl.errors import States
from aslkit.engine.failures import StatesFailure
from aslkit.engine.lambdas import FunctionLog, environment
from aslkit.names import name_of

if TYPE_CHECKING:
    from aslkit.resources import ContainerJob


@dataclass
class Job:
    """A container job the engine can run: its queue's and definition's names, its command and environment."""

    name: str
    command: Sequence[str]
    environment: Mapping[str, str] = field(default_factory=dict)
    vcpus: float = 1
    memory_mb: int = 2048
    timeout_s: int = 3600
    attempts: int = 1
    log: FunctionLog = field(default_factory=FunctionLog)

    @classmethod
    def of(cls, name: str, spec: ContainerJob, environment: Mapping[str, str]) -> Job:
        """The engine's job for a spec's `ContainerJob`, under its deployed `name`, with its environment filled."""
        return cls(name, spec.command, environment, spec.vcpus, spec.memory, spec.timeout, spec.attempts)


class Jobs:
    """The engine's AWS Batch: job queues and definitions by name or ARN (one of each per job), and the jobs run."""

    def __init__(self, region: str, account: str) -> None:
        self.region = region
        self.account = account
        self.jobs: dict[str, Job] = {}
        self.runs: list[dict[str, Any]] = []  # every finished job, as DescribeJobs describes it

    def add(self, job: Job) -> None:
        self.jobs[job.name] = job

    def queue_arn(self, name: str) -> str:
        return f"arn:aws:batch:{self.region}:{self.account}:job-queue/{name}"

    def definition_arn(self, name: str) -> str:
        return f"arn:aws:batch:{self.region}:{self.account}:job-definition/{name}:1"

    def find(self, queue: str, definition: str) -> Job | None:
        """The job whose queue and definition the request names (ARNs or names; a definition's revision is
        optional); None when neither is one the engine knows."""
        by_queue = self.jobs.get(name_of(queue))
        by_definition = self.jobs.get(name_of(definition).split(":")[0])
        if by_queue is None and by_definition is None:
            return None
        if by_definition is None:
            raise StatesFailure("Batch.ClientException", f"JobDefinition {definition} does not exist (the engine "
                                f"knows {', '.join(self.definition_arn(n) for n in self.jobs)})")  # fmt: skip
        return by_definition

    def submit(self, job: Job, request: Mapping[str, Any]) -> dict[str, Any]:
        """Run the job to its end (every attempt it is allowed); its description."""
        job_id = str(uuid.uuid4())
        parameters = {str(k): str(v) for k, v in dict(request.get("Parameters") or {}).items()}
        overrides = dict(request.get("ContainerOverrides") or {})
        command = [_filled(part, parameters) for part in overrides.get("Command") or job.command]
        values = {"AWS_REGION": self.region, "AWS_DEFAULT_REGION": self.region, **job.environment,
                  "AWS_BATCH_JOB_ID": job_id, "AWS_BATCH_JQ_NAME": job.name,
                  **{item["Name"]: item["Value"] for item in overrides.get("Environment") or []}}  # fmt: skip
        attempts: list[dict[str, Any]] = []
        created = time.time()
        for attempt in range(int(dict(request.get("RetryStrategy") or {}).get("Attempts", job.attempts))):
            values["AWS_BATCH_JOB_ATTEMPT"] = str(attempt + 1)
            started = time.time()
            code, reason = self._run(job, command, values)
            attempts.append({"Container": {"ExitCode": code, "LogStreamName": f"{job.name}/default/{job_id}"},
                             "StartedAt": int(started * 1000), "StoppedAt": int(time.time() * 1000),
                             "StatusReason": reason})  # fmt: skip
            if code == 0:
                break
        last = attempts[-1]
        description = {
            "JobArn": f"arn:aws:batch:{self.region}:{self.account}:job/{job_id}",
            "JobId": job_id,
            "JobName": str(request.get("JobName", "")),
            "JobQueue": self.queue_arn(job.name),
            "JobDefinition": self.definition_arn(job.name),
            "Status": "SUCCEEDED" if last["Container"]["ExitCode"] == 0 else "FAILED",
            "StatusReason": last["StatusReason"],
            "Attempts": attempts,
            "CreatedAt": int(created * 1000),
            "StartedAt": last["StartedAt"],
            "StoppedAt": last["StoppedAt"],
            "Parameters": parameters,
            "Container": {
                "Command": command,
                "ExitCode": last["Container"]["ExitCode"],
                "Vcpus": job.vcpus,
                "Memory": job.memory_mb,
                "LogStreamName": last["Container"]["LogStreamName"],
            },
            "PlatformCapabilities": ["FARGATE"],
        }
        self.runs.append(description)
        return description

    def _run(self, job: Job, command: list[str], values: Mapping[str, str]) -> tuple[int, str]:
        """One attempt: the exit code and Batch's reason."""
        if command[:2] != ["python", "-m"] or len(command) < 3:
            return 127, f"CannotStartContainerError: the engine runs `python -m <module> ...`, not {command!r}"
        started = time.perf_counter()
        with environment(values), _output(job.log), _argv(command[2:]), warnings.catch_warnings():
            # the module may be imported already (by a test, or the Lambda that shares its code): run it afresh
            warnings.simplefilter("ignore", RuntimeWarning)
            try:
                runpy.run_module(command[2], run_name="__main__", alter_sys=True)
                code = 0
            except SystemExit as stop:
                code = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
                if isinstance(stop.code, str):
                    print(stop.code, file=sys.stderr)
            except Exception:  # the container's process dies of it: its traceback is in the job's log
                traceback.print_exc(file=sys.stderr)
                code = 1
        if time.perf_counter() - started > job.timeout_s:
            return 137, f"Job attempt duration exceeded timeout ({job.timeout_s} s)"
        return code, "Essential container in task exited"


def sync_result(description: dict[str, Any]) -> dict[str, Any]:
    """`.sync`: the finished job, or the state's failure as Step Functions reports a failed job."""
    if description["Status"] != "SUCCEEDED":
        raise StatesFailure(States.TASK_FAILED, json.dumps(description))
    return description


def submitted(description: Mapping[str, Any]) -> dict[str, Any]:
    """SubmitJob's own response."""
    return {key: description[key] for key in ("JobArn", "JobId", "JobName")}


def _filled(part: str, parameters: Mapping[str, str]) -> str:
    """Batch's parameter substitution: an argument `Ref::name` is the parameter's value (left as is without one)."""
    return parameters.get(part[5:], part) if part.startswith("Ref::") else part


@contextlib.contextmanager
def _output(log: FunctionLog) -> Iterator[None]:
    with contextlib.redirect_stdout(log), contextlib.redirect_stderr(log):
        yield


@contextlib.contextmanager
def _argv(module_and_arguments: list[str]) -> Iterator[None]:
    saved = sys.argv
    sys.argv = list(module_and_arguments)
    try:
        yield
    finally:
        sys.argv = saved
