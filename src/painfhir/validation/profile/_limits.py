"""maxLength, minValue[x] and maxValue[x] of profile elements: a value beyond them is an error.

Numbers (integer, decimal, positiveInt, unsignedInt) are compared by value; times as written
(hh:mm:ss, so in order); dates, dateTimes and instants on the precision both have: a value
given to the month is only below a limit of 2024-03-15 when its month is before March 2024
(2024-03 may be before or after it, and is let pass), and two with times and time zones are
compared as the instants they are. A value of another shape is the structural check's business.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from painfhir.validation.profile._run import Run

_NUMBERS = frozenset({"Integer", "Decimal", "PositiveInt", "UnsignedInt"})


class MaxLengthCheck:
    """maxLength: a string value no longer than this many characters."""

    __slots__ = ("label", "limit", "profile")

    def __init__(self, limit: int, label: str, profile: str) -> None:
        self.limit = limit
        self.label = label
        self.profile = profile

    def __call__(self, value: Any, expression: str, run: Run) -> None:
        if type(value) is str and len(value) > self.limit:
            message = (
                f"{self.profile}: {self.label} may be at most {self.limit} characters long; "
                f"it is {len(value)}"
            )
            run.issue("error", "value", message, expression)


class RangeCheck:
    """minValue[x] (`lowest`) or maxValue[x]: the value may not go below (above) the limit."""

    __slots__ = ("label", "limit", "lowest", "profile", "type")

    def __init__(self, lowest: bool, limit: dict[str, Any], label: str, profile: str) -> None:
        self.lowest = lowest
        self.type: str = limit["type"]
        self.limit: Any = limit["value"]
        self.label = label
        self.profile = profile

    def __call__(self, value: Any, expression: str, run: Run) -> None:
        order = _compare(self.type, value, self.limit)
        if order is None or (order >= 0 if self.lowest else order <= 0):
            return
        bound = "at least" if self.lowest else "at most"
        message = f"{self.profile}: {self.label} must be {bound} {self.limit}; it is {value}"
        run.issue("error", "value", message, expression)


def _compare(type_: str, value: Any, limit: Any) -> int | None:
    """-1, 0 or 1 as `value` is below, at or above `limit`; None when that cannot be told."""
    if type_ in _NUMBERS:
        if type(value) is bool or not isinstance(value, int | Decimal | float):
            return None
        left, right = _decimal(value), _decimal(limit)
        return (left > right) - (left < right)
    if type(value) is not str or type(limit) is not str:
        return None
    if type_ == "Time":
        return (value > limit) - (value < limit)
    if "T" in value and "T" in limit:
        try:
            left_at, right_at = datetime.fromisoformat(value), datetime.fromisoformat(limit)
        except ValueError:
            return None
        if (left_at.tzinfo is None) == (right_at.tzinfo is None):
            return (left_at > right_at) - (left_at < right_at)
    # Dates (and a dateTime against a date): on the precision both have.
    day, limit_day = value.split("T")[0], limit.split("T")[0]
    shared = min(len(day), len(limit_day))
    if day[:shared] != limit_day[:shared]:
        return (day[:shared] > limit_day[:shared]) - (day[:shared] < limit_day[:shared])
    return 0 if len(day) == len(limit_day) else None


def _decimal(number: Any) -> Decimal:
    if isinstance(number, Decimal):
        return number
    try:
        return Decimal(repr(number)) if type(number) is float else Decimal(number)
    except InvalidOperation:  # pragma: no cover - numbers from JSON always convert
        return Decimal(0)
