"""Filtering and projection, subsetting, combining (N1 §5.2-5.4), and aggregate()."""

from __future__ import annotations

from typing import Any

from painfhir.fhirpath._context import Context, Run
from painfhir.fhirpath._equality import identity
from painfhir.fhirpath._errors import FhirPathEvaluationError
from painfhir.fhirpath._fn_existence import distinct
from painfhir.fhirpath._registry import each, function, single, truth


@function("where", 1, arguments="lambdas")
def _where(items: list[Any], criteria: tuple[Run, ...], context: Context) -> list[Any]:
    test = criteria[0]
    outer = context.index
    kept = []
    for index, item in enumerate(items):
        context.index = index
        if truth(test([item], context), "where()"):
            kept.append(item)
    context.index = outer
    return kept


@function("select", 1, arguments="lambdas")
def _select(items: list[Any], projection: tuple[Run, ...], context: Context) -> list[Any]:
    return [found for result in each(items, projection[0], context) for found in result]


@function("repeat", 1, arguments="lambdas")
def _repeat(items: list[Any], projection: tuple[Run, ...], context: Context) -> list[Any]:
    """The projection applied again to what it gives, until nothing new comes back."""
    seen: set[Any] = set()
    out: list[Any] = []
    pending = items
    while pending:
        found = [item for result in each(pending, projection[0], context) for item in result]
        pending = []
        for item in found:
            key = identity(item)
            if key not in seen:
                seen.add(key)
                out.append(item)
                pending.append(item)
    return out


@function("aggregate", 1, 2, arguments="lambdas")
def _aggregate(items: list[Any], runs: tuple[Run, ...], context: Context) -> list[Any]:
    outer_total, outer_index = context.total, context.index
    context.total = runs[1](items, context) if len(runs) > 1 else []
    for index, item in enumerate(items):
        context.index = index
        context.total = runs[0]([item], context)
    total = context.total
    context.total, context.index = outer_total, outer_index
    return total


# --- subsetting ------------------------------------------------------------------------------


@function("single")
def _single(items: list[Any], context: Context) -> list[Any]:
    if len(items) > 1:
        raise FhirPathEvaluationError(f"single() on {len(items)} items")
    return items


@function("first")
def _first(items: list[Any], context: Context) -> list[Any]:
    return items[:1]


@function("last")
def _last(items: list[Any], context: Context) -> list[Any]:
    return items[-1:]


@function("tail")
def _tail(items: list[Any], context: Context) -> list[Any]:
    return items[1:]


def _count_argument(args: list[list[Any]], name: str) -> int | None:
    value = single(args[0], name)
    if value is not None and type(value) is not int:
        raise FhirPathEvaluationError(f"{name} needs an Integer")
    return value


@function("skip", 1, arguments="values")
def _skip(items: list[Any], args: list[list[Any]], context: Context) -> list[Any]:
    count = _count_argument(args, "skip()")
    return items if count is None else items[max(count, 0) :]


@function("take", 1, arguments="values")
def _take(items: list[Any], args: list[list[Any]], context: Context) -> list[Any]:
    count = _count_argument(args, "take()")
    return [] if count is None or count <= 0 else items[:count]


@function("intersect", 1, arguments="values")
def _intersect(items: list[Any], args: list[list[Any]], context: Context) -> list[Any]:
    others = {identity(item) for item in args[0]}
    return distinct([item for item in items if identity(item) in others])


@function("exclude", 1, arguments="values")
def _exclude(items: list[Any], args: list[list[Any]], context: Context) -> list[Any]:
    others = {identity(item) for item in args[0]}
    return [item for item in items if identity(item) not in others]


# --- combining -------------------------------------------------------------------------------


@function("union", 1, arguments="values")
def _union(items: list[Any], args: list[list[Any]], context: Context) -> list[Any]:
    return distinct(items + args[0])


@function("combine", 1, arguments="values")
def _combine(items: list[Any], args: list[list[Any]], context: Context) -> list[Any]:
    return items + args[0]
