"""Equality (`=`), equivalence (`~`), ordering (`<` ...) and identity (for `distinct`).

Operands are compared by their System values: a FHIR `code` as a String, an `instant` as a
DateTime, a FHIR Quantity as a Quantity. Integers and decimals compare by value (`1 = 1.0`).
Other FHIR elements are equal when their JSON is, member by member, with numbers by value.
"""

from __future__ import annotations

from collections.abc import Hashable
from decimal import Decimal
from typing import Any, cast

from painfhir.fhirpath._errors import FhirPathEvaluationError
from painfhir.fhirpath._model import system_type, system_value
from painfhir.fhirpath._quantity import Quantity
from painfhir.fhirpath._quantity import compare as compare_quantities
from painfhir.fhirpath._temporal import Temporal
from painfhir.fhirpath._temporal import compare as compare_temporals
from painfhir.fhirpath._temporal import equivalent as equivalent_temporals


def _is_number(value: Any) -> bool:
    return (type(value) is int) or isinstance(value, Decimal)


def item_equals(left: Any, right: Any) -> bool | None:
    """`=` on two items: None when it cannot be known (dates of different precision,
    quantities of incomparable units, a primitive that has only extensions)."""
    a, b = system_value(left), system_value(right)
    if a is None or b is None:
        return None
    if type(a) is str or type(b) is str:
        return a == b if type(a) is type(b) else False
    if type(a) is bool or type(b) is bool:
        return a is b
    if _is_number(a) and _is_number(b):
        return bool(a == b)
    if isinstance(a, Temporal) and isinstance(b, Temporal):
        order = compare_temporals(a, b)
        return None if order is None else order == 0
    if isinstance(a, Quantity) or isinstance(b, Quantity):
        order = _compare_quantities(a, b)
        return None if order is None else order == 0
    if type(a) is tuple and type(b) is tuple:
        return json_equal(a[1], b[1])
    return False


def equals(left: list[Any], right: list[Any]) -> bool | None:
    """`=` on collections: empty if either is; otherwise item by item, in order."""
    if not left or not right:
        return None
    if len(left) != len(right):
        return False
    for a, b in zip(left, right, strict=True):
        result = item_equals(a, b)
        if result is not True:
            return result
    return True


def json_equal(a: Any, b: Any) -> bool:
    if type(a) is dict:
        return type(b) is dict and a.keys() == b.keys() and all(json_equal(a[k], b[k]) for k in a)
    if type(a) is list:
        return (
            type(b) is list
            and len(a) == len(b)
            and all(json_equal(x, y) for x, y in zip(a, b, strict=True))
        )
    if type(a) is bool or type(b) is bool:
        return a is b
    return bool(a == b)


# --- equivalence -----------------------------------------------------------------------------


def item_equivalent(left: Any, right: Any) -> bool:
    a, b = system_value(left), system_value(right)
    if a is None or b is None:
        return a is None and b is None
    if type(a) is str and type(b) is str:
        return " ".join(a.lower().split()) == " ".join(b.lower().split())
    if type(a) is bool or type(b) is bool:
        return a is b
    if _is_number(a) and _is_number(b):
        return _decimals_equivalent(Decimal(a), Decimal(b))
    if isinstance(a, Temporal) and isinstance(b, Temporal):
        return equivalent_temporals(a, b)
    if isinstance(a, Quantity) or isinstance(b, Quantity):
        return _compare_quantities(a, b) == 0
    if type(a) is tuple and type(b) is tuple:
        return json_equal(a[1], b[1])
    return False


def _decimals_equivalent(a: Decimal, b: Decimal) -> bool:
    """Equal when both are rounded to the precision of the less precise one: `1.2 ~ 1.23`
    is decided at one decimal place, so true."""
    places = min(-a.as_tuple().exponent, -b.as_tuple().exponent)  # type: ignore[operator]
    quantum = Decimal(1).scaleb(-max(places, 0))
    return a.quantize(quantum) == b.quantize(quantum)


def equivalent(left: list[Any], right: list[Any]) -> bool:
    """`~` on collections: both empty, or the same size with each item matched in any order."""
    if len(left) != len(right):
        return False
    unmatched = list(right)
    for a in left:
        match = next((i for i, b in enumerate(unmatched) if item_equivalent(a, b)), None)
        if match is None:
            return False
        del unmatched[match]
    return True


# --- ordering --------------------------------------------------------------------------------


def _compare_quantities(a: Any, b: Any) -> int | None:
    # An Integer or Decimal is implicitly a Quantity of unit '1'.
    if _is_number(a):
        a = Quantity(Decimal(a), "1")
    if _is_number(b):
        b = Quantity(Decimal(b), "1")
    if not (isinstance(a, Quantity) and isinstance(b, Quantity)):
        return None
    return compare_quantities(a, b)


def compare(left: Any, right: Any) -> int | None:
    """-1, 0, 1 for `<` and friends; None when unknown; an error for values of kinds that
    have no order between them."""
    a, b = system_value(left), system_value(right)
    if a is None or b is None:
        return None
    if (_is_number(a) and _is_number(b)) or (type(a) is str and type(b) is str):
        return int(a > b) - int(a < b)
    if isinstance(a, Temporal) and isinstance(b, Temporal):
        return compare_temporals(a, b)
    if isinstance(a, Quantity) or isinstance(b, Quantity):
        return _compare_quantities(a, b)
    raise FhirPathEvaluationError(f"cannot order {_kind(a)} and {_kind(b)}")


def _kind(value: Any) -> str:
    if type(value) is tuple:
        return str(value[0])
    return system_type(value) or type(value).__name__


# --- identity --------------------------------------------------------------------------------


def identity(item: Any) -> Hashable:
    """A key equal for items that are `=`, for distinct() and union without pairwise tests."""
    value = system_value(item)
    if value is None:
        return ("no value", _frozen(item[2]))
    if type(value) is tuple:
        return ("element", _frozen(value[1]))
    if type(value) is bool:
        return ("boolean", value)
    if isinstance(value, Temporal):
        return ("time" if value.kind == "Time" else "date", value.components())
    if isinstance(value, Quantity):
        return ("quantity", value.value, value.unit)
    return cast(Hashable, value)  # str, int, Decimal: they hash by value, 1 as 1.0


def _frozen(value: Any) -> Hashable:
    if type(value) is dict:
        return tuple(sorted((key, _frozen(item)) for key, item in value.items()))
    if type(value) is list:
        return tuple(_frozen(item) for item in value)
    if type(value) is bool:
        return ("boolean", value)
    return value  # type: ignore[no-any-return]
