"""A whole search request: criteria plus what shapes the answer (_sort, _include, _count …)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from painfhir.fhir.definitions import RESOURCE_TYPES
from painfhir.fhir.outcome import FhirError, Issue
from painfhir.search.criteria import (
    ID,
    LAST_UPDATED,
    SearchCriterion,
    check_size,
    parse_criterion,
)
from painfhir.search.definitions import parameters_for

DEFAULT_PAGE = 50
MAX_PAGE = 1000
# Passed along in paging links but not search criteria.
FORMAT_PARAMETERS = {"_format", "_pretty"}
_RESULT_PARAMETERS = {
    "_count",
    "_sort",
    "_include",
    "_revinclude",
    "_total",
    "_summary",
    "_elements",
    "_cursor",
    "_contained",
    "_containedType",
} | FORMAT_PARAMETERS

Total = Literal["none", "estimate", "accurate"]
Summary = Literal["true", "count", "data", "text", "false"]


@dataclass(frozen=True, slots=True)
class Include:
    """`_include=Source:param[:Target]` (or `*`), optionally `:iterate`."""

    source_type: str  # "*" for any
    param: str  # "*" for every reference parameter
    target_type: str | None
    iterate: bool


@dataclass(frozen=True, slots=True)
class SortKey:
    param: str
    kind: str  # the parameter type, or "id" / "lastUpdated"
    descending: bool


@dataclass
class SearchQuery:
    res_type: str
    criteria: list[SearchCriterion] = field(default_factory=list)
    sort: list[SortKey] = field(default_factory=list)
    includes: list[Include] = field(default_factory=list)
    revincludes: list[Include] = field(default_factory=list)
    count: int = DEFAULT_PAGE
    total: Total = "none"
    summary: Summary | None = None
    elements: list[str] | None = None
    cursor: str | None = None
    ignored: list[Issue] = field(default_factory=list)
    # The query's parameters less those ignored: what the searchset's links carry.
    used: list[tuple[str, str]] = field(default_factory=list)
    # How long the search's statement may run (PostgreSQL); None: no limit.
    timeout_seconds: float | None = None


def _include(value: str, *, reverse: bool, iterate: bool) -> Include:
    if value == "*":
        return Include("*", "*", None, iterate)
    parts = value.split(":")
    if len(parts) not in (2, 3) or parts[0] not in RESOURCE_TYPES:
        kind = "_revinclude" if reverse else "_include"
        raise FhirError.of(400, "value", f"{kind}={value}: write Type:parameter[:Target]")
    source, param = parts[0], parts[1]
    if param != "*" and parameters_for(source).get(param) is None:
        raise FhirError.of(400, "not-supported", f"'{param}' is not a search parameter of {source}")
    if param != "*" and parameters_for(source)[param].type != "reference":
        raise FhirError.of(400, "value", f"{source}:{param} is not a reference parameter")
    return Include(source, param, parts[2] if len(parts) == 3 else None, iterate)


def _sort_keys(res_type: str, value: str) -> list[SortKey]:
    keys = []
    for item in value.split(","):
        descending = item.startswith("-")
        code = item.lstrip("-")
        if code == ID:
            kind = "id"
        elif code == LAST_UPDATED:
            kind = "lastUpdated"
        else:
            parameter = parameters_for(res_type).get(code)
            if parameter is None or parameter.type in ("composite", "special"):
                raise FhirError.of(400, "not-supported", f"Cannot sort {res_type} by '{code}'")
            kind = parameter.type
        keys.append(SortKey(code, kind, descending))
    return keys


def _page_size(text: str) -> int:
    if not text.isdigit():
        raise FhirError.of(400, "value", f"_count must be a whole number, not '{text}'")
    return min(int(text), MAX_PAGE)


def _apply_result_parameter(query: SearchQuery, name: str, value: str) -> None:
    base, _, modifier = name.partition(":")
    match base:
        case "_count":
            query.count = _page_size(value)
        case "_sort":
            query.sort = _sort_keys(query.res_type, value)
        case "_include" | "_revinclude":
            include = _include(value, reverse=base == "_revinclude", iterate=modifier == "iterate")
            (query.revincludes if base == "_revinclude" else query.includes).append(include)
        case "_total":
            if value not in ("none", "estimate", "accurate"):
                raise FhirError.of(400, "value", "_total takes none, estimate or accurate")
            query.total = value  # type: ignore[assignment]
        case "_summary":
            if value not in ("true", "count", "data", "text", "false"):
                raise FhirError.of(400, "value", "_summary takes true, count, data, text, false")
            query.summary = None if value == "false" else value  # type: ignore[assignment]
        case "_elements":
            query.elements = [e.strip() for e in value.split(",") if e.strip()]
        case "_cursor":
            query.cursor = value
        case "_contained" | "_containedType":
            if value not in ("false", "container"):
                raise FhirError.of(400, "not-supported", f"{base}={value} is not supported")


def _result_parameter(name: str) -> bool:
    return name.partition(":")[0] in _RESULT_PARAMETERS


def _finish(query: SearchQuery) -> SearchQuery:
    if query.count == 0:
        query.summary = "count"  # R4: "_count=0 … should be treated as _summary=count"
    return query


def parse_query(res_type: str, items: list[tuple[str, str]], *, strict: bool) -> SearchQuery:
    """A search of `res_type`; unknown parameters are refused (strict) or noted and ignored."""
    query = SearchQuery(res_type)
    check_size([(name, value) for name, value in items if not _result_parameter(name)])
    for name, value in items:
        if _result_parameter(name):
            _apply_result_parameter(query, name, value)
            query.used.append((name, value))
            continue
        try:
            query.criteria.append(parse_criterion(res_type, name, value))
        except FhirError as error:
            if strict or error.issues[0].code != "not-supported":
                raise
            query.ignored.append(
                Issue("warning", "not-supported", f"Ignored: {error.issues[0].diagnostics}")
            )
            continue
        query.used.append((name, value))
    return _finish(query)


# What a search across every type of a compartment (`Patient/123/*`) understands: beyond
# `_type`, the only parameter every type shares that painfhir indexes is `_lastUpdated`.
_ACROSS_TYPES = {"_count", "_total", "_summary", "_elements", "_cursor"} | FORMAT_PARAMETERS


def parse_compartment_query(
    compartment: str, members: list[str], items: list[tuple[str, str]], *, strict: bool
) -> tuple[SearchQuery, list[str]]:
    """A search of every type in a compartment: the query, and the types it covers (all
    `members`, or those `_type` names)."""
    query = SearchQuery("*")
    types = list(members)
    check_size([(name, value) for name, value in items if name not in _ACROSS_TYPES])
    for name, value in items:
        if name in _ACROSS_TYPES:
            _apply_result_parameter(query, name, value)
        elif name == "_type":
            asked = [t.strip() for t in value.split(",") if t.strip()]
            outside = [t for t in asked if t not in members]
            if outside:
                raise FhirError.of(
                    400, "value", f"Not in the {compartment} compartment: {', '.join(outside)}"
                )
            types = [t for t in types if t in asked]
        elif name == LAST_UPDATED:
            query.criteria.append(parse_criterion(compartment, name, value))
        elif strict:
            raise FhirError.of(
                400,
                "not-supported",
                f"'{name}' cannot be searched across the types of a compartment",
            )
        else:
            query.ignored.append(
                Issue(
                    "warning", "not-supported", f"Ignored: '{name}' (not searchable across types)"
                )
            )
            continue
        query.used.append((name, value))
    return _finish(query), types
