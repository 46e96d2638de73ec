"""The R4 search parameters of every resource type, generated from the official definitions.

`r4_search_parameters.json` is written by `python -m painfhir.search.definitions.generate` and
loaded once, here, at import. Its layout (compact JSON, short rows rather than objects):

    {"fhirVersion": "4.0.1",
     "parameters": {"Observation": {"code": row, ...}, "Resource": {"_id": row, ...}, ...}}

    row = [type, expression, targets, components, xpathUsage, url]
    e.g.  ["composite", "Observation", [],
           [["code", "code"], ["value-quantity", "value.as(Quantity)"]], "normal", "http://..."]

`expression` is the FHIRPath expression restricted to the one base type (a shared parameter's
`AllergyIntolerance.code | Condition.code | ...` becomes `Condition.code` under Condition).
`targets` are the resource types a reference may point to. A composite's `components` are
[component parameter code, expression relative to each node the composite's expression
selects]. Parameters without an expression (`_text`, `_content`, `_query`) are not listed:
nothing could index them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any, cast

import orjson

from painfhir.fhir.definitions import RESOURCE_TYPE_NAMES

# The abstract types whose parameters (`_id`, `_tag`, `_profile` ...) resources inherit.
_COMMON_BASES = ("Resource", "DomainResource")
_NOT_DOMAIN = frozenset({"Binary", "Bundle", "Parameters"})


@dataclass(frozen=True, slots=True)
class SearchParameter:
    code: str
    type: str  # number, date, string, token, reference, composite, quantity, uri, special
    expression: str  # FHIRPath, about this base type only
    targets: tuple[str, ...]  # reference parameters: the types referred to
    components: tuple[tuple[str, str], ...]  # composites: (component code, expression)
    xpath_usage: str  # normal, phonetic, nearby
    url: str


_Parameters = Mapping[str, SearchParameter]


def _parameter(code: str, row: list[Any]) -> SearchParameter:
    type_, expression, targets, components, xpath_usage, url = row
    return SearchParameter(
        code=code,
        type=type_,
        expression=expression,
        targets=tuple(targets),
        components=tuple((c, e) for c, e in components),
        xpath_usage=xpath_usage,
        url=url,
    )


def _load() -> dict[str, dict[str, SearchParameter]]:
    raw = orjson.loads(Path(__file__).with_name("r4_search_parameters.json").read_bytes())
    table = cast(dict[str, dict[str, list[Any]]], raw["parameters"])
    return {
        base: {code: _parameter(code, row) for code, row in rows.items()}
        for base, rows in table.items()
    }


def _merged(by_base: dict[str, dict[str, SearchParameter]], res_type: str) -> _Parameters:
    common = ["Resource"] if res_type in _NOT_DOMAIN else list(_COMMON_BASES)
    merged: dict[str, SearchParameter] = {}
    for base in [*common, res_type]:
        merged.update(by_base.get(base, {}))
    return MappingProxyType(dict(sorted(merged.items())))


def _by_type() -> dict[str, _Parameters]:
    by_base = _load()
    return {res_type: _merged(by_base, res_type) for res_type in RESOURCE_TYPE_NAMES}


_BY_TYPE = _by_type()
_NONE: _Parameters = MappingProxyType({})


def parameters_for(res_type: str) -> Mapping[str, SearchParameter]:
    """Every parameter a search on `res_type` may use, by code, the common ones included;
    none for what is not a resource type."""
    return _BY_TYPE.get(res_type, _NONE)
