"""A search query as typed criteria: AND across criteria, OR across one criterion's values.

painfhir's REST core searches by `_id`, `_lastUpdated` and `identifier` — enough for reads,
conditional create / update / delete and conditional references. Parameters are parsed here,
once, and the store turns the criteria into SQL in one place.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qsl

from painfhir.fhir.outcome import FhirError
from painfhir.search.dates import DateRange, parse_date_value


@dataclass(frozen=True, slots=True)
class TokenValue:
    """`system|code`; system None matches any system, "" matches codes without one."""

    system: str | None
    code: str | None


@dataclass(frozen=True, slots=True)
class IdCriterion:
    ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class LastUpdatedCriterion:
    ranges: tuple[DateRange, ...]


@dataclass(frozen=True, slots=True)
class TokenCriterion:
    param: str
    values: tuple[TokenValue, ...]


Criterion = IdCriterion | LastUpdatedCriterion | TokenCriterion

SEARCH_PARAMETERS = {
    "_id": "token",
    "_lastUpdated": "date",
    "identifier": "token",
}


def _split_values(value: str) -> list[str]:
    # Commas separate OR'ed values; "\," is a literal comma inside one value.
    parts, current, escaped = [], [], False
    for char in value:
        if escaped:
            current.append(char if char in ",$|\\" else "\\" + char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == ",":
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return parts


def _token(value: str) -> TokenValue:
    if "|" not in value:
        return TokenValue(None, value)
    system, code = value.split("|", 1)
    return TokenValue(system, code or None)


def parse_criterion(name: str, value: str) -> Criterion:
    """One query parameter as a criterion; raises FhirError 400 when it is not supported."""
    if name not in SEARCH_PARAMETERS:
        raise FhirError.of(
            400,
            "not-supported",
            f"Search parameter '{name}' is not supported; "
            f"supported: {', '.join(SEARCH_PARAMETERS)}",
        )
    values = [v for v in _split_values(value) if v]
    if not values:
        raise FhirError.of(400, "value", f"Search parameter '{name}' has no value")
    if name == "_id":
        return IdCriterion(tuple(values))
    if name == "_lastUpdated":
        return LastUpdatedCriterion(tuple(parse_date_value(name, v) for v in values))
    return TokenCriterion(name, tuple(_token(v) for v in values))


def parse_criteria(query: str | list[tuple[str, str]]) -> list[Criterion]:
    """Criteria of a conditional request (`identifier=sys|val&_id=x`): every parameter counts.

    Conditional create, update and delete must never ignore a parameter they do not know, or
    they would match far more than the client meant.
    """
    items = parse_qsl(query, keep_blank_values=True) if isinstance(query, str) else query
    if not items:
        raise FhirError.of(400, "invalid", "A conditional request needs search criteria")
    return [parse_criterion(name, value) for name, value in items]
