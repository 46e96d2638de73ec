"""FHIR date search values: a value stands for the whole range its precision implies.

`2024-03` means all of March 2024, so every date value is parsed to a half-open range
[low, high) of UTC instants; prefixes then compare a stored instant against that range.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from painfhir.fhir.outcome import FhirError

Prefix = Literal["eq", "ne", "gt", "lt", "ge", "le", "sa", "eb", "ap"]
PREFIXES: tuple[Prefix, ...] = ("eq", "ne", "gt", "lt", "ge", "le", "sa", "eb", "ap")

_DATE = re.compile(
    r"(?P<year>\d{4})(?:-(?P<month>\d{2})(?:-(?P<day>\d{2})"
    r"(?:T(?P<hour>\d{2}):(?P<minute>\d{2})(?::(?P<second>\d{2})(?P<fraction>\.\d+)?)?"
    r"(?P<zone>Z|[+-]\d{2}:\d{2})?)?)?)?"
)


@dataclass(frozen=True, slots=True)
class DateRange:
    """A search value with its prefix: the instants in [low, high)."""

    prefix: Prefix
    low: datetime
    high: datetime


def _zone(text: str | None) -> timedelta:
    # A dateTime without a zone is read in UTC, the server's time zone.
    if text is None or text == "Z":
        return timedelta(0)
    sign = -1 if text[0] == "-" else 1
    return sign * timedelta(hours=int(text[1:3]), minutes=int(text[4:6]))


def _range_of(text: str) -> tuple[datetime, datetime]:
    match = _DATE.fullmatch(text)
    if match is None:
        raise ValueError(text)
    part = match.groupdict()
    year = int(part["year"])
    if part["month"] is None:
        return datetime(year, 1, 1, tzinfo=UTC), datetime(year + 1, 1, 1, tzinfo=UTC)
    month = int(part["month"])
    if part["day"] is None:
        low = datetime(year, month, 1, tzinfo=UTC)
        return low, datetime(year + month // 12, month % 12 + 1, 1, tzinfo=UTC)
    day = int(part["day"])
    if part["hour"] is None:
        low = datetime(year, month, day, tzinfo=UTC)
        return low, low + timedelta(days=1)
    fraction = part["fraction"] or ""
    second = int(part["second"] or 0)
    local = datetime(year, month, day, int(part["hour"]), int(part["minute"]), second)
    low = (local - _zone(part["zone"])).replace(tzinfo=UTC)
    if part["second"] is None:
        step = timedelta(minutes=1)
    elif not fraction:
        step = timedelta(seconds=1)
    else:
        digits = len(fraction) - 1
        low += timedelta(microseconds=int(fraction[1:7].ljust(6, "0")))
        step = timedelta(microseconds=10 ** max(0, 6 - digits))
    return low, low + step


def parse_date_value(param: str, value: str) -> DateRange:
    prefix: Prefix = "eq"
    if value[:2] in PREFIXES:
        prefix, value = value[:2], value[2:]  # type: ignore[assignment]
    try:
        low, high = _range_of(value)
    except ValueError as exc:
        raise FhirError.of(
            400, "value", f"'{value}' is not a valid date for search parameter '{param}'"
        ) from exc
    if prefix == "ap":
        # "Approximately": the spec leaves the margin to the server; 10 % of the distance
        # from now, at least a day, is the margin the spec's own example suggests.
        margin = max(abs(datetime.now(UTC) - low) / 10, timedelta(days=1))
        low, high = low - margin, high + margin
    return DateRange(prefix, low, high)
