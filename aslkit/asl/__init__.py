"""Typed builders for the Amazon States Language.

from aslkit.asl import Pass, Choice, Succeed, StateMachine, Condition

done = Succeed("Done")
check = Choice("Ready?").when(Condition.boolean_equals("$.ready", True), done).otherwise(...)
machine = StateMachine("example", Pass("Start") >> check)
text = machine.to_json()   # linted, deterministic
"""

from aslkit.asl.conditions import Condition
from aslkit.asl.errors import LAMBDA_TRANSIENT, Lambda, States
from aslkit.asl.failures import caught, reraise
from aslkit.asl.graph import Chain, Chainable, GraphError, fragment, name_prefix
from aslkit.asl.integrations import (
    Pattern,
    aws_sdk,
    batch_submit_job,
    dynamodb,
    dynamodb_set,
    ecs_run_task,
    lambda_invoke,
    put_events,
    resource_arn,
    service_task,
    sns_publish,
    sqs_send_message,
    start_execution,
)
from aslkit.asl.machine import AslValidationError, StateMachine
from aslkit.asl.map import ItemBatcher, ItemReader, Map, ReaderConfig, ResultWriter
from aslkit.asl.policies import Catch, Retry
from aslkit.asl.states import Choice, Fail, Parallel, Pass, State, Succeed, Task, Wait
from aslkit.asl.values import DISCARD, Intrinsic, Jsonata, JsonPath, Placeholder, jsonata, number_parameter, path

__all__ = [
    "DISCARD",
    "LAMBDA_TRANSIENT",
    "AslValidationError",
    "Catch",
    "Chain",
    "Chainable",
    "Choice",
    "Condition",
    "Fail",
    "GraphError",
    "Intrinsic",
    "ItemBatcher",
    "ItemReader",
    "JsonPath",
    "Jsonata",
    "Lambda",
    "Map",
    "Parallel",
    "Pass",
    "Pattern",
    "Placeholder",
    "ReaderConfig",
    "ResultWriter",
    "Retry",
    "State",
    "StateMachine",
    "States",
    "Succeed",
    "Task",
    "Wait",
    "aws_sdk",
    "batch_submit_job",
    "caught",
    "dynamodb",
    "dynamodb_set",
    "ecs_run_task",
    "fragment",
    "jsonata",
    "lambda_invoke",
    "name_prefix",
    "number_parameter",
    "path",
    "put_events",
    "reraise",
    "resource_arn",
    "service_task",
    "sns_publish",
    "sqs_send_message",
    "start_execution",
]
