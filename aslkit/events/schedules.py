"""EventBridge schedule expressions, `rate(...)` and `cron(...)`: parsed once, with the next time each one fires.

Per AWS's documentation of scheduled rules (EventBridge User Guide, "Creating an Amazon EventBridge rule that runs
on a schedule"): `rate(value unit)` with a positive whole value and `minute(s)`, `hour(s)` or `day(s)` (singular
for 1); `cron(minutes hours day-of-month month day-of-week year)` in UTC, where

| field        | values             | wildcards      |
|--------------|--------------------|----------------|
| minutes      | 0-59               | , - * /        |
| hours        | 0-23               | , - * /        |
| day-of-month | 1-31               | , - * ? / L W  |
| month        | 1-12 or JAN-DEC    | , - * /        |
| day-of-week  | 1-7 or SUN-SAT     | , - * ? L #    |
| year         | 1970-2199          | , - * /        |

and exactly one of day-of-month and day-of-week is `?`. One-time `at(...)` schedules belong to EventBridge
Scheduler, not to rules. `parse` raises ScheduleError naming what is wrong.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from aslkit.errors import SpecError

_RATE = re.compile(r"^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$")
_UNIT = {"minute": 60, "hour": 3600, "day": 86400}
_MONTHS = {name: n for n, name in enumerate(["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT",
                                             "NOV", "DEC"], start=1)}  # fmt: skip
_DAYS = {name: n for n, name in enumerate(["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"], start=1)}


class ScheduleError(SpecError):
    """A schedule expression EventBridge would refuse."""


@dataclass(frozen=True)
class Rate:
    seconds: int

    def next_after(self, moment: datetime) -> datetime:
        return moment + timedelta(seconds=self.seconds)


@dataclass(frozen=True)
class Cron:
    minutes: frozenset[int]
    hours: frozenset[int]
    months: frozenset[int]
    years: frozenset[int]
    day_of_month: str  # kept as written: `?`, `L`, `LW`, `15W` or a value list
    day_of_week: str
    text: str

    def next_after(self, moment: datetime) -> datetime | None:
        """The first time after `moment` (UTC) the expression fires; None if it never fires again."""
        start = moment.astimezone(UTC).replace(second=0, microsecond=0) + timedelta(minutes=1)
        day = start.date()
        while day.year <= max(self.years):
            if day.year not in self.years:
                day = date(day.year + 1, 1, 1)
                continue
            if day.month not in self.months:
                day = (date(day.year, day.month, 1) + timedelta(days=32)).replace(day=1)
                continue
            if self._day_matches(day):
                for hour in sorted(self.hours):
                    for minute in sorted(self.minutes):
                        candidate = datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)
                        if candidate >= start:
                            return candidate
            day += timedelta(days=1)
        return None

    def _day_matches(self, day: date) -> bool:
        last = calendar.monthrange(day.year, day.month)[1]
        weekday = (day.weekday() + 1) % 7 + 1  # SUN=1 ... SAT=7
        if self.day_of_month != "?":
            return _day_of_month(self.day_of_month, day, last)
        return _day_of_week(self.day_of_week, day, weekday, last)


def parse(expression: str) -> Rate | Cron:
    text = expression.strip()
    rate = _RATE.match(text)
    if rate:
        value, unit = int(rate[1]), rate[2]
        if value < 1 or (value == 1) != (not unit.endswith("s")):
            raise ScheduleError(f"{expression!r}: write rate(1 {unit.rstrip('s')}) for one, "
                                f"rate(N {unit.rstrip('s')}s) for more")  # fmt: skip
        return Rate(value * _UNIT[unit.rstrip("s")])
    if text.startswith("rate("):
        raise ScheduleError(f"{expression!r}: a rate is rate(<whole number> minute(s)|hour(s)|day(s))")
    if not (text.startswith("cron(") and text.endswith(")")):
        raise ScheduleError(f"{expression!r}: EventBridge rules take rate(...) or cron(...) (one-time at(...) "
                            "schedules are EventBridge Scheduler's)")  # fmt: skip
    fields = text[5:-1].split()
    if len(fields) != 6:
        raise ScheduleError(f"{expression!r}: cron takes 6 fields (minutes hours day-of-month month day-of-week "
                            f"year), not {len(fields)}")  # fmt: skip
    minutes, hours, dom, month, dow, year = fields
    if (dom == "?") == (dow == "?"):
        raise ScheduleError(f"{expression!r}: exactly one of day-of-month and day-of-week must be '?'")
    try:
        cron = Cron(_values(minutes, 0, 59), _values(hours, 0, 23), _values(month, 1, 12, _MONTHS),
                    _values(year, 1970, 2199), dom.upper(), dow.upper(), text)  # fmt: skip
        if dom != "?" and not re.fullmatch(r"L|LW|\d{1,2}W", dom.upper()):
            _values(dom, 1, 31)
        if dow != "?" and not re.fullmatch(r"L|[1-7A-Z]{1,3}(L|#[1-5])", dow.upper()):
            _values(dow, 1, 7, _DAYS)
    except ValueError as error:
        raise ScheduleError(f"{expression!r}: {error}") from None
    return cron


def _values(field: str, low: int, high: int, names: dict[str, int] | None = None) -> frozenset[int]:
    """A field's values: `*`, `5`, `1-5`, `*/15`, `10-40/10`, `MON-FRI`, and lists of these."""
    found: set[int] = set()
    for part in field.upper().split(","):
        body, _, step_text = part.partition("/")
        step = _number(step_text, 1, high - low + 1, "a step", None) if step_text else 1
        if body in ("*", "?"):
            first, last = low, high
        elif "-" in body:
            first_text, last_text = body.split("-", 1)
            first, last = _number(first_text, low, high, "a value", names), _number(last_text, low, high, "a value",
                                                                                    names)  # fmt: skip
        else:
            first = _number(body, low, high, "a value", names)
            last = high if step_text else first
        if first > last:
            raise ValueError(f"{part!r} runs backwards")
        found.update(range(first, last + 1, step))
    return frozenset(found)


def _number(text: str, low: int, high: int, what: str, names: dict[str, int] | None) -> int:
    if names and text in names:
        return names[text]
    if not text.isdigit() or not low <= int(text) <= high:
        raise ValueError(f"{text!r} is not {what} from {low} to {high}")
    return int(text)


def _day_of_month(spec: str, day: date, last: int) -> bool:
    if spec == "L":
        return day.day == last
    if spec.endswith("W"):  # the weekday nearest to that day of the month (never leaving the month)
        target = last if spec == "LW" else min(int(spec[:-1]), last)
        nearest = date(day.year, day.month, target)
        if nearest.weekday() == 5:
            nearest -= timedelta(days=1) if target > 1 else timedelta(days=-2)
        elif nearest.weekday() == 6:
            nearest += timedelta(days=1) if target < last else timedelta(days=-2)
        return day == nearest
    return day.day in _values(spec, 1, 31)


def _day_of_week(spec: str, day: date, weekday: int, last: int) -> bool:
    if spec == "L":
        return weekday == 7
    if spec.endswith("L"):  # the last such weekday of the month
        return weekday == _number(spec[:-1], 1, 7, "a day of the week", _DAYS) and day.day + 7 > last
    if "#" in spec:  # the Nth such weekday of the month
        name, nth = spec.split("#")
        return weekday == _number(name, 1, 7, "a day of the week", _DAYS) and (day.day - 1) // 7 + 1 == int(nth)
    return weekday in _values(spec, 1, 7, _DAYS)
