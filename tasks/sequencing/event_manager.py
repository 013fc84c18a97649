"""ENS ingress: read ICA ENS messages from SQS, emit the platform's events, complete waiting WES launches.

Per record (Powertools' batch processing, partial batch responses): a message that cannot be read (or names an
unknown status) goes to the DLQ with its reason and does not block the others; a `wes.runs` message whose launch is
not recorded yet is reported as a batch item failure, so SQS delivers it again; duplicates (same bssh run id,
dateModified and status; same WES event) have one effect; a run's first terminal outcome is the one it keeps (a
late, contradicting one emits nothing and changes nothing).
"""

from __future__ import annotations

import json
import os
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.exceptions import ClientError

from tasks.sequencing import ens
from tasks.sequencing.bus import put_event
from tasks.sequencing.status import UnknownRunStatus

logger = Logger()
tracer = Tracer()
metrics = Metrics(namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "aslkit"))
SOURCE = "sequencing.ens_event_manager"


class LaunchNotRecorded(RuntimeError):
    """A wes.runs event arrived before its launch was recorded: retried by SQS, not lost."""


class Effects:
    """The AWS side effects, in one place (the rest of the module is decisions)."""

    def __init__(self) -> None:
        self.table = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])
        self.events = boto3.client("events")
        self.sfn = boto3.client("stepfunctions")
        self.sqs = boto3.client("sqs")
        self.bus = os.environ["EVENT_BUS_NAME"]
        self.dlq_url = os.environ["DLQ_URL"]

    def first_time(self, pk: str, sk: str, **attributes: Any) -> bool:
        """Record (pk, sk) unless it exists; False for a duplicate."""
        try:
            self.table.put_item(Item={"pk": pk, "sk": sk, **attributes}, ConditionExpression="attribute_not_exists(pk)")
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def settle(self, outcome: ens.WesOutcome) -> bool:
        """Record a run's terminal outcome on its launch, unless another was recorded first (a late, contradicting
        RunSucceeded after RunFailed); the same outcome again (a retried record) is not another one."""
        recorded = json.dumps(_outcome(outcome))
        try:
            self.table.update_item(
                Key={"pk": f"WFR#{outcome.workflow_run_name}", "sk": "LAUNCH"},
                UpdateExpression="SET #s = :s, outcome = :o",
                # the launch's own WES run (a re-run's launch replaces the one before), not yet ended otherwise
                ConditionExpression="(attribute_not_exists(outcome) OR outcome = :o)"
                " AND (attribute_not_exists(wes_run_id) OR wes_run_id = :r)",
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues={":s": outcome.status, ":o": recorded, ":r": outcome.workflow_run_id},
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def forget(self, pk: str, sk: str) -> None:
        self.table.delete_item(Key={"pk": pk, "sk": sk})

    def emit(self, detail_type: str, detail: dict[str, Any]) -> None:
        put_event(self.events, self.bus, SOURCE, detail_type, detail)

    def launch(self, workflow_run_name: str) -> dict[str, Any] | None:
        item = self.table.get_item(Key={"pk": f"WFR#{workflow_run_name}", "sk": "LAUNCH"}).get("Item")
        return dict(item) if item else None

    def reject(self, record: dict[str, Any], error: Exception) -> None:
        self.sqs.send_message(
            QueueUrl=self.dlq_url,
            MessageBody=record.get("body") or "",
            MessageAttributes={
                "reason": {"DataType": "String", "StringValue": str(error)[:1000]},
                "errorType": {"DataType": "String", "StringValue": type(error).__name__},
                "originalMessageId": {"DataType": "String", "StringValue": str(record.get("messageId", ""))},
                **{
                    f"ens.{name}": {"DataType": "String", "StringValue": str(value.get("stringValue", ""))}
                    for name, value in (record.get("messageAttributes") or {}).items()
                    if isinstance(value, dict) and value.get("stringValue")
                },
            },
        )


def process(record: dict[str, Any], effects: Effects) -> str:
    """Handle one record; returns what happened (for the log)."""
    message = ens.parse_record(record)
    if message.type == "bssh.runs":
        detail = ens.sequence_run_state_change(message)
        run = f"RUN#{detail['sequence_run_id']}"
        if not effects.first_time(run, f"EVENT#{ens.bssh_dedup_key(message)}", status=detail["status"]):
            return f"duplicate bssh.runs {ens.bssh_dedup_key(message)}"
        try:
            effects.emit("SequenceRunStateChange", detail)
        except Exception:
            effects.forget(run, f"EVENT#{ens.bssh_dedup_key(message)}")  # so the retry is not taken for a duplicate
            raise
        return f"run {detail['sequence_run_name']} {detail['status']}"
    if message.type == "wes.runs":
        outcome = ens.wes_outcome(message)
        launch = effects.launch(outcome.workflow_run_name)
        if launch is None:
            raise LaunchNotRecorded(f"no launch recorded for {outcome.workflow_run_name} yet")
        if launch.get("wes_run_id") and outcome.workflow_run_id and launch["wes_run_id"] != outcome.workflow_run_id:
            return f"workflow run {outcome.workflow_run_name}: {outcome.workflow_run_id} was replaced by a re-run"
        key = f"WFR#{outcome.workflow_run_name}"
        if not effects.first_time(key, f"EVENT#{outcome.dedup_key}", status=outcome.status):
            return f"duplicate wes.runs {outcome.dedup_key}"
        try:
            if outcome.terminal and not effects.settle(outcome):
                logger.warning("a second outcome for a run that already ended is ignored",
                               run=outcome.workflow_run_name, status=outcome.status)  # fmt: skip
                return f"workflow run {outcome.workflow_run_name} already ended: late {outcome.status} ignored"
            effects.emit("WorkflowRunStateChange", ens.workflow_run_state_change(outcome, message.action_date))
            complete(effects, launch, outcome)
        except Exception:
            effects.forget(key, f"EVENT#{outcome.dedup_key}")  # so the retry is not taken for a duplicate
            raise
        return f"workflow run {outcome.workflow_run_name} {outcome.status}"
    return f"{message.type} ignored"


def complete(effects: Effects, launch: dict[str, Any], outcome: ens.WesOutcome) -> None:
    """Tell the waiting execution (its outcome recorded by `Effects.settle`): success with the run's outputs,
    failure with ENS's Error/Cause, or a heartbeat."""
    token = launch["task_token"]
    try:
        if not outcome.terminal:
            effects.sfn.send_task_heartbeat(taskToken=token)
            return
        if outcome.status == "SUCCEEDED":
            result = {"workflow_run_id": outcome.workflow_run_id, "output": outcome.output or {}}
            effects.sfn.send_task_success(taskToken=token, output=json.dumps(result))
        else:
            effects.sfn.send_task_failure(taskToken=token, error=outcome.error[:256], cause=outcome.cause[:32768])
    except ClientError as error:
        code = error.response["Error"]["Code"]
        if code in ("TaskTimedOut", "InvalidToken", "TaskDoesNotExist"):
            logger.warning("the execution no longer waits for this run", run=outcome.workflow_run_name, code=code)
            return
        raise


def _outcome(outcome: ens.WesOutcome) -> dict[str, Any]:
    return {"status": outcome.status, "workflow_run_id": outcome.workflow_run_id, "output": outcome.output,
            "error": outcome.error, "cause": outcome.cause}  # fmt: skip


_effects: Effects | None = None


def record_handler(record: SQSRecord) -> None:
    """One message: rejected to the DLQ with its reason when it cannot be read, raised (SQS delivers it again) when
    its launch is not recorded yet or AWS failed; only this record is retried, the batch goes on."""
    global _effects
    effects = _effects = _effects or Effects()
    message = record.raw_event
    try:
        logger.info(process(message, effects), message_id=record.message_id)
        metrics.add_metric(name="EnsMessagesHandled", unit=MetricUnit.Count, value=1)
    except (ens.MalformedEnsMessage, UnknownRunStatus, ens.ContractViolation) as error:
        logger.warning("rejected to the DLQ", message_id=record.message_id, reason=str(error))
        effects.reject(message, error)
        metrics.add_metric(name="EnsMessagesRejected", unit=MetricUnit.Count, value=1)
    except LaunchNotRecorded as error:
        logger.info("retry later", message_id=record.message_id, reason=str(error))
        metrics.add_metric(name="EnsMessagesRetried", unit=MetricUnit.Count, value=1)
        raise
    except Exception:
        logger.exception("failed; SQS will deliver it again", message_id=record.message_id)
        raise


#: Powertools' partial batch responses: the failed records' ids, the batch never failed as a whole.
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


@metrics.log_metrics
@tracer.capture_lambda_handler
@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    if not event.get("Records"):
        return {"batchItemFailures": []}
    return dict(process_partial_response(event=event, record_handler=record_handler, processor=processor,
                                         context=context))  # fmt: skip
