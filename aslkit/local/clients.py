"""boto3 clients bound to one LocalStack endpoint, with the test credentials LocalStack accepts."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from typing import Any

from botocore.config import Config

from aslkit.errors import LocalStackError, MissingExtra

ACCOUNT = "000000000000"
REGION = "us-east-1"


class AwsClients:
    """Lazily created clients: `clients.stepfunctions`, `clients.sfn_sync` (StartSyncExecution), `clients.s3` ..."""

    def __init__(self, endpoint_url: str, region: str = REGION) -> None:
        self.endpoint_url = endpoint_url.rstrip("/")
        self.region = region
        host = self.endpoint_url.split("://", 1)[-1]
        try:
            from localstack_client.session import Session
        except ImportError:
            raise MissingExtra("the LocalStack tier", "local", "localstack_client") from None
        self._session = Session(aws_access_key_id="test", aws_secret_access_key="test", region_name=region,
                                localstack_host=host)  # fmt: skip
        # LocalStack under a burst (hundreds of events in flight) can take seconds to accept a connection
        self._config = Config(retries={"max_attempts": 3, "mode": "standard"}, connect_timeout=15, read_timeout=70)
        self._clients: dict[tuple[str, tuple[tuple[str, Any], ...]], Any] = {}

    def client(self, service: str, **config: Any) -> Any:
        key = (service, tuple(sorted(config.items())))
        if key not in self._clients:
            self._clients[key] = self._make_client(service, config)
        return self._clients[key]

    def _make_client(self, service: str, config: dict[str, Any]) -> Any:
        merged = self._config.merge(Config(**config)) if config else self._config
        return self._session.client(service, config=merged)

    def __getattr__(self, service: str) -> Any:
        if service.startswith("_"):
            raise AttributeError(service)
        if service == "sfn_sync":
            # StartSyncExecution has a host prefix ("sync-") that LocalStack's loopback address cannot take.
            return self.client("stepfunctions", inject_host_prefix=False)
        return self.client(service)

    def arn(self, service: str, resource: str) -> str:
        return f"arn:aws:{service}:{self.region}:{ACCOUNT}:{resource}"

    def finished(self, execution_arn: str, timeout: float = 300.0) -> str:
        """Wait for an execution to end (what a stand-in's setup needs, such as a sample package); its status."""
        deadline = time.monotonic() + timeout
        while True:
            status = str(self.stepfunctions.describe_execution(executionArn=execution_arn)["status"])
            if status != "RUNNING" or time.monotonic() > deadline:
                return status
            time.sleep(0.2)

    def later(self, seconds: float, action: Callable[[], None]) -> None:
        """Run `action` after `seconds` (a fake external system's own timing): real time here, on a thread; the
        in-process tier's clients run it in the engine's virtual time."""
        threading.Timer(seconds, action).start()

    def seed_standin(self, service: str, document: Mapping[str, Any]) -> dict[str, Any]:
        """Give the stand-in of a service LocalStack lacks (`aslkit.standins`, served by aslkit's plugin) its data."""
        request = urllib.request.Request(f"{self.endpoint_url}/_aslkit/{service}/seed", method="POST",
                                         data=json.dumps(document).encode(),
                                         headers={"Content-Type": "application/json"})  # fmt: skip
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                counts: dict[str, Any] = json.loads(response.read())
                return counts
        except urllib.error.HTTPError as error:
            detail = error.read().decode(errors="replace")
            hint = ("seed it with a document the stand-in accepts" if error.code == 400 else
                    "use the LocalStack aslkit starts (`aslkit local up`): it serves aslkit's stand-ins")  # fmt: skip
            raise LocalStackError(f"could not seed the {service} stand-in at {self.endpoint_url}: HTTP "
                                  f"{error.code} {detail}", hint=hint) from None  # fmt: skip
