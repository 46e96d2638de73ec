"""FHIRPath Quantity values: a decimal and a unit, compared and converted through UCUM.

A unit is a UCUM code or one of FHIRPath's calendar duration keywords (`year`, `month`, `week`,
`day`, `hour`, `minute`, `second`, `millisecond`). Calendar durations of a week or less are
the UCUM units of the same length; a calendar year or month has no fixed length, so it is
only comparable with calendar years and months (`1 year = 12 months`), never with UCUM `a`/`mo`.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from painfhir.fhirpath._ucum import Canonical, canonical

UCUM = "http://unitsofmeasure.org"
CALENDAR_UNITS = {
    "year": "year", "years": "year", "month": "month", "months": "month",
    "week": "wk", "weeks": "wk", "day": "d", "days": "d", "hour": "h", "hours": "h",
    "minute": "min", "minutes": "min", "second": "s", "seconds": "s",
    "millisecond": "ms", "milliseconds": "ms",
}  # fmt: skip
"""Calendar keyword -> the unit it is compared as (its UCUM unit, or itself for year/month)."""
_CALENDAR_NAMES = {"wk": "week", "d": "day", "h": "hour", "min": "minute", "s": "second"}
_CALENDAR_NAMES["ms"] = "millisecond"
_YEAR = "year"
_DIMENSION_OF_YEARS = (("calendar-month", 1),)


@dataclass(frozen=True, slots=True)
class Quantity:
    value: Decimal
    unit: str  # a UCUM code, or a calendar keyword in its singular form

    def __str__(self) -> str:
        if self.unit in ("year", "month", "week", "day", "hour", "minute", "second"):
            return f"{self.value} {self.unit}"
        if self.unit == "millisecond":
            return f"{self.value} {self.unit}"
        return f"{self.value} '{self.unit}'"

    def calendar_unit(self) -> str | None:
        """The calendar keyword this quantity's unit means, for date arithmetic."""
        if self.unit in ("year", "month", "week", "day", "hour", "minute", "second"):
            return self.unit
        if self.unit == "millisecond":
            return self.unit
        return {"a": "year", "mo": "month", **_CALENDAR_NAMES}.get(self.unit)


def literal(value: Decimal | int, unit: str, *, calendar: bool = False) -> Quantity:
    """A quantity as written in FHIRPath: `4 'mg'` (a UCUM code) or `3 days` (a calendar
    keyword, singular or plural)."""
    if calendar:
        keyword = CALENDAR_UNITS[unit]
        unit = keyword if keyword in ("year", "month") else _CALENDAR_NAMES[keyword]
    return Quantity(Decimal(value), unit)


def from_fhir(element: Any) -> Quantity | None:
    """A FHIR Quantity (or Age, Duration, ...) element; None without a value. The unit is the
    UCUM code when the system is UCUM (or absent) and a code is given, else the human unit."""
    if type(element) is not dict:
        return None
    value = element.get("value")
    if value is None or type(value) is bool:
        return None
    code, system = element.get("code"), element.get("system")
    unit = code if isinstance(code, str) and system in (None, UCUM) else element.get("unit")
    return Quantity(Decimal(value), unit if isinstance(unit, str) else "1")


def _canonical(unit: str) -> Canonical | None:
    if unit == "year":
        return Decimal(12), _DIMENSION_OF_YEARS
    if unit == "month":
        return Decimal(1), _DIMENSION_OF_YEARS
    if unit in _CALENDAR_NAMES.values():
        unit = next(code for code, name in _CALENDAR_NAMES.items() if name == unit)
    return canonical(unit)


def comparable_values(left: Quantity, right: Quantity) -> tuple[Decimal, Decimal] | None:
    """Both values in one unit, or None when the units do not convert into each other."""
    if left.unit == right.unit:
        return left.value, right.value
    a, b = _canonical(left.unit), _canonical(right.unit)
    if a is None or b is None or a[1] != b[1]:
        return None
    return left.value * a[0], right.value * b[0]


def compare(left: Quantity, right: Quantity) -> int | None:
    values = comparable_values(left, right)
    if values is None:
        return None
    a, b = values
    return (a > b) - (a < b)


def convert(quantity: Quantity, unit: str) -> Quantity | None:
    """The same amount in another unit, if they convert."""
    target = Quantity(Decimal(1), unit)
    values = comparable_values(quantity, target)
    if values is None:
        return None
    return Quantity(values[0] / values[1], unit)
