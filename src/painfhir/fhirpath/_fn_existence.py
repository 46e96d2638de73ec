"""Existence functions (N1 §5.1) and `not()`."""

from __future__ import annotations

from typing import Any

from painfhir.fhirpath._context import Context, Run
from painfhir.fhirpath._equality import identity, item_equals
from painfhir.fhirpath._errors import FhirPathEvaluationError
from painfhir.fhirpath._registry import FALSE, TRUE, boolean, each, function, truth


@function("empty")
def _empty(items: list[Any], context: Context) -> list[Any]:
    return FALSE if items else TRUE


@function("exists", 0, 1, arguments="lambdas")
def _exists(items: list[Any], criteria: tuple[Run, ...], context: Context) -> list[Any]:
    if not criteria:
        return TRUE if items else FALSE
    return boolean(any(truth(r, "exists()") for r in each(items, criteria[0], context)))


@function("all", 1, arguments="lambdas")
def _all(items: list[Any], criteria: tuple[Run, ...], context: Context) -> list[Any]:
    return boolean(all(truth(r, "all()") for r in each(items, criteria[0], context)))


def _booleans(items: list[Any], name: str) -> list[bool]:
    values = []
    for item in items:
        value = truth([item], name)
        if type(item) is not bool and not (type(item) is tuple and item[0] == "boolean"):
            raise FhirPathEvaluationError(f"{name} needs Booleans")
        values.append(bool(value))
    return values


@function("allTrue")
def _all_true(items: list[Any], context: Context) -> list[Any]:
    return boolean(all(_booleans(items, "allTrue()")))


@function("anyTrue")
def _any_true(items: list[Any], context: Context) -> list[Any]:
    return boolean(any(_booleans(items, "anyTrue()")))


@function("allFalse")
def _all_false(items: list[Any], context: Context) -> list[Any]:
    return boolean(not any(_booleans(items, "allFalse()")))


@function("anyFalse")
def _any_false(items: list[Any], context: Context) -> list[Any]:
    return boolean(not all(_booleans(items, "anyFalse()")))


def _contained_in(items: list[Any], others: list[Any]) -> bool:
    return all(any(item_equals(a, b) for b in others) for a in items)


@function("subsetOf", 1, arguments="values")
def _subset_of(items: list[Any], args: list[list[Any]], context: Context) -> list[Any]:
    return boolean(_contained_in(items, args[0]))


@function("supersetOf", 1, arguments="values")
def _superset_of(items: list[Any], args: list[list[Any]], context: Context) -> list[Any]:
    return boolean(_contained_in(args[0], items))


@function("count")
def _count(items: list[Any], context: Context) -> list[Any]:
    return [len(items)]


def distinct(items: list[Any]) -> list[Any]:
    seen: set[Any] = set()
    out = []
    for item in items:
        key = identity(item)
        if key not in seen:
            seen.add(key)
            out.append(item)
    return out


@function("distinct")
def _distinct(items: list[Any], context: Context) -> list[Any]:
    return distinct(items)


@function("isDistinct")
def _is_distinct(items: list[Any], context: Context) -> list[Any]:
    return boolean(len({identity(item) for item in items}) == len(items))


@function("not")
def _not(items: list[Any], context: Context) -> list[Any]:
    value = truth(items, "not()")
    return [] if value is None else boolean(not value)
