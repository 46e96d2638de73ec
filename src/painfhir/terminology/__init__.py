"""FHIR R4 terminology: the value sets that base R4 binds elements to as `required`.

`r4_required_bindings.json` is written by `python -m painfhir.terminology.generate` from the
official package and loaded once, here, at import. Its layout (compact JSON):

    {"fhirVersion": "4.0.1",
     "bindings": {"Patient": {"gender": "http://hl7.org/fhir/ValueSet/administrative-gender"},
                  "Questionnaire.item": {"type": "http://hl7.org/fhir/ValueSet/item-type"}, ...},
     "valueSets": {"http://hl7.org/fhir/ValueSet/administrative-gender":
                       {"http://hl7.org/fhir/administrative-gender": ["female", ...]}, ...},
     "notEnumerable": {"http://hl7.org/fhir/ValueSet/mimetypes": "the code system ... is not in
                       the package", ...}}

`bindings` is keyed like `painfhir.fhir.definitions.TYPES` (a type, or a backbone element's
path) and then by JSON member name; base R4 binds only `code` and `CodeableConcept` elements
as required. Every value set named there is either in `valueSets`, as the codes valid in data
grouped by code system, or in `notEnumerable`, with the reason. Those are not checked; in
4.0.1 they are the ISO 4217 currencies, the BCP 13 MIME types, the UCUM units (a grammar, not
a list) and the LOINC answer list LL379-9 (MolecularSequence variant types), none of which the
package carries.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import cast

import orjson

from painfhir.terminology.expansion import Code


@dataclass(frozen=True, slots=True)
class ValueSetCodes:
    """The enumerated content of one value set."""

    url: str
    codings: frozenset[Code]  # (system, code): what a Coding must match
    codes: frozenset[str]  # the codes alone, of any system: what a `code` element must match


def _load() -> dict[str, object]:
    raw = Path(__file__).with_name("r4_required_bindings.json").read_bytes()
    return cast(dict[str, object], orjson.loads(raw))


def _value_set(url: str, by_system: dict[str, list[str]]) -> ValueSetCodes:
    codings = frozenset((system, code) for system, codes in by_system.items() for code in codes)
    return ValueSetCodes(url, codings, frozenset(code for _, code in codings))


_TABLE = _load()

REQUIRED_BINDINGS: Mapping[str, Mapping[str, str]] = MappingProxyType(
    {
        owner: MappingProxyType(rows)
        for owner, rows in cast(dict[str, dict[str, str]], _TABLE["bindings"]).items()
    }
)
"""Structure table key -> JSON member name -> canonical URL of the required value set."""

VALUE_SETS: Mapping[str, ValueSetCodes] = MappingProxyType(
    {
        url: _value_set(url, by_system)
        for url, by_system in cast(dict[str, dict[str, list[str]]], _TABLE["valueSets"]).items()
    }
)
"""The required value sets that could be enumerated, by canonical URL."""

NOT_ENUMERABLE: Mapping[str, str] = MappingProxyType(cast(dict[str, str], _TABLE["notEnumerable"]))
"""The required value sets that are not checked, by canonical URL, with the reason."""

del _TABLE
