"""The Map state, inline and distributed, with its reader, batcher and writer."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from aslkit.asl.graph import Chainable, GraphError, start_of
from aslkit.asl.policies import Catch, Retry
from aslkit.asl.states import NumberOrExpr, PathOrDiscard, QueryLanguage, _Recovering
from aslkit.asl.values import JsonValue, Placeholder, render_value

if TYPE_CHECKING:
    from aslkit.asl.render import RenderContext

MapMode = Literal["INLINE", "DISTRIBUTED"]
ExecutionType = Literal["STANDARD", "EXPRESS"]
InputType = Literal["CSV", "JSON", "JSONL", "MANIFEST", "PARQUET"]


@dataclass
class ReaderConfig:
    input_type: InputType | None = None
    csv_header_location: Literal["FIRST_ROW", "GIVEN"] | None = None
    csv_headers: Sequence[str] | None = None
    csv_delimiter: Literal["COMMA", "PIPE", "SEMICOLON", "SPACE", "TAB"] | None = None
    manifest_type: Literal["ATHENA_DATA", "S3_INVENTORY", "S3_OBJECTS"] | None = None
    max_items: NumberOrExpr | None = None
    max_items_path: str | None = None

    def render(self, placeholders: set[str]) -> dict[str, object]:
        fields: dict[str, JsonValue] = {
            "InputType": self.input_type,
            "CSVHeaderLocation": self.csv_header_location,
            "CSVHeaders": list(self.csv_headers) if self.csv_headers is not None else None,
            "CSVDelimiter": self.csv_delimiter,
            "ManifestType": self.manifest_type,
            "MaxItems": self.max_items,
            "MaxItemsPath": self.max_items_path,
        }
        return {key: render_value(value, placeholders) for key, value in fields.items() if value is not None}


@dataclass
class ItemReader:
    """Where a distributed Map reads its items: `arn:aws:states:::s3:getObject` or `s3:listObjectsV2`.

    `request` becomes `Parameters` (JSONPath) or `Arguments` (JSONata).
    """

    resource: str | Placeholder = "arn:aws:states:::s3:getObject"
    request: JsonValue = None
    reader_config: ReaderConfig | None = None


@dataclass
class ItemBatcher:
    max_items_per_batch: NumberOrExpr | None = None
    max_items_per_batch_path: str | None = None
    max_input_bytes_per_batch: NumberOrExpr | None = None
    max_input_bytes_per_batch_path: str | None = None
    batch_input: JsonValue = None

    def render(self, placeholders: set[str]) -> dict[str, object]:
        fields: dict[str, JsonValue] = {
            "MaxItemsPerBatch": self.max_items_per_batch,
            "MaxItemsPerBatchPath": self.max_items_per_batch_path,
            "MaxInputBytesPerBatch": self.max_input_bytes_per_batch,
            "MaxInputBytesPerBatchPath": self.max_input_bytes_per_batch_path,
            "BatchInput": self.batch_input,
        }
        return {key: render_value(value, placeholders) for key, value in fields.items() if value is not None}


@dataclass
class ResultWriter:
    """Where a distributed Map writes its results (`arn:aws:states:::s3:putObject`) and in what shape."""

    resource: str | Placeholder | None = "arn:aws:states:::s3:putObject"
    request: JsonValue = None
    output_type: Literal["JSON", "JSONL"] | None = None
    transformation: Literal["NONE", "COMPACT", "FLATTEN"] | None = None


class Map(_Recovering):
    """Run the same processor for each item: inline (up to 40 at once) or distributed (child executions).

    `mode=None` leaves `ProcessorConfig` out, which AWS reads as INLINE (as hand-written definitions often do).
    `legacy=True` writes the fields AWS still reads from definitions older than 2022: the processor as `Iterator`,
    and `parameters=` as `Parameters` (now `ItemSelector`); `aslkit import` uses it to reproduce such a file.
    """

    type = "Map"

    def __init__(
        self,
        name: str,
        *,
        processor: Chainable,
        mode: MapMode | None = "INLINE",
        execution_type: ExecutionType | None = None,
        processor_comment: str | None = None,
        items_path: str | None = None,
        items: JsonValue = None,
        item_reader: ItemReader | None = None,
        item_selector: JsonValue = None,
        parameters: JsonValue = None,
        legacy: bool = False,
        item_batcher: ItemBatcher | None = None,
        result_writer: ResultWriter | None = None,
        max_concurrency: NumberOrExpr | None = None,
        max_concurrency_path: str | None = None,
        tolerated_failure_count: NumberOrExpr | None = None,
        tolerated_failure_count_path: str | None = None,
        tolerated_failure_percentage: NumberOrExpr | float | None = None,
        tolerated_failure_percentage_path: str | None = None,
        label: str | None = None,
        input_path: PathOrDiscard | None = None,
        result_selector: JsonValue = None,
        result_path: PathOrDiscard | None = None,
        output_path: PathOrDiscard | None = None,
        output: JsonValue = None,
        retry: Sequence[Retry] = (),
        catch: Sequence[Catch] = (),
        comment: str | None = None,
        query_language: QueryLanguage | None = None,
        assign: Mapping[str, JsonValue] | None = None,
    ) -> None:
        super().__init__(name, retry=retry, catch=catch, comment=comment, query_language=query_language, assign=assign)
        if legacy and (mode not in (None, "INLINE") or execution_type or processor_comment):
            raise GraphError(f"Map {name!r}: a legacy Iterator is INLINE, with no ExecutionType or processor comment")
        if parameters is not None and not legacy:
            raise GraphError(f"Map {name!r}: parameters= is the legacy name of item_selector=; use item_selector=")
        self.legacy = legacy
        self.processor = start_of(processor)
        self.mode = mode
        self.execution_type = execution_type
        self.processor_comment = processor_comment
        self.item_reader = item_reader
        self.item_batcher = item_batcher
        self.result_writer = result_writer
        self._set(
            InputPath=input_path,
            ItemsPath=items_path,
            Items=items,
            ItemSelector=item_selector,
            Parameters=parameters,
            MaxConcurrency=max_concurrency,
            MaxConcurrencyPath=max_concurrency_path,
            ToleratedFailureCount=tolerated_failure_count,
            ToleratedFailureCountPath=tolerated_failure_count_path,
            ToleratedFailurePercentage=tolerated_failure_percentage,
            ToleratedFailurePercentagePath=tolerated_failure_percentage_path,
            Label=label,
            ResultSelector=result_selector,
            ResultPath=result_path,
            OutputPath=output_path,
            Output=output,
        )

    def _render_extra(self, out: dict[str, object], ctx: RenderContext) -> None:
        request_field = "Arguments" if ctx.query_language == "JSONata" else "Parameters"
        if self.item_reader is not None:
            reader: dict[str, object] = {"Resource": render_value(self.item_reader.resource, ctx.placeholders)}
            if self.item_reader.reader_config is not None:
                reader["ReaderConfig"] = self.item_reader.reader_config.render(ctx.placeholders)
            if self.item_reader.request is not None:
                reader[request_field] = render_value(self.item_reader.request, ctx.placeholders)
            out["ItemReader"] = reader
        if self.item_batcher is not None:
            out["ItemBatcher"] = self.item_batcher.render(ctx.placeholders)
        processor = ctx.render_graph(self.processor)
        if self.legacy:
            out["Iterator"] = processor
            super()._render_extra(out, ctx)
            return
        config: dict[str, object] = {"Mode": self.mode} if self.mode is not None else {}
        if self.execution_type is not None:
            config["ExecutionType"] = self.execution_type
        out["ItemProcessor"] = {
            **({"Comment": self.processor_comment} if self.processor_comment else {}),
            **({"ProcessorConfig": config} if config else {}),
            **processor,
        }
        if self.result_writer is not None:
            writer: dict[str, object] = {}
            if self.result_writer.resource is not None:
                writer["Resource"] = render_value(self.result_writer.resource, ctx.placeholders)
            if self.result_writer.request is not None:
                writer[request_field] = render_value(self.result_writer.request, ctx.placeholders)
            if self.result_writer.output_type or self.result_writer.transformation:
                writer["WriterConfig"] = {
                    key: value
                    for key, value in (
                        ("OutputType", self.result_writer.output_type),
                        ("Transformation", self.result_writer.transformation),
                    )
                    if value is not None
                }
            out["ResultWriter"] = writer
        super()._render_extra(out, ctx)
