"""A LocalStack Lambda runtime executor that runs Python handlers in host worker processes (no Docker).

One worker process per execution environment, kept warm between invocations as on AWS (module globals survive).
The worker runs under the project's interpreter (`ASLKIT_LAMBDA_PYTHON`), so handlers see the project's
dependencies and `tasks/` code. Errors are reported with AWS's payloads (`Sandbox.Timedout`, `Runtime.ExitError`,
`Runtime.ImportModuleError` ...), so Retry/Catch on error names behave as on AWS.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections import OrderedDict
from pathlib import Path
from typing import Any

from localstack import config
from localstack.services.lambda_.invocation.executor_endpoint import StatusErrorException
from localstack.services.lambda_.invocation.lambda_models import FunctionVersion, InvocationResult
from localstack.services.lambda_.invocation.plugins import RuntimeExecutorPlugin
from localstack.services.lambda_.invocation.runtime_executor import LambdaRuntimeException, RuntimeExecutor

LOG = logging.getLogger(__name__)
WORKER = Path(__file__).with_name("worker.py")
STARTUP_TIMEOUT_S = 30.0
#: Environment passed through from LocalStack's own process to handler workers.
PASSTHROUGH = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "TZ")


#: Worker processes alive at most: starting one more stops the least recently used idle one, as AWS reclaims idle
#: execution environments (its next invocation is a cold start). Bounds a session's memory (60-100 MB a worker).
MAX_WARM_WORKERS = int(os.environ.get("ASLKIT_MAX_WARM_WORKERS", "24"))
_WARM: OrderedDict[int, SubprocessRuntimeExecutor] = OrderedDict()
_WARM_LOCK = threading.Lock()


def _used(executor: SubprocessRuntimeExecutor) -> None:
    """`executor`'s worker was just used: it becomes the most recent; the oldest idle ones beyond the cap stop."""
    with _WARM_LOCK:
        _WARM[id(executor)] = executor
        _WARM.move_to_end(id(executor))
        excess = len(_WARM) - MAX_WARM_WORKERS
        oldest = [other for other in _WARM.values() if other is not executor]
    for other in oldest:
        if excess <= 0:
            return
        if other.lock.acquire(blocking=False):  # idle: not serving an invocation now
            try:
                other._kill()
            finally:
                other.lock.release()
            excess -= 1


def handler_python() -> str:
    return os.environ.get("ASLKIT_LAMBDA_PYTHON") or sys.executable


class SubprocessRuntimeExecutor(RuntimeExecutor):
    def __init__(self, id: str, function_version: FunctionVersion) -> None:
        super().__init__(id, function_version)
        self.env: dict[str, str] = {}
        self.process: subprocess.Popen[str] | None = None
        self.replies: queue.Queue[str | None] = queue.Queue()
        self.log_path: str | None = None
        self.startup_logs: list[str] = []
        self.source_stamp = 0.0
        self.lock = threading.Lock()

    # -- lifecycle -------------------------------------------------------------------------------------------------
    def start(self, env_vars: dict[str, str]) -> None:
        code_dir = str(self.function_version.config.code.get_unzipped_code_location())
        self.env = {key: os.environ[key] for key in PASSTHROUGH if key in os.environ}
        self.env.update({key: str(value) for key, value in env_vars.items()})
        self.env.update(
            {
                "ASLKIT_CODE_DIR": code_dir,
                "LAMBDA_TASK_ROOT": code_dir,
                "PYTHONPATH": code_dir,
                "PYTHONUNBUFFERED": "1",
                "PYTHONDONTWRITEBYTECODE": "1",
            }
        )
        error = self._spawn()
        if error is not None:
            self.stop()
            raise StatusErrorException(error["errorMessage"], json.dumps(error).encode())

    def _spawn(self) -> dict[str, Any] | None:
        """Start a worker and wait for its handler import; returns the init error payload, if any.

        Each worker has its own reply queue, handed to its reader thread: the end-of-stream marker of a worker
        being replaced must never reach the queue of the one replacing it."""
        replies: queue.Queue[str | None] = queue.Queue()
        self.replies = replies
        self.source_stamp = self._source_mtime()
        self.process = subprocess.Popen(
            [handler_python(), str(WORKER)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=self.env,
            cwd=self.env["ASLKIT_CODE_DIR"],
            start_new_session=True,
        )
        threading.Thread(target=self._read_replies, args=(self.process, replies), daemon=True).start()
        threading.Thread(target=self._read_stderr, args=(self.process,), daemon=True).start()
        try:
            line = replies.get(timeout=STARTUP_TIMEOUT_S)
        except queue.Empty:
            self._kill()
            return {"errorType": "Runtime.Unknown", "errorMessage": "the handler worker did not start in time",
                    "requestId": "", "stackTrace": []}  # fmt: skip
        if line is None:
            code = _exit_code(self.process)
            return {
                "errorType": "Runtime.ExitError",
                "errorMessage": f"RequestId: Error: Runtime exited with error: exit status {code}. "
                f"Worker output: {''.join(self.startup_logs)[-2000:]}",
                "requestId": "",
                "stackTrace": [],
            }
        message = json.loads(line)
        if "init_error" in message:
            self.startup_logs.append(message.get("logs", ""))
            self._kill()
            return dict(message["init_error"])
        self.log_path = message.get("log_path")
        _used(self)
        return None

    @staticmethod
    def _read_replies(process: subprocess.Popen[str], replies: queue.Queue[str | None]) -> None:
        assert process.stdout is not None
        for line in process.stdout:
            replies.put(line)
        replies.put(None)

    def _read_stderr(self, process: subprocess.Popen[str]) -> None:
        assert process.stderr is not None
        for line in process.stderr:
            self.startup_logs.append(line)
            del self.startup_logs[:-200]

    def stop(self) -> None:
        self._kill()

    def _kill(self) -> str:
        """Stop the worker (its whole process group) and return what it had logged since its last reply."""
        with _WARM_LOCK:
            _WARM.pop(id(self), None)
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)
        return self._orphan_logs()

    # -- invocation ------------------------------------------------------------------------------------------------
    def invoke(self, payload: dict[str, str]) -> InvocationResult:
        request_id = payload["invoke-id"]
        with self.lock:
            if self.process is None or self.process.poll() is not None or self._sources_changed():
                self._kill()
                error = self._spawn()
                if error is not None:
                    error["requestId"] = request_id
                    return self._result(request_id, error, True, "".join(self.startup_logs[-50:]))
            else:
                with _WARM_LOCK:
                    if id(self) in _WARM:
                        _WARM.move_to_end(id(self))
            assert self.process is not None and self.process.stdin is not None
            timeout = float(self.function_version.config.timeout)
            request = {
                "request_id": request_id,
                "arn": payload.get("invoked-function-arn", ""),
                "payload": payload.get("payload", ""),
                "trace_id": payload.get("trace-id", ""),
                "deadline_ms": int((time.time() + timeout) * 1000),
            }
            try:
                self.process.stdin.write(json.dumps(request) + "\n")
                self.process.stdin.flush()
                line = self.replies.get(timeout=timeout)
            except queue.Empty:
                logs = self._kill()
                message = f"RequestId: {request_id} Error: Task timed out after {timeout:.2f} seconds"
                error = {"errorType": "Sandbox.Timedout", "errorMessage": message}
                return self._result(request_id, error, True, f"{logs}{message}\n")
            except BrokenPipeError:
                line = None
            if line is None:
                code = _exit_code(self.process) if self.process else -1
                logs = self._kill()
                message = f"RequestId: {request_id} Error: Runtime exited with error: exit status {code}"
                error = {"errorType": "Runtime.ExitError", "errorMessage": message}
                return self._result(request_id, error, True, f"{logs}{message}\n")
            reply = json.loads(line)
        if reply["ok"]:
            return InvocationResult(request_id, reply["payload"].encode(), False, reply.get("logs", ""))
        return self._result(request_id, reply["error"], True, reply.get("logs", ""))

    @staticmethod
    def _result(request_id: str, body: dict[str, Any], is_error: bool, logs: str) -> InvocationResult:
        return InvocationResult(request_id, json.dumps(body).encode(), is_error, logs)

    def _orphan_logs(self) -> str:
        """What a killed or crashed worker had written during the invocation."""
        path, self.log_path = self.log_path, None
        if not path:
            return ""
        try:
            text = Path(path).read_text(errors="replace")
            Path(path).unlink(missing_ok=True)
            return text
        except OSError:
            return ""

    # -- hot reload ------------------------------------------------------------------------------------------------
    def _package_dir(self) -> Path | None:
        code = self.function_version.config.code
        if not code.is_hot_reloading():
            return None
        handler = self.function_version.config.handler or ""
        top = handler.split(".", 1)[0]
        return Path(code.get_unzipped_code_location()) / top

    def _source_mtime(self) -> float:
        directory = self._package_dir()
        if directory is None:
            return 0.0
        if directory.is_file() or not directory.exists():
            candidate = directory.with_suffix(".py")
            return candidate.stat().st_mtime if candidate.exists() else 0.0
        latest = 0.0
        for root, dirs, files in os.walk(directory):
            dirs[:] = [d for d in dirs if d != "__pycache__"]
            for name in files:
                if name.endswith(".py"):
                    latest = max(latest, (Path(root) / name).stat().st_mtime)
        return latest

    def _sources_changed(self) -> bool:
        return self._package_dir() is not None and self._source_mtime() != self.source_stamp

    # -- addresses -------------------------------------------------------------------------------------------------
    def get_address(self) -> str:
        return "127.0.0.1"

    def get_endpoint_from_executor(self) -> str:
        return "127.0.0.1"

    def get_runtime_endpoint(self) -> str:
        return f"http://127.0.0.1:{config.GATEWAY_LISTEN[0].port}/_localstack_lambda/{self.id}"

    def get_logs(self) -> str:
        return "".join(self.startup_logs)

    # -- versions --------------------------------------------------------------------------------------------------
    @classmethod
    def prepare_version(cls, function_version: FunctionVersion) -> None:
        runtime = function_version.config.runtime or ""
        if not runtime.startswith("python"):
            raise LambdaRuntimeException(
                f"aslkit's subprocess Lambda executor runs Python handlers only; function "
                f"{function_version.id.function_name} uses runtime {runtime or 'none (container image)'}"
            )
        if function_version.config.code:
            function_version.config.code.prepare_for_execution()

    @classmethod
    def cleanup_version(cls, function_version: FunctionVersion) -> None:
        return None

    @classmethod
    def validate_environment(cls) -> bool:
        return True


def _exit_code(process: subprocess.Popen[str]) -> int | str:
    """The exit status of a worker whose output ended; it is never waited for without bound."""
    try:
        return process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        return "unknown (its output closed while it kept running)"


class SubprocessRuntimeExecutorPlugin(RuntimeExecutorPlugin):
    name = "subprocess"

    def load(self, *args: Any, **kwargs: Any) -> type[RuntimeExecutor]:
        return SubprocessRuntimeExecutor
