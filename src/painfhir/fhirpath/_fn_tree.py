"""Tree navigation (N1 §5.8) and utility functions (§5.9): children(), descendants(),
trace(), now(), today(), timeOfDay()."""

from __future__ import annotations

import logging
from typing import Any

from painfhir.fhirpath._context import Context, Run
from painfhir.fhirpath._model import children
from painfhir.fhirpath._registry import each, function

_log = logging.getLogger("painfhir.fhirpath")


@function("children")
def _children(items: list[Any], context: Context) -> list[Any]:
    return [child for item in items for child in children(item)]


def descendants(items: list[Any]) -> list[Any]:
    """Every node below the items, level by level (a tree: nothing is met twice)."""
    out: list[Any] = []
    level = items
    while level:
        level = [child for item in level for child in children(item)]
        out.extend(level)
    return out


@function("descendants")
def _descendants(items: list[Any], context: Context) -> list[Any]:
    if items is context.resource:
        # `%resource.descendants()` is asked again and again (dom-3 asks it four times for
        # each contained resource), and the resource does not change while it is checked.
        found = context.memo.get("descendants")
        if found is None:
            found = context.memo["descendants"] = descendants(items)
        return found
    return descendants(items)


@function("trace", 1, 2, arguments="lambdas")
def _trace(items: list[Any], runs: tuple[Run, ...], context: Context) -> list[Any]:
    """Logs the input (or a projection of it) at DEBUG level to `painfhir.fhirpath`."""
    if _log.isEnabledFor(logging.DEBUG):
        name = runs[0](items, context)
        shown = items
        if len(runs) > 1:
            shown = [found for result in each(items, runs[1], context) for found in result]
        _log.debug("trace %s: %r", name[0] if name else "", shown)
    return items


@function("now")
def _now(items: list[Any], context: Context) -> list[Any]:
    return [context.clock("now")]


@function("today")
def _today(items: list[Any], context: Context) -> list[Any]:
    return [context.clock("today")]


@function("timeOfDay")
def _time_of_day(items: list[Any], context: Context) -> list[Any]:
    return [context.clock("timeOfDay")]
