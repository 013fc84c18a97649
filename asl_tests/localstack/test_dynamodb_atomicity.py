"""DynamoDB's single-item atomicity, which EDP's exactly-once flush relies on, holds on LocalStack's moto DynamoDB
(the plugin serialises moto's operations: without that, concurrent increments were lost)."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from botocore.exceptions import ClientError

#: these tests are about LocalStack's DynamoDB under concurrency: they run on LocalStack only
pytestmark = [pytest.mark.localstack, pytest.mark.usefixtures("localstack")]


def test_concurrent_increments_and_conditional_writes_are_atomic(aws) -> None:
    ddb = aws.dynamodb
    table = f"atomic_{uuid.uuid4().hex[:8]}"
    ddb.create_table(TableName=table, BillingMode="PAY_PER_REQUEST",
                     KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}])  # fmt: skip
    try:

        def increment(_: int) -> None:
            ddb.update_item(TableName=table, Key={"pk": {"S": "counter"}}, UpdateExpression="ADD n :one",
                            ExpressionAttributeValues={":one": {"N": "1"}})  # fmt: skip

        def claim(worker: int) -> bool:
            try:
                ddb.put_item(TableName=table, Item={"pk": {"S": "lock"}, "owner": {"N": str(worker)}},
                             ConditionExpression="attribute_not_exists(pk)")  # fmt: skip
                return True
            except ClientError as error:
                assert error.response["Error"]["Code"] == "ConditionalCheckFailedException"
                return False

        with ThreadPoolExecutor(max_workers=16) as pool:
            list(pool.map(increment, range(200)))
            claims = list(pool.map(claim, range(50)))
        item = ddb.get_item(TableName=table, Key={"pk": {"S": "counter"}}, ConsistentRead=True)["Item"]
        assert item["n"] == {"N": "200"}, "no increment is lost"
        assert claims.count(True) == 1, "exactly one conditional write wins"
    finally:
        ddb.delete_table(TableName=table)
