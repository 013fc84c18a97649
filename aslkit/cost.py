"""What runs cost at AWS's published on-demand prices (a dated table; region-specific where it differs).

    price = Prices.for_region("ap-southeast-2")
    price.standard(transitions=12) + price.lambda_(invocations=2, gb_seconds=0.05)

Prices change: the table says when it was read, and estimates are for comparing designs, not for invoices.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

PRICES_AS_OF: Final = "2026-11-01"


@dataclass(frozen=True)
class Prices:
    region: str
    standard_transition: float  # USD per state transition (STANDARD)
    express_request: float  # USD per EXPRESS execution started
    express_gb_second: float  # USD per GB-second of EXPRESS duration (first tier)
    lambda_request: float  # USD per invocation
    lambda_gb_second: float  # USD per GB-second (x86, first tier)
    sqs_standard_request: float  # USD per 64 KB request
    sqs_fifo_request: float
    dynamodb_write: float  # USD per write request unit (on demand)
    dynamodb_read: float  # USD per read request unit (on demand)
    eventbridge_event: float  # USD per custom event put

    @staticmethod
    def for_region(region: str = "us-east-1") -> Prices:
        base = _PRICES["us-east-1"]
        return _PRICES.get(region, base)

    def standard(self, transitions: int) -> float:
        return transitions * self.standard_transition

    def express(self, requests: int, duration_ms: float, memory_mb: int = 64) -> float:
        """EXPRESS bills each execution in 100 ms steps of duration at the memory the workflow uses (64 MB min)."""
        billed_seconds = max(100.0, -(-duration_ms // 100) * 100) / 1000
        return requests * self.express_request + requests * billed_seconds * (memory_mb / 1024) * self.express_gb_second

    def lambda_(self, invocations: int, duration_ms: float, memory_mb: int) -> float:
        """Lambda bills each invocation's duration per millisecond at its memory size."""
        gb_seconds = invocations * (duration_ms / 1000) * (memory_mb / 1024)
        return invocations * self.lambda_request + gb_seconds * self.lambda_gb_second


_US_EAST_1 = Prices(
    region="us-east-1",
    standard_transition=0.000025,
    express_request=0.000001,
    express_gb_second=0.00001667,
    lambda_request=0.0000002,
    lambda_gb_second=0.0000166667,
    sqs_standard_request=0.0000004,
    sqs_fifo_request=0.0000005,
    dynamodb_write=0.000000625,
    dynamodb_read=0.000000125,
    eventbridge_event=0.000001,
)
_PRICES: Final[dict[str, Prices]] = {
    "us-east-1": _US_EAST_1,
    "ap-southeast-2": Prices(
        region="ap-southeast-2",
        standard_transition=0.000025,
        express_request=0.000001,
        express_gb_second=0.00001667,
        lambda_request=0.0000002,
        lambda_gb_second=0.0000166667,
        sqs_standard_request=0.0000004,
        sqs_fifo_request=0.0000005,
        dynamodb_write=0.000000711,
        dynamodb_read=0.000000142,
        eventbridge_event=0.000001,
    ),
}
