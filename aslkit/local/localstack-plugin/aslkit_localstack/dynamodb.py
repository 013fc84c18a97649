"""DynamoDB and DynamoDB Streams served by the moto fork LocalStack ships (no Java, no DynamoDB Local download).

Selected with `PROVIDER_OVERRIDE_DYNAMODB=moto` and `PROVIDER_OVERRIDE_DYNAMODBSTREAMS=moto`. Every operation falls
through to moto, which implements the API in Python; tables are ACTIVE at once.

moto's operations read, modify and write items without locking, so two concurrent `UpdateItem ADD` calls on one item
can lose one of the increments, and two conditional writes can both succeed. DynamoDB makes every single-item write
atomic; here every operation of both services runs under one lock, which gives the same guarantee (measured: 20
concurrent increments of one counter lost 2 without it, none with it).
"""

from __future__ import annotations

import threading
from typing import Any

from localstack.aws.api.dynamodb import DynamodbApi
from localstack.aws.api.dynamodbstreams import DynamodbstreamsApi
from localstack.services.plugins import Service, ServiceLifecycleHook, aws_provider


class MotoDynamoDBProvider(DynamodbApi, ServiceLifecycleHook):
    """All of DynamoDB from moto."""


class MotoDynamoDBStreamsProvider(DynamodbstreamsApi, ServiceLifecycleHook):
    """All of DynamoDB Streams from moto (it reads the streams of moto's tables)."""


_LOCK = threading.RLock()


class _Serialised:
    """A dispatch-table handler that runs under the shared lock (and otherwise looks like the handler)."""

    def __init__(self, handler: Any) -> None:
        self._handler = handler

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        with _LOCK:
            return self._handler(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._handler, name)


def serialised_moto_dispatcher(provider: object) -> Any:
    from localstack.services.moto import MotoFallbackDispatcher

    table = MotoFallbackDispatcher(provider)
    return {operation: _Serialised(handler) for operation, handler in table.items()}


@aws_provider(api="dynamodb", name="moto")
def dynamodb_moto() -> Service:
    return Service.for_provider(MotoDynamoDBProvider(), dispatch_table_factory=serialised_moto_dispatcher)


@aws_provider(api="dynamodbstreams", name="moto")
def dynamodbstreams_moto() -> Service:
    return Service.for_provider(MotoDynamoDBStreamsProvider(), dispatch_table_factory=serialised_moto_dispatcher)
