"""Whether a pathway action applies to the patient: its `applicability` conditions, FHIRPath
expressions over `%conditions` (the chronic pain Conditions the plan addresses) with the
Patient as focus. A pathway can thus offer an epidural injection only for radicular pain."""

from __future__ import annotations

from typing import Any

from painfhir.fhir.outcome import FhirError
from painfhir.fhirpath import FhirPathError, compile_fhirpath

Json = dict[str, Any]


def _holds(condition: Json, patient: Json, conditions: list[Json]) -> bool:
    expression = condition.get("expression") or {}
    if expression.get("language") != "text/fhirpath":
        raise FhirError.of(
            422,
            "not-supported",
            f"painfhir evaluates applicability conditions in text/fhirpath, "
            f"not {expression.get('language')!r}",
        )
    try:
        result = compile_fhirpath(str(expression.get("expression", ""))).evaluate(
            patient, resource=patient, variables={"conditions": conditions}
        )
    except FhirPathError as exc:
        raise FhirError.of(422, "processing", f"An applicability condition failed: {exc}") from exc
    return result == [True]


def applies(action: Json, patient: Json, conditions: list[Json]) -> bool:
    """True when every applicability condition of `action` holds (none: it always applies)."""
    return all(
        _holds(condition, patient, conditions)
        for condition in action.get("condition") or []
        if condition.get("kind") == "applicability"
    )
