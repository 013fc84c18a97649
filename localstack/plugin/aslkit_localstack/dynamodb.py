"""DynamoDB and DynamoDB Streams served by the moto fork LocalStack ships (no Java, no DynamoDB Local download).

Selected with `PROVIDER_OVERRIDE_DYNAMODB=moto` and `PROVIDER_OVERRIDE_DYNAMODBSTREAMS=moto`. Every operation falls
through to moto, which implements the API in Python; tables are ACTIVE at once.
"""

from __future__ import annotations

from localstack.aws.api.dynamodb import DynamodbApi
from localstack.aws.api.dynamodbstreams import DynamodbstreamsApi
from localstack.services.plugins import Service, ServiceLifecycleHook, aws_provider


class MotoDynamoDBProvider(DynamodbApi, ServiceLifecycleHook):
    """All of DynamoDB from moto."""


class MotoDynamoDBStreamsProvider(DynamodbstreamsApi, ServiceLifecycleHook):
    """All of DynamoDB Streams from moto (it reads the streams of moto's tables)."""


@aws_provider(api="dynamodb", name="moto")
def dynamodb_moto() -> Service:
    from localstack.services.moto import MotoFallbackDispatcher

    return Service.for_provider(MotoDynamoDBProvider(), dispatch_table_factory=MotoFallbackDispatcher)


@aws_provider(api="dynamodbstreams", name="moto")
def dynamodbstreams_moto() -> Service:
    from localstack.services.moto import MotoFallbackDispatcher

    return Service.for_provider(MotoDynamoDBStreamsProvider(), dispatch_table_factory=MotoFallbackDispatcher)
