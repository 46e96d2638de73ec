"""FHIRPath Date, DateTime and Time values: partial precision, time zones, comparison.

A value keeps the components it was written with (`2020-03` has a year and a month and nothing
else). Comparison goes component by component from the largest; when all the components both
values have are equal but one value has more of them, the answer is unknown (None), which
FHIRPath turns into an empty result. Seconds and their fraction are one precision, as FHIRPath
says. Values with a time of day and a time zone are compared in UTC; a value without a zone is
taken to be in UTC, the zone of painfhir's evaluation environment.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Literal

TemporalKind = Literal["Date", "DateTime", "Time"]

_DATE_TIME = re.compile(
    r"(?P<year>\d{4})(?:-(?P<month>\d{2})(?:-(?P<day>\d{2}))?)?"
    r"(?:(?P<t>T)(?:(?P<hour>\d{2})(?::(?P<minute>\d{2})(?::(?P<second>\d{2}(?:\.\d+)?))?)?)?"
    r"(?P<zone>Z|[+-]\d{2}:\d{2})?)?"
)
_TIME = re.compile(r"T?(?P<hour>\d{2})(?::(?P<minute>\d{2})(?::(?P<second>\d{2}(?:\.\d+)?))?)?")
_NAMES = ("year", "month", "day", "hour", "minute")


@dataclass(frozen=True, slots=True)
class Temporal:
    """A Date, DateTime or Time. `parts` are the whole components written (year, month, day,
    hour, minute; a Time starts at hour), `second` the seconds with their fraction if written,
    `zone` the offset from UTC in minutes if written."""

    kind: TemporalKind
    parts: tuple[int, ...]
    second: Decimal | None
    zone: int | None
    text: str

    @property
    def precision(self) -> int:
        return len(self.parts) + (self.second is not None)

    def __str__(self) -> str:
        return self.text

    def components(self) -> tuple[Decimal | int, ...]:
        """The components in UTC when the value has a time of day and a zone."""
        parts: tuple[Decimal | int, ...] = self.parts
        if self.kind == "DateTime" and len(self.parts) >= 4 and self.zone:
            parts = _in_utc(self.parts, self.zone)
        return parts if self.second is None else (*parts, self.second)


def _in_utc(parts: tuple[int, ...], zone: int) -> tuple[int, ...]:
    year, month, day, hour = parts[:4]
    minute = parts[4] if len(parts) > 4 else 0
    moment = datetime(year, month, day, hour, minute) - timedelta(minutes=zone)
    fields = (moment.year, moment.month, moment.day, moment.hour, moment.minute)
    return fields[: len(parts)]


def compare(left: Temporal, right: Temporal) -> int | None:
    """-1, 0 or 1; None when the precisions differ and decide it, or Time meets a date."""
    if (left.kind == "Time") != (right.kind == "Time"):
        return None
    a, b = left.components(), right.components()
    for x, y in zip(a, b, strict=False):
        if x != y:
            return -1 if x < y else 1
    return 0 if len(a) == len(b) else None


def equivalent(left: Temporal, right: Temporal) -> bool:
    """`~`: the same precision and the same values (different precisions are not equivalent)."""
    return left.precision == right.precision and compare(left, right) == 0


def _zone_minutes(zone: str | None) -> int | None:
    if zone is None:
        return None
    if zone == "Z":
        return 0
    sign = -1 if zone[0] == "-" else 1
    return sign * (int(zone[1:3]) * 60 + int(zone[4:6]))


@lru_cache(maxsize=4096)
def parse_date_time(text: str, kind: TemporalKind = "DateTime") -> Temporal | None:
    """A FHIR date/dateTime/instant or FHIRPath Date/DateTime literal text; None if not one."""
    match = _DATE_TIME.fullmatch(text)
    if match is None:
        return None
    groups = match.groupdict()
    parts = tuple(int(groups[name]) for name in _NAMES if groups[name] is not None)
    if not _valid(parts):
        return None
    second = Decimal(groups["second"]) if groups["second"] else None
    if groups["t"] is not None:
        kind = "DateTime"
    return Temporal(kind, parts, second, _zone_minutes(groups["zone"]), text)


def parse_date(text: str) -> Temporal | None:
    value = parse_date_time(text, "Date")
    return value if value is not None and value.kind == "Date" else None


@lru_cache(maxsize=1024)
def parse_time(text: str) -> Temporal | None:
    match = _TIME.fullmatch(text)
    if match is None:
        return None
    hour, minute = match.group("hour"), match.group("minute")
    parts = (int(hour),) if minute is None else (int(hour), int(minute))
    second = Decimal(match.group("second")) if match.group("second") else None
    if parts[0] > 23 or (len(parts) > 1 and parts[1] > 59):
        return None
    return Temporal("Time", parts, second, None, text.removeprefix("T"))


def _valid(parts: tuple[int, ...]) -> bool:
    limits = ((1, 9999), (1, 12), (1, 31), (0, 23), (0, 59))
    if any(not low <= value <= high for value, (low, high) in zip(parts, limits, strict=False)):
        return False
    if len(parts) >= 3:
        try:
            datetime(parts[0], parts[1], parts[2])
        except ValueError:
            return False
    return True


def now() -> Temporal:
    moment = datetime.now(UTC)
    text = moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return _from_datetime(moment, text)


def today() -> Temporal:
    day = datetime.now(UTC).date()
    return Temporal("Date", (day.year, day.month, day.day), None, None, day.isoformat())


def time_of_day() -> Temporal:
    moment = datetime.now(UTC)
    second = Decimal(f"{moment.second}.{moment.microsecond // 1000:03d}")
    text = f"{moment.hour:02d}:{moment.minute:02d}:{second:06.3f}"
    return Temporal("Time", (moment.hour, moment.minute), second, None, text)


def _from_datetime(moment: datetime, text: str) -> Temporal:
    second = Decimal(f"{moment.second}.{moment.microsecond // 1000:03d}")
    parts = (moment.year, moment.month, moment.day, moment.hour, moment.minute)
    return Temporal("DateTime", parts, second, 0, text)


# --- arithmetic ------------------------------------------------------------------------------

_SECONDS: dict[str, Decimal] = {
    "week": Decimal(604800),
    "day": Decimal(86400),
    "hour": Decimal(3600),
    "minute": Decimal(60),
    "second": Decimal(1),
    "millisecond": Decimal("0.001"),
}
_DATE_UNITS = ("year", "month", "day", "hour", "minute", "second")
_TIME_UNITS = ("hour", "minute", "second")


def shift(value: Temporal, amount: Decimal, unit: str) -> Temporal | None:
    """`value + amount unit` for a calendar unit (year ... millisecond). As FHIRPath says, the
    amount is first converted to the finest unit the value has, dropping any fraction
    (`@2014 + 24 months` is `@2016`); None where that cannot be done (days onto a year)."""
    units = _TIME_UNITS if value.kind == "Time" else _DATE_UNITS
    finest = units[value.precision - 1]
    if unit in ("year", "month"):
        months = amount * (12 if unit == "year" else 1)
        if value.kind == "Time":
            return None
        whole = int(months / 12) * 12 if finest == "year" else int(months)
        return _shift_months(value, whole)
    if finest in ("year", "month"):
        return None
    seconds = amount * _SECONDS[unit]
    if finest == "second":
        return _shift_seconds(value, seconds)
    step = _SECONDS[finest]
    minutes = int(int(seconds / step) * step / 60)
    return _shift_clock(value, minutes) if value.kind == "Time" else _shift_minutes(value, minutes)


def _shift_months(value: Temporal, months: int) -> Temporal:
    parts = list(value.parts)
    total = parts[0] * 12 + (parts[1] - 1 if len(parts) > 1 else 0) + months
    parts[0] = total // 12
    if len(parts) > 1:
        parts[1] = total % 12 + 1
    if len(parts) > 2:  # the last day of a shorter month, as FHIRPath says
        for day in range(parts[2], 27, -1):
            if _valid((parts[0], parts[1], day)):
                parts[2] = day
                break
    return _rebuilt(value, tuple(parts), value.second)


def _shift_minutes(value: Temporal, minutes: int) -> Temporal:
    parts = value.parts
    year, month, day, hour, minute = (*parts, *(0 for _ in range(5 - len(parts))))
    moment = datetime(year, month or 1, day or 1, hour, minute) + timedelta(minutes=minutes)
    fields = (moment.year, moment.month, moment.day, moment.hour, moment.minute)
    return _rebuilt(value, fields[: len(parts)], value.second)


def _shift_clock(value: Temporal, minutes: int) -> Temporal:
    hour = value.parts[0]
    minute = value.parts[1] if len(value.parts) > 1 else 0
    total = (hour * 60 + minute + minutes) % 1440
    parts = (total // 60, total % 60)[: len(value.parts)]
    return _rebuilt(value, parts, value.second)


def _shift_seconds(value: Temporal, seconds: Decimal) -> Temporal | None:
    if value.second is None:
        return None
    total = value.second + seconds
    minutes = int(total // 60)
    second = total - minutes * 60
    moved = _shift_clock(value, minutes) if value.kind == "Time" else _shift_minutes(value, minutes)
    return _rebuilt(moved, moved.parts, second)


def _rebuilt(value: Temporal, parts: tuple[int, ...], second: Decimal | None) -> Temporal:
    return Temporal(value.kind, parts, second, value.zone, _text(value, parts, second))


def _text(value: Temporal, parts: tuple[int, ...], second: Decimal | None) -> str:
    widths = (2, 2) if value.kind == "Time" else (4, 2, 2, 2, 2)
    fields = [f"{part:0{width}d}" for part, width in zip(parts, widths, strict=False)]
    if second is not None:
        whole, _, fraction = f"{second:f}".partition(".")
        fields.append(whole.zfill(2) + (f".{fraction}" if fraction else ""))
    if value.kind == "Time":
        return ":".join(fields)
    text = "-".join(fields[:3])
    if len(fields) > 3:
        text += "T" + ":".join(fields[3:])
    if value.zone is not None and len(parts) > 3:
        text += _zone_text(value.zone)
    return text


def _zone_text(zone: int) -> str:
    if zone == 0:
        return "Z"
    sign = "-" if zone < 0 else "+"
    return f"{sign}{abs(zone) // 60:02d}:{abs(zone) % 60:02d}"
