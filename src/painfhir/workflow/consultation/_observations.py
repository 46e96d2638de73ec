"""The Observations a scored response becomes, pure: survey Observations of the patient,
dated when the response was authored, by its author, `derivedFrom` the response — the PEG
panel in the peg-panel profile, pain now in the pain-score profile, and the PHQ-9, GAD-7 and
Opioid Risk Tool totals with their band as the interpretation."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from painfhir.workflow.consultation._instruments import LOINC, PAIN_NOW, Total

Json = dict[str, Any]
PROFILES = "http://painfhir.org/fhir/StructureDefinition/"
SURVEY = {
    "coding": [
        {
            "system": "http://terminology.hl7.org/CodeSystem/observation-category",
            "code": "survey",
            "display": "Survey",
        }
    ]
}
PEG_ITEM_DISPLAYS = (
    ("75893-8", "Pain severity in the past week - 0-10 numeric rating [Reported]"),
    ("91145-3", "Pain interference with enjoyment of life in the past week [PEG]"),
    ("91146-1", "Pain interference with general activity in the past week [PEG]"),
)


@dataclass(frozen=True, slots=True)
class ResponseContext:
    """What every Observation derived from one response shares."""

    response: str  # "QuestionnaireResponse/{id}"
    subject: Json
    effective: str
    performer: Json | None
    encounter: Json | None


def _concept(code: str, display: str) -> Json:
    return {"coding": [{"system": LOINC, "code": code, "display": display}], "text": display}


def _survey(context: ResponseContext, code: Json, profile: str | None = None) -> Json:
    observation: Json = {"resourceType": "Observation"}
    if profile is not None:
        observation["meta"] = {"profile": [PROFILES + profile]}
    observation |= {"status": "final", "category": [SURVEY], "code": code}
    observation["subject"] = context.subject
    if context.encounter is not None:
        observation["encounter"] = context.encounter
    observation["effectiveDateTime"] = context.effective
    if context.performer is not None:
        observation["performer"] = [context.performer]
    return observation


def _derived(observation: Json, context: ResponseContext) -> Json:
    return {**observation, "derivedFrom": [{"reference": context.response}]}


def peg_panel(context: ResponseContext, items: tuple[int, int, int], mean: float) -> Json:
    panel = _survey(context, _concept("91148-7", "PEG 3-item pain scale"), "peg-panel")
    components = [
        {"code": _concept(code, display), "valueInteger": value}
        for (code, display), value in zip(PEG_ITEM_DISPLAYS, items, strict=True)
    ]
    mean_score = {
        "value": mean,
        "unit": "{score}",
        "system": "http://unitsofmeasure.org",
        "code": "{score}",
    }
    components.append({"code": _concept("91147-9", "PEG mean score"), "valueQuantity": mean_score})
    return _derived({**panel, "component": components}, context)


def pain_now(context: ResponseContext, value: int) -> Json:
    code = _concept(PAIN_NOW, "Pain severity - 0-10 verbal numeric rating [Score] - Reported")
    return _derived({**_survey(context, code, "pain-score"), "valueInteger": value}, context)


def total_score(context: ResponseContext, code: str, display: str, total: Total) -> Json:
    observation = {
        **_survey(context, _concept(code, display)),
        "valueInteger": total.value,
        # The bands are the instrument's own, not v3 ObservationInterpretation's codes.
        "interpretation": [{"text": total.band}],
    }
    if total.note is not None:
        observation["note"] = [{"text": f"Scored by painfhir: {total.note}"}]
    return _derived(observation, context)
