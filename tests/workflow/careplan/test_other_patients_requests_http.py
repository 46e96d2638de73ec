"""A care plan lists its own patient's requests only: its status is carried to them, so a
plan naming another patient's request would revoke that patient's order or stop their
medicine. Such a plan is refused (422, naming the activity) and nothing is written."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from painfhir.fhir.codec import dump_json, parse_json
from tests.workflow.careplan.patients import patient
from tests.workflow.careplan.test_care_plan_http import FHIR_JSON, get, put

pytestmark = pytest.mark.e2e
Json = dict[str, Any]
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"


def _gabapentin(request_id: str, patient_id: str) -> Json:
    return {
        "resourceType": "MedicationRequest",
        "id": request_id,
        "status": "active",
        "intent": "order",
        "medicationCodeableConcept": {
            "coding": [{"system": RXNORM, "code": "310431", "display": "gabapentin 300 MG"}]
        },
        "subject": {"reference": f"Patient/{patient_id}"},
    }


def _plan(plan_id: str, patient_id: str, *requests: str, status: str = "active") -> Json:
    return {
        "resourceType": "CarePlan",
        "id": plan_id,
        "status": status,
        "intent": "plan",
        "subject": {"reference": f"Patient/{patient_id}"},
        "activity": [{"reference": {"reference": r}} for r in requests],
    }


def _sent(client: httpx.Client, method: str, resource: Json) -> httpx.Response:
    url = f"/{resource['resourceType']}" + (f"/{resource['id']}" if method == "PUT" else "")
    return client.request(method, url, content=dump_json(resource), headers=FHIR_JSON)


@pytest.mark.parametrize("method", ["POST", "PUT"])
def test_a_plan_naming_another_patients_request_is_refused(
    client: httpx.Client, method: str
) -> None:
    key = uuid.uuid4().hex[:12]
    mine, theirs = f"{key}-a", f"{key}-b"
    for patient_id in (mine, theirs):
        put(client, patient(patient_id))
        put(client, _gabapentin(f"{patient_id}-rx", patient_id))
    put(client, _plan(f"{key}-plan", mine, f"MedicationRequest/{mine}-rx"))
    # Revoking the plan would stop the other patient's gabapentin.
    plan = _plan(
        f"{key}-plan",
        mine,
        f"MedicationRequest/{mine}-rx",
        f"MedicationRequest/{theirs}-rx",
        status="revoked",
    )
    if method == "POST":
        plan = {k: v for k, v in plan.items() if k != "id"}
    response = _sent(client, method, plan)
    assert response.status_code == 422, response.text
    (issue,) = parse_json(response.content)["issue"]
    assert issue["expression"] == ["CarePlan.activity[1].reference"]
    assert f"MedicationRequest/{theirs}-rx" in issue["diagnostics"]
    assert get(client, f"/MedicationRequest/{theirs}-rx")["status"] == "active"
    assert get(client, f"/MedicationRequest/{mine}-rx")["status"] == "active"
    assert get(client, f"/CarePlan/{key}-plan")["meta"]["versionId"] == "1"


def test_a_plan_naming_its_own_patients_requests_moves_them(client: httpx.Client) -> None:
    key = uuid.uuid4().hex[:12]
    put(client, patient(key))
    put(client, _gabapentin(f"{key}-rx", key))
    put(client, _plan(f"{key}-plan", key, f"MedicationRequest/{key}-rx"))
    put(client, _plan(f"{key}-plan", key, f"MedicationRequest/{key}-rx", status="revoked"))
    assert get(client, f"/MedicationRequest/{key}-rx")["status"] == "stopped"
