"""Start, find and stop a LocalStack host process (no Docker): `aslkit local up|down|status|logs`.

An endpoint given by `LOCALSTACK_ENDPOINT` or `AWS_ENDPOINT_URL` (a user's own LocalStack) is used as it is and
never stopped. Otherwise the launcher starts `python -m localstack.runtime.main` from the LocalStack venv built by
`aslkit local install`, on a free loopback port, in its own process group, logging to `.localstack/run/localstack.log`,
and records it in `.localstack/run/state.json` so later commands and test sessions find it.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from aslkit.errors import LocalStackError
from aslkit.local.installer import installed_python

READY_LINE = "Ready."
START_TIMEOUT_S = 60.0
#: LocalStack's graceful shutdown after a session with Lambda workers takes about 7 s, and host mode keeps all its
#: state in memory: after this long the group is killed (nothing is lost that a restart would not lose anyway)
STOP_TIMEOUT_S = 2.0


@dataclass
class Endpoint:
    """A LocalStack that answers at `url`. `pid` is set when this project started it (and may stop it)."""

    url: str
    pid: int | None = None
    log_path: str | None = None
    mock_config: str | None = None
    started_at: float | None = None

    @property
    def owned(self) -> bool:
        return self.pid is not None

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1].split("/")[0])


class Launcher:
    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.home = self.root / ".localstack"
        self.run_dir = self.home / "run"
        self.state_file = self.run_dir / "state.json"
        self.log_path = self.run_dir / "localstack.log"

    # -- finding ---------------------------------------------------------------------------------------------------
    def external(self) -> Endpoint | None:
        url = os.environ.get("LOCALSTACK_ENDPOINT") or os.environ.get("AWS_ENDPOINT_URL")
        return Endpoint(url.rstrip("/")) if url else None

    def status(self) -> Endpoint | None:
        """The LocalStack in use, if one answers: an external one, or the one this project started."""
        external = self.external()
        if external is not None:
            return external if is_healthy(external.url) else None
        if not self.state_file.exists():
            return None
        endpoint = Endpoint(**json.loads(self.state_file.read_text()))
        if endpoint.pid is not None and _alive(endpoint.pid) and is_healthy(endpoint.url):
            return endpoint
        self.state_file.unlink(missing_ok=True)
        return None

    # -- starting --------------------------------------------------------------------------------------------------
    def up(self) -> Endpoint:
        """Return the LocalStack in use, starting one if none answers."""
        current = self.status()
        if current is not None:
            return current
        external = self.external()
        if external is not None:
            raise LocalStackError(
                f"LocalStack at {external.url} (from LOCALSTACK_ENDPOINT/AWS_ENDPOINT_URL) does not answer: "
                "start it, or unset the variable to let aslkit start its own"
            )
        return self.start()

    def start(self) -> Endpoint:
        python = installed_python()
        if python is None:
            raise LocalStackError(
                "LocalStack is not installed for this version of aslkit",
                hint="run `aslkit local install` (it builds LocalStack's own venv with aslkit's plugins, once)",
            )
        self.run_dir.mkdir(parents=True, exist_ok=True)
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        mock_config = self.run_dir / "sfn_mock_config.json"
        mock_config.write_text("{}\n")
        env = {key: value for key, value in os.environ.items() if not key.startswith(("AWS_", "PYTHON"))}
        env.update(
            {
                "GATEWAY_LISTEN": f"127.0.0.1:{port}",
                "LOCALSTACK_HOST": f"localhost:{port}",
                "LOCALSTACK_VOLUME_DIR": str(self.run_dir / "volume"),
                "DISABLE_EVENTS": "1",
                "SKIP_SSL_CERT_DOWNLOAD": "1",
                "DNS_ADDRESS": "0",
                "SQS_ENDPOINT_STRATEGY": "path",
                # Services load on first use: Ready in about 1.4 s, and start plus a first deploy is faster
                # than with EAGER_SERVICE_LOADING (measured by benchmarks/bench_localstack.py).
                "LAMBDA_RUNTIME_EXECUTOR": "subprocess",
                "PROVIDER_OVERRIDE_DYNAMODB": "moto",
                "PROVIDER_OVERRIDE_DYNAMODBSTREAMS": "moto",
                "PROVIDER_OVERRIDE_OMICS": "aslkit",  # the HealthOmics stand-in (aslkit.standins.omics)
                "SFN_MOCK_CONFIG": str(mock_config),
                # Handlers run with the project's interpreter: powertools, jsonschema and tasks/ are there.
                "ASLKIT_LAMBDA_PYTHON": sys.executable,
                # An idle execution environment (a warm worker process, 60-100 MB) is reclaimed after a minute
                # instead of LocalStack's 10: a test session's or a demo's peak memory is what runs now.
                "LAMBDA_KEEPALIVE_MS": os.environ.get("LAMBDA_KEEPALIVE_MS", "60000"),
            }
        )
        started_at = time.time()
        with self.log_path.open("w") as log:
            process = subprocess.Popen(
                [str(python), "-m", "localstack.runtime.main"],
                cwd=self.run_dir,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        endpoint = Endpoint(url, process.pid, str(self.log_path), str(mock_config), started_at)
        self._wait_ready(process, endpoint)
        self.state_file.write_text(json.dumps(asdict(endpoint)) + "\n")
        return endpoint

    def _wait_ready(self, process: subprocess.Popen[bytes], endpoint: Endpoint) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise LocalStackError(
                    f"LocalStack exited with status {process.returncode} while starting. "
                    f"Last lines of {self.log_path}:\n{self.tail(30)}"
                )
            if READY_LINE in self.log_path.read_text(errors="replace"):
                return
            time.sleep(0.05)
        _stop_group(process.pid)
        raise LocalStackError(
            f"LocalStack did not become ready in {START_TIMEOUT_S:.0f} s. "
            f"Last lines of {self.log_path}:\n{self.tail(30)}"
        )

    # -- stopping --------------------------------------------------------------------------------------------------
    def down(self) -> bool:
        """Stop the LocalStack this project started; False if none was running. Never stops an external one."""
        if not self.state_file.exists():
            return False
        endpoint = Endpoint(**json.loads(self.state_file.read_text()))
        stopped = endpoint.pid is not None and _stop_group(endpoint.pid)
        self.state_file.unlink(missing_ok=True)
        return stopped

    def tail(self, lines: int = 40) -> str:
        if not self.log_path.exists():
            return "(no log yet)"
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def is_healthy(url: str, timeout: float = 2.0) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_localstack/health", timeout=timeout) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _stop_group(pid: int) -> bool:
    """SIGTERM the process group; once LocalStack itself has exited (or after STOP_TIMEOUT_S), SIGKILL what is left
    of the group (Lambda workers it did not wait for: LocalStack keeps no state to lose in host mode)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT_S
    while time.monotonic() < deadline:
        if not _group_alive(pid):
            return True
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)
        if not _alive(pid):
            break
        time.sleep(0.05)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)
    return True


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


@contextlib.contextmanager
def private_localstack(root: Path) -> Iterator[Endpoint]:
    """A LocalStack of its own (benchmarks): started from the installed LocalStack venv in a scratch home, so it
    never touches a running `aslkit local up` nor a user's endpoint, and stopped and removed afterwards."""
    for var in ("LOCALSTACK_ENDPOINT", "AWS_ENDPOINT_URL"):
        os.environ.pop(var, None)
    work = Path(tempfile.mkdtemp(prefix="aslkit-private-"))
    launcher = Launcher(work)
    try:
        yield launcher.start()
    finally:
        launcher.down()
        shutil.rmtree(work, ignore_errors=True)
