"""What a MedicationRequest prescribes: its medication, as codes, names and ingredients.

The medication is a CodeableConcept, or a reference to a Medication — contained (`#id`) or
stored (`Medication/id`, looked up in what the caller fetched with the prescriptions).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from painfhir.workflow.opioids._ingredients import RXNORM


@dataclass(frozen=True, slots=True)
class Amount:
    value: Decimal
    unit: str  # the UCUM code, else the unit text, as given


@dataclass(frozen=True, slots=True)
class Concept:
    """A coded thing: its RxNorm codes, and its text and displays in lower case."""

    rxnorm: tuple[str, ...]
    names: str

    def named(self, name: str) -> bool:
        return name in self.names


@dataclass(frozen=True, slots=True)
class Ingredient:
    concept: Concept
    amount: Amount | None  # strength numerator
    per: Amount | None  # strength denominator


@dataclass(frozen=True, slots=True)
class Medication:
    concept: Concept
    ingredients: tuple[Ingredient, ...] = ()


def concept_of(codeable: Any) -> Concept:
    if not isinstance(codeable, dict):
        return Concept((), "")
    codings = [c for c in codeable.get("coding") or [] if isinstance(c, dict)]
    rxnorm = tuple(c["code"] for c in codings if c.get("system") == RXNORM and "code" in c)
    names = [codeable.get("text"), *(c.get("display") for c in codings)]
    return Concept(rxnorm, " | ".join(n.lower() for n in names if isinstance(n, str)))


def codings_of(codeable: Any) -> Iterator[tuple[str | None, str]]:
    """(system, code) of each coding of a CodeableConcept."""
    if isinstance(codeable, dict):
        for coding in codeable.get("coding") or []:
            if isinstance(coding, dict) and isinstance(coding.get("code"), str):
                yield coding.get("system"), coding["code"]


def _amount(quantity: Any) -> Amount | None:
    if not isinstance(quantity, dict) or not isinstance(quantity.get("value"), int | Decimal):
        return None
    unit = quantity.get("code") or quantity.get("unit") or ""
    return Amount(Decimal(quantity["value"]), str(unit))


def _ingredient(raw: dict[str, Any]) -> Ingredient:
    strength = raw.get("strength") or {}
    return Ingredient(
        concept_of(raw.get("itemCodeableConcept")),
        _amount(strength.get("numerator")),
        _amount(strength.get("denominator")),
    )


def _from_resource(resource: dict[str, Any]) -> Medication:
    ingredients = [i for i in resource.get("ingredient") or [] if isinstance(i, dict)]
    return Medication(concept_of(resource.get("code")), tuple(_ingredient(i) for i in ingredients))


def medication_of(
    request: dict[str, Any], stored: Mapping[str, dict[str, Any]]
) -> Medication | str:
    """The prescribed medication, or why it cannot be known (a reference to nothing here)."""
    if "medicationCodeableConcept" in request:
        return Medication(concept_of(request["medicationCodeableConcept"]))
    reference = (request.get("medicationReference") or {}).get("reference")
    if not isinstance(reference, str):
        return "the prescription names no medication"
    if reference.startswith("#"):
        for contained in request.get("contained") or []:
            if isinstance(contained, dict) and contained.get("id") == reference[1:]:
                return _from_resource(contained)
    elif reference in stored:
        return _from_resource(stored[reference])
    return f"its medication {reference} cannot be found"
