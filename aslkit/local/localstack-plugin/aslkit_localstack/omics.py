"""AWS HealthOmics served by aslkit's stand-in, which LocalStack lacks: selected with PROVIDER_OVERRIDE_OMICS=aslkit.

The stand-in is `aslkit.standins.omics`, copied into this package as `omics_standin.py` by `aslkit local install`
(the in-process tier serves the same class). Its data is seeded with `POST /_aslkit/omics/seed` (a seed document,
see the stand-in) and cleared by `POST /_aslkit/state/reset`. Step Functions reaches it through `aws-sdk:omics:*`:
its internal clients must not put the API's host prefix (`control-storage-`) before LocalStack's loopback host,
which `hooks.aslkit_sdk_without_host_prefix` sees to.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from localstack.aws.api import CommonServiceException, RequestContext
from localstack.services.plugins import Service, ServiceLifecycleHook, aws_provider

from aslkit_localstack.omics_standin import OPERATIONS, OmicsError, OmicsStandIn

STANDIN = OmicsStandIn()


class OmicsProvider(ServiceLifecycleHook):
    service = "omics"

    def on_after_state_reset(self) -> None:
        STANDIN.reset()


def _handler(operation: str) -> Callable[[RequestContext, dict[str, Any]], dict[str, Any]]:
    def serve(context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        try:
            return STANDIN.call(operation, dict(request))
        except OmicsError as error:
            raise CommonServiceException(error.code, error.message, status_code=error.status) from None

    return serve


def _dispatch_table(provider: object) -> dict[str, Any]:
    return {operation: _handler(operation) for operation in OPERATIONS}


@aws_provider(api="omics", name="aslkit")
def omics_aslkit() -> Service:
    return Service.for_provider(OmicsProvider(), dispatch_table_factory=_dispatch_table)
