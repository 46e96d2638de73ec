"""The FHIR R4 structure model, generated from the official StructureDefinitions.

`r4_structure.json` is written by `python -m painfhir.fhir.definitions.generate` and loaded once,
here, at import. Its layout (compact JSON, short rows rather than objects):

    {"fhirVersion": "4.0.1",
     "resources": ["Account", ...],            # every concrete resource type, sorted
     "primitives": {"date": [json, regex, maxLength], ...},
     "types": {"Patient": [row, ...], "Patient.contact": [row, ...], "Address": [...], ...}}

`json` is how a primitive's value is written in JSON: "string", "boolean", "integer" (also
positiveInt and unsignedInt) or "decimal". `regex` is the definition's regex for the value (or
null: xhtml has none); `maxLength` is null except for `string`.

A `types` key is a complex datatype, a resource, `Element` (the shape of the `_x` object holding
a primitive's id and extensions), or the path of a BackboneElement, which is an anonymous type
named by where it is defined: "Questionnaire.item", "Timing.repeat". A row is one JSON member:

    [name, type, min, many]            e.g. ["status", "code", 1, 0]
    [name, type, min, many, choice]    e.g. ["valueQuantity", "Quantity", 0, 0, "value"]

`many` is 1 when max is "*" (a JSON array), 0 when max is "1". A choice element `value[x]` is
expanded into one row per allowed type, all naming their choice group, of which at most one may
appear. `type` is a primitive, a `types` key, or "Resource" (any resource, known by its
resourceType). A contentReference is resolved to the `types` key of its target, so
Questionnaire.item.item has type "Questionnaire.item".
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Literal, NamedTuple, cast

import orjson

JsonKind = Literal["string", "boolean", "integer", "decimal"]

ANY_RESOURCE = "Resource"
"""The type of elements that hold a whole resource: contained, Bundle.entry.resource, ..."""


class PrimitiveDef(NamedTuple):
    name: str
    json: JsonKind
    regex: str | None
    max_length: int | None


class ElementDef(NamedTuple):
    name: str  # the JSON member name; choice elements are expanded (valueString, ...)
    type: str  # a primitive, a key of TYPES, or ANY_RESOURCE
    min: int
    many: bool  # max is "*"
    choice: str | None  # the choice group ("value" for value[x]), None for other elements


def _load() -> dict[str, object]:
    raw = Path(__file__).with_name("r4_structure.json").read_bytes()
    return cast(dict[str, object], orjson.loads(raw))


def _primitive(name: str, row: list[object]) -> PrimitiveDef:
    json, regex, max_length = row
    return PrimitiveDef(
        name, cast(JsonKind, json), cast(str | None, regex), cast(int | None, max_length)
    )


def _element(row: list[object]) -> ElementDef:
    name, type_, min_, many = row[:4]
    choice = row[4] if len(row) > 4 else None
    return ElementDef(str(name), str(type_), cast(int, min_), bool(many), cast(str | None, choice))


_MODEL = _load()

FHIR_VERSION = cast(str, _MODEL["fhirVersion"])
RESOURCE_TYPE_NAMES: tuple[str, ...] = tuple(cast(list[str], _MODEL["resources"]))
"""Every concrete R4 resource type, sorted."""
RESOURCE_TYPES: frozenset[str] = frozenset(RESOURCE_TYPE_NAMES)

PRIMITIVES: Mapping[str, PrimitiveDef] = MappingProxyType(
    {
        name: _primitive(name, row)
        for name, row in cast(dict[str, list[object]], _MODEL["primitives"]).items()
    }
)
TYPES: Mapping[str, tuple[ElementDef, ...]] = MappingProxyType(
    {
        key: tuple(_element(row) for row in rows)
        for key, rows in cast(dict[str, list[list[object]]], _MODEL["types"]).items()
    }
)

del _MODEL
