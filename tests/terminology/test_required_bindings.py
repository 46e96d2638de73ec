"""The generated table of required bindings fits the structure model it is checked with."""

from __future__ import annotations

import re

from painfhir.fhir.definitions import PRIMITIVES, TYPES
from painfhir.terminology import NOT_ENUMERABLE, REQUIRED_BINDINGS, VALUE_SETS


def test_every_binding_is_on_a_code_or_codeable_concept_of_the_structure_model() -> None:
    types = {key: {row.name: row.type for row in rows} for key, rows in TYPES.items()}
    for owner, rows in REQUIRED_BINDINGS.items():
        for name in rows:
            assert types[owner][name] in ("code", "CodeableConcept"), f"{owner}.{name}"


def test_every_bound_value_set_is_enumerated_or_has_a_reason_not_to_be() -> None:
    named = {url for rows in REQUIRED_BINDINGS.values() for url in rows.values()}
    assert named == VALUE_SETS.keys() | NOT_ENUMERABLE.keys()
    assert not VALUE_SETS.keys() & NOT_ENUMERABLE.keys()


def test_only_value_sets_the_package_cannot_list_are_left_unchecked() -> None:
    assert set(NOT_ENUMERABLE) == {
        "http://hl7.org/fhir/ValueSet/currencies",
        "http://hl7.org/fhir/ValueSet/mimetypes",
        "http://hl7.org/fhir/ValueSet/ucum-units",
        "http://loinc.org/vs/LL379-9",
    }


def test_every_enumerated_code_is_a_well_formed_code() -> None:
    # The structure check takes a code of its value set as valid without the `code` regex.
    well_formed = re.compile(PRIMITIVES["code"].regex or "", re.ASCII).fullmatch
    for value_set in VALUE_SETS.values():
        assert value_set.codes
        assert all(well_formed(code) for code in value_set.codes), value_set.url
