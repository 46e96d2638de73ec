"""MedicationRequests for the opioid tests, built from the few things each test varies."""

from __future__ import annotations

from typing import Any

RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
Json = dict[str, Any]


def every(frequency: int, period: float = 1, unit: str = "d") -> Json:
    return {"repeat": {"frequency": frequency, "period": period, "periodUnit": unit}}


def dosage(value: float, unit: str, timing: Json | None = None, **more: Any) -> Json:
    instruction: Json = {"doseAndRate": [{"doseQuantity": {"value": value, "unit": unit}}]}
    if timing is not None:
        instruction["timing"] = timing
    return {**instruction, **more}


def prescription(
    code: str | None,
    *dosages: Json,
    res_id: str = "rx",
    patient: str = "p1",
    supply_days: int | None = 30,
    **more: Any,
) -> Json:
    request: Json = {
        "resourceType": "MedicationRequest",
        "id": res_id,
        "status": "active",
        "intent": "order",
        "subject": {"reference": f"Patient/{patient}"},
        "dosageInstruction": list(dosages),
    }
    if code is not None:
        request["medicationCodeableConcept"] = {"coding": [{"system": RXNORM, "code": code}]}
    if supply_days is not None:
        duration = {"value": supply_days, "unit": "d", "system": "http://unitsofmeasure.org"}
        request["dispenseRequest"] = {"expectedSupplyDuration": {**duration, "code": "d"}}
    return {**request, **more}
