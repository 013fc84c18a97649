"""The Map state, inline and distributed: items (ItemsPath/Items or an ItemReader), ItemSelector, ItemBatcher,
MaxConcurrency, tolerated failures, ResultWriter; distributed iterations are child executions with their own
histories (STANDARD or EXPRESS, as ProcessorConfig says)."""

from __future__ import annotations

import csv
import io
import json
from typing import TYPE_CHECKING, Any

from aslkit.asl.errors import States
from aslkit.engine import expressions as ex
from aslkit.engine.failures import ExecutionStopped, StatesFailure
from aslkit.engine.history import text
from aslkit.engine.scheduler import Await, Process, Signal, Task
from aslkit.engine.tasks import Resource

if TYPE_CHECKING:
    from aslkit.engine.interpreter import Frame, Interpreter


class MapRun:
    def __init__(self, interpreter: Interpreter, name: str, body: dict[str, Any], data: Any, scope: ex.Scope,
                 frame: Frame, jsonata: bool) -> None:  # fmt: skip
        self.interpreter = interpreter
        self.engine = interpreter.engine
        self.name = name
        self.body = body
        self.data = data  # the effective input
        self.scope = scope
        self.frame = frame
        self.jsonata = jsonata
        processor = body.get("ItemProcessor") or body.get("Iterator") or {}
        self.processor = processor
        config = processor.get("ProcessorConfig", {})
        self.distributed = config.get("Mode") == "DISTRIBUTED"
        self.child_type = config.get("ExecutionType", "STANDARD")

    def run(self) -> Process:
        history = self.interpreter.history
        items = self._items()
        inputs = [self._select(item, index) for index, item in enumerate(items)]
        inputs = self._batched(inputs)
        self.run_arn = ""
        if self.distributed:
            self.run_arn = f"{self.interpreter.execution.arn.replace(':execution:', ':mapRun:')}/{self.name}"
            self.engine.map_runs.add(self.run_arn)
            history.add("MapRunStarted", self.frame.lane, {"mapRunArn": self.run_arn})
        history.add("MapStateStarted", self.frame.lane, {"length": len(inputs)})
        results: list[Any] = [None] * len(inputs)
        failures: list[StatesFailure] = []
        limit = self._max_concurrency()
        pending = list(range(len(inputs)))
        running: dict[int, Task] = {}
        try:
            while pending or running:
                while pending and (limit == 0 or len(running) < limit):
                    index = pending.pop(0)
                    running[index] = self.engine.scheduler.spawn(self._iteration(index, inputs[index]), "iteration")
                    self.frame.children.append(running[index])
                yield Await(_any([task.finished for task in running.values()]))
                for index, task in list(running.items()):
                    if not task.finished.done:
                        continue
                    del running[index]
                    if task.finished.error is None:
                        results[index] = task.finished.value
                        continue
                    error = task.finished.error
                    if not isinstance(error, StatesFailure):
                        raise error
                    failures.append(error)
                    if not self.distributed or self._too_many(len(failures), len(inputs)):
                        raise self._failure(error, len(failures))
        except (StatesFailure, ExecutionStopped):
            for task in running.values():
                self.engine.scheduler.cancel(task, ExecutionStopped("map"))
            history.add("MapStateFailed", self.frame.lane)
            if self.distributed:
                history.add("MapRunFailed", self.frame.lane, {"error": "", "cause": ""})
            raise
        history.add("MapStateSucceeded", self.frame.lane)
        if self.distributed:
            history.add("MapRunSucceeded", self.frame.lane)
        if "ResultWriter" in self.body:
            return self._write(results)
        return results

    # -- items -------------------------------------------------------------------------------------------------------
    def _items(self) -> list[Any]:
        if "ItemReader" in self.body:
            return self._read_items(self.body["ItemReader"])
        if self.jsonata:
            items = ex.evaluate(self.body["Items"], self.scope, field="Items") if "Items" in self.body else self.data
        else:
            items = ex.read_path(self.body.get("ItemsPath", "$"), self.data, self.scope, field="ItemsPath")
        if not isinstance(items, list):
            raise StatesFailure(States.RUNTIME, f"The Map state's items must be an array, got {text(items)[:200]}")
        return items

    def _read_items(self, reader: dict[str, Any]) -> list[Any]:
        resource = Resource.parse(reader["Resource"])
        parameters = reader.get("Parameters") or reader.get("Arguments") or {}
        parameters = ex.evaluate(parameters, self.scope, field="ItemReader") if self.jsonata \
            else ex.template(parameters, self.data, self.scope, field="ItemReader")  # fmt: skip
        config = reader.get("ReaderConfig", {})
        try:
            if resource.action == "listObjectsV2":
                listed = self.engine.services.call(Resource(resource.arn, "s3", "listObjectsV2", sdk=True), parameters)
                items = list(listed.get("Contents", []))
            else:
                got = self.engine.services.call(Resource(resource.arn, "s3", "getObject", sdk=True), parameters)
                items = _parse_items(got["Body"], config)
        except StatesFailure as failure:
            raise StatesFailure(States.ITEM_READER_FAILED, f"{failure.error}: {failure.cause}") from None
        except (ValueError, KeyError) as error:
            raise StatesFailure(States.ITEM_READER_FAILED, f"The item file cannot be read: {error}") from None
        if "MaxItems" in config:
            items = items[: int(config["MaxItems"])]
        return items

    def _select(self, item: Any, index: int) -> Any:
        map_item = {"Index": index, "Value": item}
        selector = self.body.get("ItemSelector", self.body.get("Parameters"))
        if selector is None:
            return item
        context = dict(self.scope.context, Map={"Item": map_item})
        scope = ex.Scope(self.data, context, self.frame.variables, self.scope.rng, self.scope.clock)
        if self.jsonata:
            return ex.evaluate(selector, scope, field="ItemSelector")
        return ex.template(selector, self.data, scope, field="ItemSelector")

    def _batched(self, inputs: list[Any]) -> list[Any]:
        batcher = self.body.get("ItemBatcher")
        if batcher is None:
            return inputs
        size = int(batcher.get("MaxItemsPerBatch", 0)) or len(inputs) or 1
        extra = batcher.get("BatchInput", {})
        if self.jsonata:
            extra = ex.evaluate(extra, self.scope, field="BatchInput")
        else:
            extra = ex.template(extra, self.data, self.scope, field="BatchInput")
        return [{**extra, "Items": inputs[i : i + size]} for i in range(0, len(inputs), size)]

    def _max_concurrency(self) -> int:
        value = self.body.get("MaxConcurrency", 0)
        if "MaxConcurrencyPath" in self.body:
            value = ex.read_path(self.body["MaxConcurrencyPath"], self.data, self.scope, field="MaxConcurrencyPath")
        elif self.jsonata and isinstance(value, str):
            value = ex.evaluate(value, self.scope, field="MaxConcurrency")
        return int(value or 0)

    # -- iterations --------------------------------------------------------------------------------------------------
    def _iteration(self, index: int, item: Any) -> Process:
        if self.distributed:
            child = self.engine.start_map_child(self.interpreter.execution, self.name, index, self.processor, item,
                                                self.child_type, self.frame.variables)  # fmt: skip
            child.map_run = self.run_arn
            try:
                yield Await(child.finished)
            except ExecutionStopped:
                self.engine.stop_execution(child.arn, error="States.Aborted", cause="the Map run was stopped")
                raise
            if child.status != "SUCCEEDED":
                raise StatesFailure(child.error or States.TASK_FAILED, child.cause or "")
            return child.output
        history = self.interpreter.history
        lane = [self.frame.lane[0]]
        history.add("MapIterationStarted", lane, {"name": self.name, "index": index})
        frame = self.frame.inner(self.processor.get("QueryLanguage", self.frame.query_language), lane,
                                 {"Index": index, "Value": item})  # fmt: skip
        try:
            output = yield from self.interpreter.graph(self.processor, item, frame)
        except StatesFailure:
            history.add("MapIterationFailed", lane, {"name": self.name, "index": index})
            raise
        except ExecutionStopped:
            history.add("MapIterationAborted", lane, {"name": self.name, "index": index})
            raise
        history.add("MapIterationSucceeded", lane, {"name": self.name, "index": index})
        return output

    def _too_many(self, failed: int, total: int) -> bool:
        count = self.body.get("ToleratedFailureCount")
        percentage = self.body.get("ToleratedFailurePercentage")
        if count is None and percentage is None:
            return failed > 0
        if count is not None and failed > int(count):
            return True
        return percentage is not None and total > 0 and failed * 100.0 / total > float(percentage)

    def _failure(self, error: StatesFailure, failed: int) -> StatesFailure:
        if not self.distributed:
            return error
        if "ToleratedFailureCount" in self.body or "ToleratedFailurePercentage" in self.body:
            return StatesFailure(States.EXCEED_TOLERATED_FAILURE_THRESHOLD,
                                 f"The Map run failed: {failed} item(s) failed, more than tolerated")  # fmt: skip
        return StatesFailure(States.EXCEED_TOLERATED_FAILURE_THRESHOLD, f"{error.error}: {error.cause}")

    def _write(self, results: list[Any]) -> dict[str, Any]:
        writer = self.body["ResultWriter"]
        target = writer.get("Parameters") or writer.get("Arguments") or {}
        target = ex.evaluate(target, self.scope, field="ResultWriter") if self.jsonata \
            else ex.template(target, self.data, self.scope, field="ResultWriter")  # fmt: skip
        bucket, prefix = target.get("Bucket"), str(target.get("Prefix", "")).rstrip("/")
        run_id = self.interpreter.execution.name
        base = f"{prefix}/{run_id}" if prefix else run_id
        entries = [{"Output": text(result), "Status": "SUCCEEDED"} for result in results]
        put = Resource("arn:aws:states:::aws-sdk:s3:putObject", "s3", "putObject", sdk=True)
        try:
            self.engine.services.call(put, {"Bucket": bucket, "Key": f"{base}/SUCCEEDED_0.json",
                                            "Body": json.dumps(entries)})  # fmt: skip
            manifest = {
                "DestinationBucket": bucket,
                "MapRunArn": run_id,
                "ResultFiles": {"SUCCEEDED": [{"Key": f"{base}/SUCCEEDED_0.json", "Size": len(json.dumps(entries))}]},
            }
            self.engine.services.call(put, {"Bucket": bucket, "Key": f"{base}/manifest.json",
                                            "Body": json.dumps(manifest)})  # fmt: skip
        except StatesFailure as failure:
            raise StatesFailure(States.RESULT_WRITER_FAILED, f"{failure.error}: {failure.cause}") from None
        return {"MapRunArn": run_id, "ResultWriterDetails": {"Bucket": bucket, "Key": f"{base}/manifest.json"}}


def _any(signals: list[Signal]) -> Signal:
    first = Signal()
    for signal in signals:
        signal.subscribe(first.resolve)
    return first


def _parse_items(body: str, config: dict[str, Any]) -> list[Any]:
    kind = config.get("InputType", "JSON")
    if kind == "JSON":
        items = json.loads(body)
        if not isinstance(items, list):
            raise ValueError("a JSON item file must hold an array")
        return items
    if kind == "JSONL":
        return [json.loads(line) for line in body.splitlines() if line.strip()]
    if kind == "CSV":
        delimiter = {"COMMA": ",", "TAB": "\t", "SEMICOLON": ";", "PIPE": "|", "SPACE": " "}.get(
            config.get("CSVDelimiter", "COMMA"), ","
        )
        rows = list(csv.reader(io.StringIO(body), delimiter=delimiter))
        headers = config.get("CSVHeaders") if config.get("CSVHeaderLocation") == "GIVEN" else None
        if headers is None:
            headers, rows = rows[0], rows[1:]
        return [dict(zip(headers, row, strict=False)) for row in rows]
    if kind == "MANIFEST":
        return [{"Bucket": line.split(",")[0], "Key": line.split(",")[1]} for line in body.splitlines() if line]
    raise ValueError(f"unknown InputType {kind!r}")
