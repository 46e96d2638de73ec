"""`_summary` and `_elements`: the parts of a resource a client asked for
(https://hl7.org/fhir/R4/search.html#summary).

A reduced resource is marked with the SUBSETTED tag, as the spec requires, so nobody mistakes
it for the whole resource.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

from painfhir.fhir.definitions import TYPES

_SUMMARY: dict[str, list[str]] = orjson.loads(
    Path(__file__).with_name("r4_summary_elements.json").read_bytes()
)
_ALWAYS = ("resourceType", "id", "meta")
SUBSETTED = {
    "system": "http://terminology.hl7.org/CodeSystem/v3-ObservationValue",
    "code": "SUBSETTED",
    "display": "subsetted",
}


def _members(res_type: str, names: set[str]) -> set[str]:
    """The JSON members that the elements `names` are: a choice element, named without its
    type suffix (`value`), is each of the types it declares (`valueQuantity`, ...), and no
    other member that happens to start the same (`status` is not `statusHistory`)."""
    choices = {e.name for e in TYPES.get(res_type, ()) if e.choice in names}
    return names | choices


def _keep(resource: dict[str, Any], names: set[str]) -> dict[str, Any]:
    members = _members(resource.get("resourceType", ""), names)
    kept = {
        key: value
        for key, value in resource.items()
        if key in _ALWAYS or key.lstrip("_") in members
    }
    meta = dict(kept.get("meta") or {})
    meta["tag"] = [*meta.get("tag", []), SUBSETTED]
    kept["meta"] = meta
    return kept


def summary_of(resource: dict[str, Any], mode: str) -> dict[str, Any]:
    """`_summary=true | text | data` of one resource."""
    res_type = resource.get("resourceType", "")
    summary = {name.removesuffix("[x]") for name in _SUMMARY.get(res_type, [])}
    if mode == "true":
        return _keep(resource, summary)
    if mode == "text":
        return _keep(resource, {"text", *_mandatory(res_type)})
    if mode == "data":
        return _keep(resource, {key for key in resource if key != "text"})
    return resource


def _mandatory(res_type: str) -> set[str]:
    return {e.name for e in TYPES.get(res_type, ()) if e.min > 0}


def elements_only(resource: dict[str, Any], elements: list[str]) -> dict[str, Any]:
    """`_elements=a,b`: those top-level elements, plus the mandatory ones."""
    res_type = resource.get("resourceType", "")
    return _keep(resource, set(elements) | _mandatory(res_type))
