"""Schedule expressions as EventBridge reads them (the rules of the EventBridge User Guide's "Using cron and rate
expressions to schedule rules"), and their next firing times."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from aslkit.events import Schedule
from aslkit.events.schedules import Cron, Rate, ScheduleError, parse
from aslkit.spec import SpecError


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def fires(expression: str, after: str, count: int = 3) -> list[str]:
    when, moment, out = parse(expression), at(after), []
    for _ in range(count):
        nxt = when.next_after(moment)
        if nxt is None:
            break
        out.append(nxt.strftime("%Y-%m-%d %a %H:%M"))
        moment = nxt
    return out


@pytest.mark.parametrize(("expression", "after", "expected"), [
    ("cron(0 10 * * ? *)", "2026-12-01T09:59:30", ["2026-12-01 Tue 10:00", "2026-12-02 Wed 10:00", "2026-12-03 Thu 10:00"]),
    ("cron(15 12 * * ? *)", "2026-12-01T12:15:00", ["2026-12-02 Wed 12:15", "2026-12-03 Thu 12:15", "2026-12-04 Fri 12:15"]),
    ("cron(0 18 ? * MON-FRI *)", "2026-12-04T18:00:00", ["2026-12-07 Mon 18:00", "2026-12-08 Tue 18:00", "2026-12-09 Wed 18:00"]),
    ("cron(0 8 1 * ? *)", "2026-12-01T09:00:00", ["2027-01-01 Fri 08:00", "2027-02-01 Mon 08:00", "2027-03-01 Mon 08:00"]),
    ("cron(1/10 2 * * ? *)", "2026-12-01T02:25:00", ["2026-12-01 Tue 02:31", "2026-12-01 Tue 02:41", "2026-12-01 Tue 02:51"]),
    ("cron(0/5 8-17 ? * MON-FRI *)", "2026-12-04T17:56:00", ["2026-12-07 Mon 08:00", "2026-12-07 Mon 08:05", "2026-12-07 Mon 08:10"]),
    ("cron(0 0 L * ? *)", "2027-01-31T00:00:00", ["2027-02-28 Sun 00:00", "2027-03-31 Wed 00:00", "2027-04-30 Fri 00:00"]),
    ("cron(0 9 ? * 6L *)", "2026-12-01T00:00:00", ["2026-12-25 Fri 09:00", "2027-01-29 Fri 09:00", "2027-02-26 Fri 09:00"]),
    ("cron(0 9 ? * 3#2 *)", "2026-12-01T00:00:00", ["2026-12-08 Tue 09:00", "2027-01-12 Tue 09:00", "2027-02-09 Tue 09:00"]),
    ("cron(0 9 15W * ? *)", "2026-11-01T00:00:00", ["2026-11-16 Mon 09:00", "2026-12-15 Tue 09:00", "2027-01-15 Fri 09:00"]),
    ("cron(0 0 29 2 ? *)", "2026-12-01T00:00:00", ["2028-02-29 Tue 00:00", "2032-02-29 Sun 00:00", "2036-02-29 Fri 00:00"]),
    ("cron(30 14 10,20 * ? 2026-2027)", "2027-12-15T00:00:00", ["2027-12-20 Mon 14:30"]),
    ("cron(0 0 1 JAN,JUL ? *)", "2026-12-01T00:00:00", ["2027-01-01 Fri 00:00", "2027-07-01 Thu 00:00", "2028-01-01 Sat 00:00"]),
])  # fmt: skip
def test_cron_fires_when_eventbridge_would(expression: str, after: str, expected: list[str]) -> None:
    assert fires(expression, after) == expected


def test_rates_are_periods_from_now() -> None:
    assert parse("rate(1 minute)") == Rate(60) and parse("rate(5 minutes)") == Rate(300)
    assert parse("rate(1 day)").next_after(at("2026-12-01T10:00:00")) == at("2026-12-02T10:00:00")
    assert isinstance(parse("cron(0 10 * * ? *)"), Cron)


@pytest.mark.parametrize(("expression", "says"), [
    ("rate(1 minutes)", "rate(1 minute) for one"),
    ("rate(5 minute)", "rate(N minutes) for more"),
    ("rate(0 minutes)", "rate(N minutes)"),
    ("rate(5 weeks)", "a rate is rate(<whole number>"),
    ("at(2026-12-24T10:00:00)", "EventBridge Scheduler"),
    ("cron(0 10 * * *)", "6 fields"),
    ("cron(0 10 * * * *)", "exactly one of day-of-month and day-of-week"),
    ("cron(0 10 ? * ? *)", "exactly one of day-of-month and day-of-week"),
    ("cron(60 10 * * ? *)", "'60' is not a value from 0 to 59"),
    ("cron(0 24 * * ? *)", "'24' is not a value from 0 to 23"),
    ("cron(0 10 ? * FUNDAY *)", "'FUNDAY' is not a value from 1 to 7"),
    ("cron(0 10 20-10 * ? *)", "runs backwards"),
    ("cron(0 10 * * ? 1969)", "from 1970 to 2199"),
])  # fmt: skip
def test_bad_expressions_are_refused_with_what_is_wrong(expression: str, says: str) -> None:
    with pytest.raises(ScheduleError, match=None) as caught:
        parse(expression)
    assert says in str(caught.value)


def test_the_spec_refuses_a_bad_schedule_by_name() -> None:
    with pytest.raises(SpecError, match="schedule 'nightly': 'cron\\(0 10 \\* \\* \\* \\*\\)': exactly one"):
        Schedule("nightly", "cron(0 10 * * * *)", target=None)  # type: ignore[arg-type]
