"""The operators (N1 §6): logic with three values, comparison, membership, union, math.

Empty propagates: an operand that is empty makes the result empty, except where the
specification says otherwise (`and`, `or`, `implies` know their answer from one side; `&`
treats empty as ''; `in` with an empty right side is false).
"""

from __future__ import annotations

from decimal import Decimal, DivisionByZero, InvalidOperation
from typing import Any

from painfhir.fhirpath._equality import compare, equals, equivalent, item_equals
from painfhir.fhirpath._errors import FhirPathEvaluationError
from painfhir.fhirpath._fn_existence import distinct
from painfhir.fhirpath._model import system_value
from painfhir.fhirpath._quantity import Quantity, comparable_values, convert
from painfhir.fhirpath._registry import boolean, single
from painfhir.fhirpath._temporal import Temporal, shift


def logic_and(a: bool | None, b: bool | None) -> bool | None:
    if a is False or b is False:
        return False
    return None if a is None or b is None else True


def logic_or(a: bool | None, b: bool | None) -> bool | None:
    if a is True or b is True:
        return True
    return None if a is None or b is None else False


def logic_xor(a: bool | None, b: bool | None) -> bool | None:
    return None if a is None or b is None else a != b


def logic_implies(a: bool | None, b: bool | None) -> bool | None:
    if a is False or b is True:
        return True
    return None if a is None or b is None else False


def equality(operator: str, left: list[Any], right: list[Any]) -> list[Any]:
    if operator == "=":
        return boolean(equals(left, right))
    if operator == "!=":
        result = equals(left, right)
        return boolean(None if result is None else not result)
    if operator == "~":
        return boolean(equivalent(left, right))
    return boolean(not equivalent(left, right))


_ORDER = {"<": (-1,), "<=": (-1, 0), ">": (1,), ">=": (1, 0)}


def ordering(operator: str, left: list[Any], right: list[Any]) -> list[Any]:
    a, b = single(left, operator), single(right, operator)
    if a is None or b is None:
        return []
    order = compare(a, b)
    return [] if order is None else boolean(order in _ORDER[operator])


def membership(item_side: list[Any], collection: list[Any], operator: str) -> list[Any]:
    """`x in c` / `c contains x`: empty for an empty x; false for an empty c."""
    item = single(item_side, operator)
    if item is None:
        return []
    return boolean(any(item_equals(item, other) is True for other in collection))


def union(left: list[Any], right: list[Any]) -> list[Any]:
    return distinct(left + right)


def concatenate(left: list[Any], right: list[Any]) -> list[Any]:
    """`&`: strings joined, an empty side counting as ''."""
    a, b = system_value(single(left, "&")), system_value(single(right, "&"))
    if not isinstance(a or "", str) or not isinstance(b or "", str):
        raise FhirPathEvaluationError("& needs Strings")
    return [(a or "") + (b or "")]


def negate(items: list[Any]) -> list[Any]:
    value = system_value(single(items, "-"))
    if value is None:
        return []
    if isinstance(value, Quantity):
        return [Quantity(-value.value, value.unit)]
    if _number(value):
        return [-value]
    raise FhirPathEvaluationError(f"cannot negate {value!r}")


def _number(value: Any) -> bool:
    return type(value) is int or isinstance(value, Decimal)


def arithmetic(operator: str, left: list[Any], right: list[Any]) -> list[Any]:
    a, b = system_value(single(left, operator)), system_value(single(right, operator))
    if a is None or b is None:
        return []
    try:
        result = _calculate(operator, a, b)
    except (DivisionByZero, InvalidOperation, ZeroDivisionError):
        return []  # division by zero gives empty, as FHIRPath says
    return [] if result is None else [result]


def _calculate(operator: str, a: Any, b: Any) -> Any:
    if _number(a) and _number(b):
        return _numbers(operator, a, b)
    if operator == "+" and type(a) is str and type(b) is str:
        return a + b
    if isinstance(a, Temporal) and isinstance(b, Quantity) and operator in "+-":
        unit = b.calendar_unit()
        if unit is None:
            raise FhirPathEvaluationError(f"cannot add {b} to a date or time")
        return shift(a, b.value if operator == "+" else -b.value, unit)
    if isinstance(a, Quantity) or isinstance(b, Quantity):
        return _quantities(operator, a, b)
    raise FhirPathEvaluationError(f"{operator} is not defined for {a!r} and {b!r}")


def _numbers(operator: str, a: int | Decimal, b: int | Decimal) -> Any:
    if operator == "+":
        return a + b
    if operator == "-":
        return a - b
    if operator == "*":
        return a * b
    if operator == "/":
        return Decimal(a) / Decimal(b)
    if operator == "div":
        quotient = Decimal(a) / Decimal(b)
        return int(quotient)  # truncated towards zero
    remainder = Decimal(a) % Decimal(b)  # mod: the sign of the dividend, like truncation
    return int(remainder) if type(a) is int and type(b) is int else remainder


def _quantities(operator: str, a: Any, b: Any) -> Quantity | Decimal | None:
    if operator in "+-" and isinstance(a, Quantity) and isinstance(b, Quantity):
        other = convert(b, a.unit)  # the result is in the left operand's unit
        if other is None:
            return None
        total = a.value + other.value if operator == "+" else a.value - other.value
        return Quantity(total, a.unit)
    if operator == "*" and _number(a) != _number(b):
        quantity, factor = (b, a) if _number(a) else (a, b)
        return Quantity(quantity.value * Decimal(factor), quantity.unit)
    if operator == "/" and isinstance(a, Quantity) and _number(b):
        return Quantity(a.value / Decimal(b), a.unit)
    if operator == "/" and isinstance(a, Quantity) and isinstance(b, Quantity):
        values = comparable_values(a, b)
        return None if values is None else values[0] / values[1]
    raise FhirPathEvaluationError(f"{operator} is not defined for {a} and {b}")
