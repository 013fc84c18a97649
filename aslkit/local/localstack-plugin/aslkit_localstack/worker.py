"""A Lambda execution environment for one Python handler, run by the project's interpreter (stdlib only).

Protocol: JSON lines. The worker answers `{"ready": true}` once the handler is imported, or `{"init_error": ...}`.
Then, per line `{"request_id", "arn", "payload", "deadline_ms", "trace_id"}` on stdin, it answers one line
`{"ok": bool, "payload"|"error", "logs", "duration_ms"}` on its protocol channel. Everything the handler prints
(stdout, stderr, logging, C extensions) goes to a log file that becomes the invocation's CloudWatch log.
Error payloads are shaped as AWS's Python runtime shapes them, so Retry/Catch on error names behave as on AWS.
"""

from __future__ import annotations

import contextlib
import decimal
import importlib
import json
import os
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any


class LambdaContext:
    """The context object handlers receive (the attributes Powertools and user code read)."""

    def __init__(self, request_id: str, arn: str, deadline_ms: int) -> None:
        self.aws_request_id = request_id
        self.invoked_function_arn = arn
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME", "")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME", "")
        self.identity = None
        self.client_context = None
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self) -> int:
        return max(0, self._deadline_ms - int(time.time() * 1000))


def _error(error_type: str, message: str, trace: list[str] | None = None) -> dict[str, Any]:
    return {"errorMessage": message, "errorType": error_type, "requestId": "", "stackTrace": trace or []}


def load_handler(spec: str) -> Any:
    """Import `module.function`, raising the `Runtime.*` errors AWS's Python runtime raises."""
    module_name, _, function_name = spec.rpartition(".")
    if not module_name or not function_name:
        raise RuntimeInitError(
            _error(
                "Runtime.MalformedHandlerName",
                f"Bad handler '{spec}': not enough values to unpack (expected 2, got 1)",
            )
        )
    try:
        module = importlib.import_module(module_name)
    except SyntaxError as error:
        raise RuntimeInitError(
            _error(
                "Runtime.UserCodeSyntaxError",
                f"Syntax error in module '{module_name}': {error}",
                traceback.format_exception_only(type(error), error),
            )
        ) from error
    except ImportError as error:
        raise RuntimeInitError(
            _error("Runtime.ImportModuleError", f"Unable to import module '{module_name}': {error}")
        ) from error
    except Exception as error:  # an exception raised while the module initialises
        raise RuntimeInitError(
            _error(type(error).__name__, str(error), traceback.format_tb(error.__traceback__))
        ) from error
    handler = getattr(module, function_name, None)
    if handler is None:
        raise RuntimeInitError(
            _error("Runtime.HandlerNotFound", f"Handler '{function_name}' missing on module '{module_name}'")
        )
    return handler


class RuntimeInitError(Exception):
    def __init__(self, payload: dict[str, Any]) -> None:
        super().__init__(payload["errorMessage"])
        self.payload = payload


def _json_default(value: Any) -> Any:
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


class LogCapture:
    """Points fds 1 and 2 at a file; `take()` returns what was written since the last call."""

    def __init__(self) -> None:
        fd, self.path = tempfile.mkstemp(prefix="aslkit-lambda-", suffix=".log")
        self.file = os.fdopen(fd, "w+b", buffering=0)
        os.dup2(fd, 1)
        os.dup2(fd, 2)

    def take(self) -> str:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):  # a handler may have replaced or closed a stream
                stream.flush()
        self.file.seek(0)
        text = self.file.read().decode("utf-8", errors="replace")
        self.file.seek(0)
        self.file.truncate()
        return text

    def close(self) -> None:
        self.file.close()
        Path(self.path).unlink(missing_ok=True)


def main() -> int:
    protocol = os.fdopen(os.dup(1), "w", buffering=1, encoding="utf-8")
    commands = sys.stdin
    code_dir = os.environ.get("ASLKIT_CODE_DIR", str(Path.cwd()))
    sys.path.insert(0, code_dir)
    os.chdir(code_dir)
    capture = LogCapture()

    def send(message: dict[str, Any]) -> None:
        protocol.write(json.dumps(message) + "\n")
        protocol.flush()

    try:
        handler = load_handler(os.environ.get("_HANDLER", ""))
    except RuntimeInitError as error:
        send({"init_error": error.payload, "logs": capture.take()})
        capture.close()
        return 1
    send({"ready": True, "log_path": capture.path, "logs": capture.take()})

    for line in commands:
        request = json.loads(line)
        request_id = request["request_id"]
        started = time.perf_counter()
        print(f"START RequestId: {request_id} Version: {os.environ.get('AWS_LAMBDA_FUNCTION_VERSION', '$LATEST')}")
        os.environ["_X_AMZN_TRACE_ID"] = request.get("trace_id") or ""
        context = LambdaContext(request_id, request["arn"], int(request["deadline_ms"]))
        try:
            event = json.loads(request["payload"]) if request["payload"] else {}
            result = handler(event, context)
            try:
                body = json.dumps(result, default=_json_default)
                reply: dict[str, Any] = {"ok": True, "payload": body}
            except (TypeError, ValueError) as error:
                reply = {"ok": False, "error": _error("Runtime.MarshalError", f"Unable to marshal response: {error}")}
        except Exception as error:
            trace = traceback.format_list(traceback.extract_tb(error.__traceback__)[1:])
            payload = _error(type(error).__name__, str(error), trace)
            print(f"[ERROR] {type(error).__name__}: {error}\nTraceback (most recent call last):\n{''.join(trace)}")
            reply = {"ok": False, "error": payload}
        if not reply["ok"]:
            reply["error"]["requestId"] = request_id
        duration_ms = (time.perf_counter() - started) * 1000
        print(f"END RequestId: {request_id}")
        print(
            f"REPORT RequestId: {request_id}\tDuration: {duration_ms:.2f} ms\t"
            f"Memory Size: {context.memory_limit_in_mb} MB"
        )
        reply["logs"] = capture.take()
        reply["duration_ms"] = round(duration_ms, 2)
        send(reply)
    capture.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
