"""Cost arithmetic at the dated prices."""

from __future__ import annotations

import pytest

from aslkit.cost import Prices


def test_standard_transitions() -> None:
    assert Prices.for_region().standard(transitions=1000) == pytest.approx(0.025)


def test_express_bills_requests_and_100ms_steps_at_64mb() -> None:
    price = Prices.for_region()
    one = price.express(requests=1, duration_ms=150)  # billed as 200 ms
    assert one == pytest.approx(0.000001 + 0.2 * (64 / 1024) * 0.00001667)
    assert price.express(requests=1, duration_ms=10) == price.express(requests=1, duration_ms=100), "100 ms minimum"


def test_lambda_requests_and_gb_seconds() -> None:
    assert Prices.for_region().lambda_(invocations=1000, duration_ms=100, memory_mb=1024) == pytest.approx(
        1000 * 0.0000002 + 100 * 0.0000166667
    )


def test_unknown_region_falls_back_to_us_east_1() -> None:
    assert Prices.for_region("eu-nowhere-1").region == "us-east-1"
    assert Prices.for_region("ap-southeast-2").dynamodb_write > Prices.for_region().dynamodb_write
