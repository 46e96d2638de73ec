"""The answer of `Patient/{id}/$mme`: a Parameters resource with the total and one part per
opioid of each active prescription."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from painfhir.workflow.opioids._ingredients import RXNORM, Factors
from painfhir.workflow.opioids._mme import PrescriptionMme

UCUM = "http://unitsofmeasure.org"
MME_PER_DAY = "{MME}/d"

Json = dict[str, Any]


def _quantity(value: Decimal, unit: str) -> Json:
    return {"value": value, "unit": unit, "system": UCUM, "code": unit}


def _prescription(entry: PrescriptionMme) -> Json:
    parts: list[Json] = [{"name": "reference", "valueReference": {"reference": entry.reference}}]
    if entry.opioid is not None:
        coding = {"system": RXNORM, "code": entry.opioid.rxcui, "display": entry.opioid.name}
        parts.append({"name": "ingredient", "valueCodeableConcept": {"coding": [coding]}})
    if entry.daily_dose is not None:
        parts.append(
            {
                "name": "dailyDose",
                "valueQuantity": _quantity(entry.daily_dose, entry.daily_dose_unit),
            }
        )
    if entry.factor is not None:
        parts.append({"name": "factor", "valueDecimal": entry.factor})
    if entry.note is not None:
        parts.append({"name": "factorNote", "valueString": entry.note})
    if entry.mme is not None:
        parts.append({"name": "mme", "valueQuantity": _quantity(entry.mme, MME_PER_DAY)})
    if entry.problem is not None:
        parts.append({"name": "warning", "valueString": entry.problem})
    return {"name": "prescription", "part": parts}


def mme_parameters(prescriptions: list[PrescriptionMme], total: Decimal, factors: Factors) -> Json:
    parameters: list[Json] = [
        {"name": "total", "valueQuantity": _quantity(total, MME_PER_DAY)},
        {"name": "factors", "valueCode": factors},
        *(_prescription(entry) for entry in prescriptions),
    ]
    parameters += [
        {"name": "warning", "valueString": f"{entry.reference}: {entry.problem}"}
        for entry in prescriptions
        if entry.problem is not None
    ]
    return {"resourceType": "Parameters", "parameter": parameters}
