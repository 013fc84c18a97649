"""Checks of the subprocess executor that need LocalStack's interpreter (run by asl_tests/unit/test_executor_checks.py).

    .localstack/venv/bin/python localstack/plugin/checks/check_executor.py HANDLER_PYTHON

Exits 0 when every check passes; prints what failed otherwise.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

os.environ["ASLKIT_LAMBDA_PYTHON"] = sys.argv[1] if len(sys.argv) > 1 else sys.executable

from aslkit_localstack.lambda_executor import SubprocessRuntimeExecutor


def function(code_dir: Path, handler: str, timeout: int = 3) -> SimpleNamespace:
    code = SimpleNamespace(get_unzipped_code_location=lambda: code_dir, is_hot_reloading=lambda: False)
    config = SimpleNamespace(code=code, handler=handler, timeout=timeout, runtime="python3.13")
    return SimpleNamespace(config=config, id=SimpleNamespace(function_name="check"))


def invoke(executor: SubprocessRuntimeExecutor, n: int) -> dict:
    result = executor.invoke({"invoke-id": f"req-{n}", "invoked-function-arn": "arn", "payload": json.dumps({"n": n})})
    return {"error": result.is_error, "payload": json.loads(result.payload)}


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        package = Path(tmp) / "chk"
        package.mkdir()
        (package / "__init__.py").write_text("")
        (package / "fn.py").write_text(
            "import os, time\n"
            "def handler(event, context):\n"
            "    if event.get('n') == -1:\n"
            "        time.sleep(10)\n"
            "    return {'n': event['n'], 'pid': os.getpid()}\n"
        )
        executor = SubprocessRuntimeExecutor("env-1", function(Path(tmp), "chk.fn.handler", timeout=1))  # type: ignore[arg-type]
        executor.start({"_HANDLER": "chk.fn.handler", "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST"})
        pids = set()
        started = time.monotonic()
        for n in range(25):  # replace the worker again and again: an old worker's end must not reach the new one
            executor._kill()
            outcome = invoke(executor, n)
            assert not outcome["error"] and outcome["payload"]["n"] == n, outcome
            pids.add(outcome["payload"]["pid"])
        assert len(pids) == 25, f"each replacement is a new worker: {len(pids)} pids"
        timed_out = invoke(executor, -1)
        assert timed_out["error"] and timed_out["payload"]["errorType"] == "Sandbox.Timedout", timed_out
        after = invoke(executor, 99)
        assert not after["error"] and after["payload"]["n"] == 99, after
        executor.stop()
        print(f"ok: 25 replacements and a timeout in {time.monotonic() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
