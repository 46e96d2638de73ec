"""iif() and the conversion functions (N1 §5.5): toX() and convertsToX()."""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from painfhir.fhirpath._context import Context, Run
from painfhir.fhirpath._model import system_value
from painfhir.fhirpath._quantity import CALENDAR_UNITS, Quantity, convert, literal
from painfhir.fhirpath._registry import FALSE, TRUE, function, single, truth
from painfhir.fhirpath._temporal import Temporal, parse_date_time, parse_time


@function("iif", 2, 3, arguments="lambdas")
def _iif(items: list[Any], runs: tuple[Run, ...], context: Context) -> list[Any]:
    # The criterion and results are evaluated on the input, so `x.iif(empty(), a, b)` asks
    # whether x is empty (CareTeam's ctm-1 is written so).
    if truth(runs[0](items, context), "iif()"):
        return runs[1](items, context)
    return runs[2](items, context) if len(runs) > 2 else []


_TRUE_TEXTS = frozenset({"true", "t", "yes", "y", "1", "1.0"})
_FALSE_TEXTS = frozenset({"false", "f", "no", "n", "0", "0.0"})
_INTEGER = re.compile(r"[+-]?\d+")
_DECIMAL = re.compile(r"[+-]?\d+(?:\.\d+)?")
_QUANTITY = re.compile(r"(?P<value>[+-]?\d+(?:\.\d+)?)\s*(?:'(?P<ucum>[^']+)'|(?P<word>[a-z]+))?")


def to_boolean(value: Any) -> bool | None:
    if type(value) is bool:
        return value
    if type(value) is int or isinstance(value, Decimal):
        return True if value == 1 else (False if value == 0 else None)
    if type(value) is str:
        text = value.lower()
        return True if text in _TRUE_TEXTS else (False if text in _FALSE_TEXTS else None)
    return None


def to_integer(value: Any) -> int | None:
    if type(value) is bool:
        return int(value)
    if type(value) is int:
        return value
    if type(value) is str and _INTEGER.fullmatch(value):
        return int(value)
    return None


def to_decimal(value: Any) -> Decimal | None:
    if type(value) is bool:
        return Decimal("1.0") if value else Decimal("0.0")
    if type(value) is int or isinstance(value, Decimal):
        return Decimal(value)
    if type(value) is str and _DECIMAL.fullmatch(value):
        return Decimal(value)
    return None


def to_string(value: Any) -> str | None:
    if type(value) is bool:
        return "true" if value else "false"
    if type(value) in (str, int) or isinstance(value, Decimal | Temporal | Quantity):
        return str(value)
    return None


def to_date(value: Any) -> Temporal | None:
    if isinstance(value, Temporal) and value.kind != "Time":
        parts = value.parts[:3]
        return Temporal("Date", parts, None, None, value.text[: (4, 7, 10)[len(parts) - 1]])
    if type(value) is str:
        found = parse_date_time(value, "Date")
        return to_date(found) if found is not None else None
    return None


def to_date_time(value: Any) -> Temporal | None:
    if isinstance(value, Temporal) and value.kind != "Time":
        return Temporal("DateTime", value.parts, value.second, value.zone, value.text)
    if type(value) is str:
        return parse_date_time(value, "DateTime")
    return None


def to_time(value: Any) -> Temporal | None:
    if isinstance(value, Temporal) and value.kind == "Time":
        return value
    return parse_time(value) if type(value) is str else None


def to_quantity(value: Any, unit: str | None = None) -> Quantity | None:
    quantity: Quantity | None = None
    if type(value) is bool:
        quantity = Quantity(Decimal("1.0") if value else Decimal("0.0"), "1")
    elif type(value) is int or isinstance(value, Decimal):
        quantity = Quantity(Decimal(value), "1")
    elif isinstance(value, Quantity):
        quantity = value
    elif type(value) is str and (match := _QUANTITY.fullmatch(value.strip())) is not None:
        number = Decimal(match.group("value"))
        word = match.group("word")
        if word is not None and word not in CALENDAR_UNITS:
            return None
        if word is not None:
            quantity = literal(number, word, calendar=True)
        else:
            quantity = Quantity(number, match.group("ucum") or "1")
    if quantity is None or unit is None or quantity.unit == unit:
        return quantity
    return convert(quantity, unit)


def _conversion(name: str, convert_: Callable[[Any], Any]) -> None:
    def to(items: list[Any], context: Context) -> list[Any]:
        value = system_value(single(items, f"{name}()"))
        if value is None:
            return []
        result = convert_(value)
        return [] if result is None else [result]

    def converts(items: list[Any], context: Context) -> list[Any]:
        if not items:
            return []
        return TRUE if to(items, context) else FALSE

    function(f"to{name}")(to)
    function(f"convertsTo{name}")(converts)


for _name, _convert in (
    ("Boolean", to_boolean),
    ("Integer", to_integer),
    ("Decimal", to_decimal),
    ("String", to_string),
    ("Date", to_date),
    ("DateTime", to_date_time),
    ("Time", to_time),
):
    _conversion(_name, _convert)


@function("toQuantity", 0, 1, arguments="values")
def _to_quantity(items: list[Any], args: list[list[Any]], context: Context) -> list[Any]:
    value = system_value(single(items, "toQuantity()"))
    unit = single(args[0], "toQuantity()") if args else None
    result = None if value is None else to_quantity(value, unit)
    return [] if result is None else [result]


@function("convertsToQuantity", 0, 1, arguments="values")
def _converts_to_quantity(items: list[Any], args: list[list[Any]], context: Context) -> list[Any]:
    if not items:
        return []
    return TRUE if _to_quantity(items, args, context) else FALSE
