"""Math functions (FHIRPath 2.0 §5.7, which N1 lacks but profiles use): on a single Integer,
Decimal or (for abs, ceiling, floor, round, truncate) Quantity."""

from __future__ import annotations

from collections.abc import Callable
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from painfhir.fhirpath._context import Context
from painfhir.fhirpath._errors import FhirPathEvaluationError
from painfhir.fhirpath._model import system_value
from painfhir.fhirpath._quantity import Quantity
from painfhir.fhirpath._registry import function, single


def _number(items: list[Any], what: str) -> int | Decimal | Quantity | None:
    value = system_value(single(items, what))
    if value is None or isinstance(value, Quantity):
        return value
    if type(value) is int or isinstance(value, Decimal):
        return value
    raise FhirPathEvaluationError(f"{what} needs a number, not {value!r}")


def _on_value(
    value: int | Decimal | Quantity, operation: Callable[[Decimal], Decimal | int]
) -> Any:
    if isinstance(value, Quantity):
        return Quantity(Decimal(operation(value.value)), value.unit)
    return operation(Decimal(value))


def _math(name: str, operation: Callable[[Decimal], Decimal | int]) -> None:
    def run(items: list[Any], context: Context) -> list[Any]:
        value = _number(items, f"{name}()")
        if value is None:
            return []
        try:
            return [_on_value(value, operation)]
        except (InvalidOperation, ValueError, ArithmeticError):
            return []  # ln(-1), sqrt(-1): no answer

    function(name)(run)


_math("ceiling", lambda v: int(v.to_integral_value(ROUND_CEILING)))
_math("floor", lambda v: int(v.to_integral_value(ROUND_FLOOR)))
_math("truncate", int)
_math("exp", lambda v: v.exp())
_math("ln", lambda v: v.ln())
_math("sqrt", lambda v: v.sqrt())


@function("abs")  # an Integer stays an Integer
def _abs(items: list[Any], context: Context) -> list[Any]:
    value = _number(items, "abs()")
    if value is None:
        return []
    return [Quantity(abs(value.value), value.unit) if isinstance(value, Quantity) else abs(value)]


@function("log", 1, arguments="values")
def _log(items: list[Any], args: list[list[Any]], context: Context) -> list[Any]:
    value, base = _number(items, "log()"), _number(args[0], "log()")
    if not isinstance(value, int | Decimal) or not isinstance(base, int | Decimal):
        return []
    try:
        return [Decimal(value).ln() / Decimal(base).ln()]
    except (InvalidOperation, ArithmeticError):
        return []


@function("power", 1, arguments="values")
def _power(items: list[Any], args: list[list[Any]], context: Context) -> list[Any]:
    value, exponent = _number(items, "power()"), _number(args[0], "power()")
    if not isinstance(value, int | Decimal) or not isinstance(exponent, int | Decimal):
        return []
    if type(value) is int and type(exponent) is int and exponent >= 0:
        return [value**exponent]
    try:
        result = Decimal(value) ** Decimal(exponent)
    except (InvalidOperation, ArithmeticError):
        return []
    return [] if result.is_nan() else [result]


@function("round", 0, 1, arguments="values")
def _round(items: list[Any], args: list[list[Any]], context: Context) -> list[Any]:
    value = _number(items, "round()")
    places = single(args[0], "round()") if args else 0
    if value is None or places is None:
        return []
    quantum = Decimal(1).scaleb(-places)
    return [_on_value(value, lambda v: v.quantize(quantum, rounding=ROUND_HALF_UP))]
