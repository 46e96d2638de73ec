"""The clinic's side of the initial consultation, over HTTP: the assessments as responses to
the shipped questionnaires (scored by the server), the confirmed chronic pain Condition and
the consult note."""

from __future__ import annotations

from typing import Any

from tests.workflow.referral.conftest import Party

Json = dict[str, Any]
LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
QUESTIONNAIRES = "http://painfhir.org/fhir/Questionnaire/"
PROFILES = "http://painfhir.org/fhir/StructureDefinition/"
FREQUENCIES = ("LA6568-5", "LA6569-3", "LA6570-1", "LA6571-9")  # 0, 1, 2, 3 points
PHQ9_ITEMS = (
    "44250-9",
    "44255-8",
    "44259-0",
    "44254-1",
    "44251-7",
    "44258-2",
    "44252-5",
    "44253-3",
    "44260-8",
)
GAD7_ITEMS = ("69725-0", "68509-9", "69733-4", "69734-2", "69735-9", "69689-8", "69736-7")


def response(questionnaire: str, patient: str, items: list[Json], **more: Any) -> Json:
    return {
        "resourceType": "QuestionnaireResponse",
        "questionnaire": QUESTIONNAIRES + questionnaire,
        "status": "completed",
        "subject": {"reference": patient},
        "authored": "2026-11-16T09:30:00-07:00",
        "author": {"reference": "Practitioner/dr-lee"},
        "item": items,
        **more,
    }


def integer(link_id: str, value: int) -> Json:
    return {"linkId": link_id, "answer": [{"valueInteger": value}]}


def frequency(link_id: str, points: int) -> Json:
    coding = {"system": LOINC, "code": FREQUENCIES[points]}
    return {"linkId": link_id, "answer": [{"valueCoding": coding}]}


def yes_no(link_id: str, said: bool) -> Json:
    return {"linkId": link_id, "answer": [{"valueBoolean": said}]}


def group(link_id: str, *items: Json) -> Json:
    return {"linkId": link_id, "item": list(items)}


def peg(patient: str, pain: int, enjoyment: int, activity: int) -> Json:
    answers = [
        integer("75893-8", pain),
        integer("91145-3", enjoyment),
        integer("91146-1", activity),
    ]
    return response("peg", patient, answers)


def phq9(patient: str, points: tuple[int, ...]) -> Json:
    return response(
        "phq-9", patient, [frequency(i, p) for i, p in zip(PHQ9_ITEMS, points, strict=True)]
    )


def gad7(patient: str, points: tuple[int, ...]) -> Json:
    return response(
        "gad-7", patient, [frequency(i, p) for i, p in zip(GAD7_ITEMS, points, strict=True)]
    )


def opioid_risk_tool(patient: str, *said_yes: str) -> Json:
    def answer(link_id: str) -> Json:
        return yes_no(link_id, link_id in said_yes)

    items = [
        group(
            "family-history",
            *map(answer, ("family-alcohol", "family-illegal-drugs", "family-prescription-drugs")),
        ),
        group(
            "personal-history",
            *map(
                answer,
                ("personal-alcohol", "personal-illegal-drugs", "personal-prescription-drugs"),
            ),
        ),
        answer("age-16-45"),
        answer("preadolescent-sexual-abuse"),
        group(
            "psychological-disease",
            answer("psych-add-ocd-bipolar-schizophrenia"),
            answer("psych-depression"),
        ),
    ]
    return response("opioid-risk-tool", patient, items)


def pain_impact(patient: str, pain_now: int) -> Json:
    items = [
        integer("72514-3", pain_now),
        group(
            "daily-life",
            integer("daily-life-interference", 7),
            {"linkId": "daily-life-details", "answer": [{"valueString": "Cannot garden"}]},
        ),
        group(
            "work",
            {
                "linkId": "work-status",
                "answer": [{"valueString": "Working, reduced hours or duties"}],
            },
            integer("work-interference", 6),
        ),
        group("relationships", integer("relationships-interference", 4)),
    ]
    return response("pain-impact", patient, items)


def stored(party: Party, resource: Json) -> Json:
    """POST `resource`; the stored one."""
    created = party.send("POST", f"/{resource['resourceType']}", resource)
    assert created.status_code == 201, created.text
    found: Json = created.json()
    return found


def derived(party: Party, response_id: str) -> dict[str, Json]:
    """The Observations derived from a response, by LOINC code."""
    bundle = party.get(f"/Observation?derived-from=QuestionnaireResponse/{response_id}")
    return {
        entry["resource"]["code"]["coding"][0]["code"]: entry["resource"]
        for entry in bundle.get("entry", [])
    }


def _coded(system: str, code: str, display: str | None = None) -> Json:
    coding = {"system": f"http://terminology.hl7.org/CodeSystem/{system}", "code": code}
    return {"coding": [coding if display is None else {**coding, "display": display}]}


def chronic_pain_condition(patient: str, snomed: str, display: str) -> Json:
    return {
        "resourceType": "Condition",
        "meta": {"profile": [PROFILES + "chronic-pain-condition"]},
        "clinicalStatus": _coded("condition-clinical", "active"),
        "verificationStatus": _coded("condition-ver-status", "confirmed"),
        "category": [_coded("condition-category", "problem-list-item")],
        "code": {"coding": [{"system": SNOMED, "code": snomed, "display": display}]},
        "subject": {"reference": patient},
        "onsetDateTime": "2025-06-01",
        "recordedDate": "2026-11-16",
        "recorder": {"reference": "Practitioner/dr-lee"},
    }


def consult_note(patient: str, conclusion: str) -> Json:
    return {
        "resourceType": "DocumentReference",
        "status": "current",
        "type": {"coding": [{"system": LOINC, "code": "11488-4", "display": "Consult note"}]},
        "subject": {"reference": patient},
        "description": conclusion,
        "content": [{"attachment": {"contentType": "text/plain", "title": "Initial consultation"}}],
    }
