"""What AWS's services deliver on their own, in process: EventBridge rules and schedules to state machines and
functions, SQS messages to the functions their event source mappings name.

moto keeps the resources (buses, rules and their state, queues, receive counts, redrive to DLQs) and matches event
patterns; this module adds the deliveries moto leaves out: rule targets that are state machines or functions (with
InputPath, InputTransformer and the target's dead-letter queue), schedules (`rate(...)`, `cron(...)`) on the
virtual clock, and SQS event source mappings with partial batch responses.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from aslkit.engine import paths
from aslkit.engine.failures import StatesFailure
from aslkit.engine.scheduler import Await, Process, Signal, Sleep
from aslkit.events import schedules

if TYPE_CHECKING:
    from aslkit.engine import Engine


@dataclass
class QueueTrigger:
    """An SQS event source mapping: `function` gets batches of up to `batch_size` messages of `queue`."""

    queue: str  # the queue's name
    function: str
    batch_size: int = 10
    visibility_timeout: int = 30
    arrived: Signal = field(default_factory=Signal)


class Delivery:
    """One engine's deliveries: its queue triggers and schedules."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.triggers: dict[str, list[QueueTrigger]] = {}
        self.schedules: dict[str, str] = {}  # rule name -> expression
        self.failures: list[dict[str, Any]] = []  # deliveries that failed and had no dead-letter queue
        #: at-least-once delivery, modelled: the chance that an EventBridge delivery, or a message of a standard
        #: queue, is delivered twice; and up to how many virtual seconds an EventBridge delivery takes (deliveries
        #: then arrive in any order, as EventBridge guarantees none). Both off unless a simulation sets them.
        self.duplicates = 0.0
        self.jitter = 0.0

    # -- EventBridge -----------------------------------------------------------------------------------------------
    def to_target(self, rule: Any, target: dict[str, Any], event: dict[str, Any]) -> None:
        """Deliver one matched event to a state machine or a function (a failure goes to the target's DLQ); at
        once, or, with `duplicates` or `jitter` set, later and perhaps twice."""
        rng = self.engine.scheduler.rng
        copies = 2 if self.duplicates and rng.random() < self.duplicates else 1
        if copies == 1 and not self.jitter:
            self._deliver(rule, target, event)
            return
        for _ in range(copies):
            delay = rng.uniform(0.0, self.jitter)
            self.engine.scheduler.spawn(self._deliver_later(delay, rule, target, event), f"event:{target['Arn']}")

    def _deliver_later(self, delay: float, rule: Any, target: dict[str, Any], event: dict[str, Any]) -> Process:
        yield Sleep(delay)
        self._deliver(rule, target, event)

    def _deliver(self, rule: Any, target: dict[str, Any], event: dict[str, Any]) -> None:
        try:
            payload = _target_input(rule, target, event)
            arn = str(target["Arn"])
            if ":states:" in arn:
                self.engine.start(arn, payload)
            elif ":sns:" in arn:  # EventBridge publishes the (transformed) event as the message
                message = payload if isinstance(payload, str) else json.dumps(payload)
                self.engine.services.client("sns").publish(TopicArn=arn, Message=message)
            else:
                self.engine.scheduler.spawn(self._invoke_async(arn, payload), f"event:{arn}")
        except StatesFailure as failure:
            self._dead_letter(rule, target, event, failure.error, failure.cause)
        except (ValueError, KeyError, paths.PathNotFound) as error:
            self._dead_letter(rule, target, event, "InvalidInput", str(error))

    def _invoke_async(self, arn: str, payload: Any) -> Process:
        yield None
        try:
            self.engine.lambdas.invoke(arn, payload)
        except StatesFailure as failure:  # an asynchronous invocation's error stays with Lambda, as on AWS
            self.failures.append({"target": arn, "error": failure.error, "cause": failure.cause})

    def _dead_letter(self, rule: Any, target: dict[str, Any], event: dict[str, Any], code: str, message: str) -> None:
        dlq = (target.get("DeadLetterConfig") or {}).get("Arn")
        if not dlq:
            self.failures.append({"rule": rule.name, "target": target["Arn"], "error": code, "cause": message})
            return
        attributes = {"RULE_ARN": rule.arn, "TARGET_ARN": target["Arn"], "ERROR_CODE": code,
                      "ERROR_MESSAGE": message[:256]}  # fmt: skip
        self.engine.services.client("sqs").send_message(
            QueueUrl=_queue_url(dlq), MessageBody=json.dumps(event),
            MessageAttributes={k: {"DataType": "String", "StringValue": str(v)} for k, v in attributes.items()},
        )  # fmt: skip

    def schedule(self, rule_name: str, expression: str, target: dict[str, Any]) -> None:
        """A scheduled rule: each time its rate or cron expression comes round in virtual time, the target gets
        the rule's input (while the rule is ENABLED)."""
        when = schedules.parse(expression)
        scheduler = self.engine.scheduler
        self.schedules[rule_name] = expression

        def next_time() -> float | None:
            upcoming = when.next_after(datetime.fromtimestamp(scheduler.now, UTC))
            return None if upcoming is None else upcoming.timestamp()

        def tick() -> None:
            if rule_name not in self.schedules:
                return  # torn down or reset
            events = self.engine.services.client("events")
            if events.describe_rule(Name=rule_name)["State"] == "ENABLED":
                rule = _ScheduledRule(rule_name, self.engine)
                self.to_target(rule, target, _scheduled_event(rule))
            again = next_time()
            if again is not None:
                scheduler.at(again, tick, background=True)

        first = next_time()
        if first is not None:
            scheduler.at(first, tick, background=True)

    # -- SQS event source mappings ---------------------------------------------------------------------------------
    def add_trigger(self, trigger: QueueTrigger) -> None:
        self.triggers.setdefault(trigger.queue, []).append(trigger)
        self.engine.scheduler.spawn(self._poll(trigger), f"esm:{trigger.queue}")

    def arrived(self, queue: str) -> None:
        for trigger in self.triggers.get(queue, []):
            trigger.arrived.resolve()

    def _poll(self, trigger: QueueTrigger) -> Process:
        """The event source mapping: receive a batch, invoke the function, delete what it handled (a failed record
        comes back after its visibility timeout); then wait for a message to arrive, unless one may be waiting."""
        sqs = self.engine.services.client("sqs")
        url = sqs.get_queue_url(QueueName=trigger.queue)["QueueUrl"]
        batch = min(10, trigger.batch_size)
        while True:
            trigger.arrived = Signal()  # resolved by any message sent (or made visible again) from now on
            received = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=batch, AttributeNames=["All"],
                                           MessageAttributeNames=["All"],
                                           VisibilityTimeout=trigger.visibility_timeout)  # fmt: skip
            messages = received.get("Messages", [])
            if messages:
                failed = self._invoke_batch(trigger, url, messages)
                done: list[dict[str, str]] = []
                for message in messages:
                    if message["MessageId"] in failed or self._twice(trigger):  # visible again after its timeout
                        self._release_later(trigger, url, message["ReceiptHandle"])
                    else:
                        done.append({"Id": str(len(done)), "ReceiptHandle": message["ReceiptHandle"]})
                if done:
                    sqs.delete_message_batch(QueueUrl=url, Entries=done)
            if len(messages) == batch or trigger.arrived.done:
                yield Sleep(0)  # a full batch: more may be waiting
            else:
                yield Await(trigger.arrived)

    def _twice(self, trigger: QueueTrigger) -> bool:
        """A standard queue may deliver a message again (at least once); a FIFO queue does not."""
        rng = self.engine.scheduler.rng
        return bool(self.duplicates) and not trigger.queue.endswith(".fifo") and rng.random() < self.duplicates

    def _invoke_batch(self, trigger: QueueTrigger, url: str, messages: list[dict[str, Any]]) -> set[str]:
        queue_arn = self.engine.resource_value("queue", trigger.queue, "arn")
        records = [{"messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"], "body": m["Body"],
                    "attributes": m.get("Attributes", {}), "messageAttributes": _lambda_attributes(m),
                    "md5OfBody": m.get("MD5OfBody", ""), "eventSource": "aws:sqs", "eventSourceARN": queue_arn,
                    "awsRegion": self.engine.region} for m in messages]  # fmt: skip
        try:
            response = self.engine.lambdas.invoke(trigger.function, {"Records": records})
        except StatesFailure as failure:
            self.failures.append({"queue": trigger.queue, "function": trigger.function, "error": failure.error})
            return {m["MessageId"] for m in messages}
        failures = (response or {}).get("batchItemFailures", []) if isinstance(response, dict) else []
        return {str(item.get("itemIdentifier")) for item in failures}

    def _release_later(self, trigger: QueueTrigger, url: str, handle: str) -> None:
        def release() -> None:
            self._release(trigger, url, handle)

        self.engine.scheduler.at(self.engine.now + trigger.visibility_timeout, release)

    def _release(self, trigger: QueueTrigger, url: str, handle: str) -> None:
        from botocore.exceptions import ClientError

        try:
            self.engine.services.client("sqs").change_message_visibility(QueueUrl=url, ReceiptHandle=handle,
                                                                          VisibilityTimeout=0)  # fmt: skip
        except ClientError:
            return  # deleted meanwhile
        trigger.arrived.resolve()


@dataclass
class _ScheduledRule:
    name: str
    engine: Engine

    @property
    def arn(self) -> str:
        return f"arn:aws:events:{self.engine.region}:{self.engine.account}:rule/{self.name}"


def _scheduled_event(rule: _ScheduledRule) -> dict[str, Any]:
    engine = rule.engine
    return {"version": "0", "id": str(uuid.uuid4()), "detail-type": "Scheduled Event", "source": "aws.events",
            "account": engine.account, "time": _iso(engine.now), "region": engine.region, "resources": [rule.arn],
            "detail": {}}  # fmt: skip


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _target_input(rule: Any, target: dict[str, Any], event: dict[str, Any]) -> Any:
    """What the target receives: `Input` (constant), `InputPath`'s selection, the transformer's output, or the event."""
    if "Input" in target:
        return json.loads(target["Input"])
    if "InputPath" in target:
        return paths.read(target["InputPath"], event)
    transformer = target.get("InputTransformer")
    if transformer:
        return _transform(transformer, event, rule)
    return event


_PLACEHOLDER = re.compile(r'(")?<([A-Za-z0-9_.\-]+)>(")?')


def _transform(transformer: dict[str, Any], event: dict[str, Any], rule: Any) -> Any:
    """An input transformer as EventBridge applies it: each path of InputPathsMap read from the event (null where
    it finds nothing), and the template's `<name>`s replaced: inside quotes as a JSON string, outside as the value's
    JSON (a string without quotes, so the template decides). A state machine or function needs JSON: a template whose
    output is not JSON fails the delivery (ValueError), which the rule's DLQ keeps."""
    values: dict[str, Any] = {}
    for name, path in (transformer.get("InputPathsMap") or {}).items():
        try:
            values[name] = paths.read(path, event)
        except paths.PathNotFound:
            values[name] = None
    values.update({"aws.events.rule-arn": rule.arn, "aws.events.rule-name": rule.name, "aws.events.event": event,
                   "aws.events.event.json": event, "aws.events.event.ingestion-time": event.get("time")})  # fmt: skip

    def replace(match: re.Match[str]) -> str:
        opening, name, closing = match[1] or "", match[2], match[3] or ""
        if name not in values:
            return match[0]
        value = values[name]
        if opening and closing:
            return json.dumps(value if isinstance(value, str) else json.dumps(value))
        return opening + (value if isinstance(value, str) else json.dumps(value)) + closing

    output = _PLACEHOLDER.sub(replace, str(transformer.get("InputTemplate", "<aws.events.event.json>")))
    try:
        return json.loads(output)
    except ValueError:
        raise ValueError(f"the input transformer's output is not JSON: {output[:200]}") from None


def _lambda_attributes(message: dict[str, Any]) -> dict[str, Any]:
    """Message attributes as Lambda's SQS records spell them (`stringValue`, `dataType` ...), not as SQS does."""
    return {name: {"stringValue": value.get("StringValue"), "binaryValue": value.get("BinaryValue"),
                   "stringListValues": [], "binaryListValues": [], "dataType": value.get("DataType", "String")}
            for name, value in message.get("MessageAttributes", {}).items()}  # fmt: skip


def _queue_url(arn: str) -> str:
    _, _, _, region, account, name = arn.split(":", 5)
    return f"https://sqs.{region}.amazonaws.com/{account}/{name}"


def _event(rule: Any, original: dict[str, Any]) -> dict[str, Any]:
    """The event as EventBridge delivers it (moto keeps `time` as epoch seconds and adds `ingestion-time`)."""
    event = {key: value for key, value in original.items() if key != "ingestion-time"}
    when = event.get("time")
    if isinstance(when, int | float):
        event["time"] = _iso(when)
    elif isinstance(when, datetime):
        event["time"] = when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    event.setdefault("account", rule.account_id)
    return event


def patch_moto(active: Callable[[], Engine | None]) -> None:
    """Extend moto (once per process) where the wired engine must take over; without one, moto is unchanged."""
    from moto.events import models as events
    from moto.sqs import models as sqs

    send_to_targets = events.Rule.send_to_targets

    def rule_send(rule: Any, original: Any, transform_input: bool = True) -> None:
        engine = active()
        ours = [t for t in rule.targets if any(f":{service}:" in t["Arn"] for service in ("states", "lambda", "sns"))]
        if engine is None or not ours:
            send_to_targets(rule, original, transform_input)
            return
        if rule.state != "ENABLED" or rule.scheduled_expression or not rule.event_pattern.matches_event(original):
            return
        others = [t for t in rule.targets if t not in ours]
        if others:
            every, rule.targets = rule.targets, others
            try:
                send_to_targets(rule, original, transform_input)
            finally:
                rule.targets = every
        event = _event(rule, original)
        for target in ours:
            engine.delivery.to_target(rule, target, event)

    setattr(events.Rule, "send_to_targets", rule_send)  # noqa: B010 (a method replaced on moto's class)

    for name in ("send_message", "send_message_batch"):
        original = getattr(sqs.SQSBackend, name)

        def sent(backend: Any, queue_name: str, *args: Any, _original: Any = original, **kwargs: Any) -> Any:
            result = _original(backend, queue_name, *args, **kwargs)
            engine = active()
            if engine is not None:
                engine.delivery.arrived(queue_name)
            return result

        setattr(sqs.SQSBackend, name, sent)
