"""Care plans from pathways over HTTP, on the real server: $apply for a patient with an MDT
and a referral, then activation, revision, completion and the clinic's searches."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from painfhir.fhir.codec import dump_json, parse_json
from painfhir.validation.validator import has_errors, validate
from tests.workflow.careplan.patients import care_team, condition, patient, practitioner_roles

pytestmark = pytest.mark.e2e
Json = dict[str, Any]
FHIR_JSON = {"Content-Type": "application/fhir+json"}


def put(client: httpx.Client, resource: Json) -> Json:
    url = f"/{resource['resourceType']}/{resource['id']}"
    response = client.put(url, content=dump_json(resource), headers=FHIR_JSON)
    assert response.status_code in (200, 201), response.text
    stored: Json = parse_json(response.content)
    return stored


def get(client: httpx.Client, url: str) -> Json:
    response = client.get(url)
    assert response.status_code == 200, response.text
    found: Json = parse_json(response.content)
    return found


def apply(client: httpx.Client, plan_id: str, **references: str) -> httpx.Response:
    parameters = [{"name": n, "valueReference": {"reference": r}} for n, r in references.items()]
    body = {"resourceType": "Parameters", "parameter": parameters}
    return client.post(
        f"/PlanDefinition/{plan_id}/$apply", content=dump_json(body), headers=FHIR_JSON
    )


def patient_with_mdt(client: httpx.Client) -> str:
    key = uuid.uuid4().hex[:12]
    put(client, patient(key))
    put(client, condition(f"{key}-lbp", key, "278860009", "Chronic low back pain"))
    put(client, condition(f"{key}-rad", key, "128196005", "Lumbar radiculopathy"))
    for role in practitioner_roles():
        put(client, role)
    put(client, care_team(f"{key}-mdt", key))
    put(
        client,
        {
            "resourceType": "ServiceRequest",
            "id": f"{key}-referral",
            "status": "active",
            "intent": "order",
            "subject": {"reference": f"Patient/{key}"},
            "reasonReference": [{"reference": f"Condition/{key}-lbp"}],
        },
    )
    return key


def code_of(request: Json) -> str:
    concept = request.get("code") or request["medicationCodeableConcept"]
    code: str = concept["coding"][0]["code"]
    return code


def statuses(requests: list[Json]) -> dict[str, str]:
    """Each request's status by its code (CPT, RxNorm); CBT appears twice, alike."""
    return {code_of(r): r["status"] for r in requests}


def requests_of(client: httpx.Client, plan: Json) -> list[Json]:
    return [get(client, f"/{a['reference']['reference']}") for a in plan["activity"]]


def test_the_pathways_are_there_to_read_and_search(client: httpx.Client) -> None:
    found = get(client, "/PlanDefinition?status=active&_count=50")
    ids = {entry["resource"]["id"] for entry in found.get("entry", [])}
    assert {"chronic-low-back-pain", "neuropathic-pain", "fibromyalgia", "chronic-pain"} <= ids
    cbt = "http://painfhir.org/fhir/ActivityDefinition/cbt-for-pain"
    assert (
        get(client, f"/ActivityDefinition?url={cbt}")["entry"][0]["resource"]["id"]
        == "cbt-for-pain"
    )
    assert get(client, "/PlanDefinition/fibromyalgia")["meta"]["versionId"] == "1"


def test_a_care_plan_from_apply_to_completion(client: httpx.Client) -> None:
    key = patient_with_mdt(client)
    response = apply(
        client,
        "chronic-low-back-pain",
        subject=f"Patient/{key}",
        careTeam=f"CareTeam/{key}-mdt",
        referral=f"ServiceRequest/{key}-referral",
        practitioner="PractitionerRole/okonkwo-pain",
    )
    assert response.status_code == 201, response.text
    plan = parse_json(response.content)
    assert (plan["status"], plan["intent"]) == ("draft", "plan")
    assert response.headers["Location"].endswith(f"/CarePlan/{plan['id']}/_history/1")
    assert response.headers["Link"].count('rel="related"') == len(plan["activity"]) + len(
        plan["goal"]
    )
    requests = requests_of(client, plan)
    assert statuses(requests) == {c: "draft" for c in statuses(requests)} | {"64635": "on-hold"}
    assert {"ServiceRequest", "MedicationRequest"} == {r["resourceType"] for r in requests}
    goals = [get(client, f"/{g['reference']}") for g in plan["goal"]]
    for resource in [plan, *requests, *goals]:
        assert not has_errors(validate(resource)), resource

    # activate: the draft requests become active with it; the ablation waits for the block
    active = put(client, {**plan, "status": "active"})
    assert active["meta"]["versionId"] == "2"
    after = statuses(requests_of(client, plan))
    assert after == {c: "active" for c in after} | {"64635": "on-hold"}

    # revise: a plain PUT, kept as a version
    put(client, {**active, "description": "Revised after the MDT meeting"})
    history = get(client, f"/CarePlan/{plan['id']}/_history")
    assert [e["resource"]["meta"]["versionId"] for e in history["entry"]] == ["3", "2", "1"]

    for query in (
        f"patient=Patient/{key}&status=active",
        f"care-team=CareTeam/{key}-mdt",
        f"patient={key}&date=ge{plan['period']['start']}",
    ):
        found = get(client, f"/CarePlan?{query}")
        assert [e["resource"]["id"] for e in found["entry"]] == [plan["id"]], query
    assert "entry" not in get(client, f"/CarePlan?patient={key}&status=draft")

    # the block done: the ablation that waited for it is released, in the same write
    block = next(r for r in requests_of(client, plan) if code_of(r) == "64493")
    put(client, {**block, "status": "completed"})
    released = statuses(requests_of(client, plan))
    assert (released["64493"], released["64635"]) == ("completed", "active")

    # complete: nothing is marked done that was not; unperformed orders are withdrawn
    revised = get(client, f"/CarePlan/{plan['id']}")
    put(
        client,
        {**revised, "status": "completed", "period": {**plan["period"], "end": "2027-05-18"}},
    )
    ended = requests_of(client, plan)
    assert statuses(ended) == {
        code_of(r): "revoked" if r["resourceType"] == "ServiceRequest" else "active" for r in ended
    } | {"64493": "completed"}
    withdrawn = [r for r in ended if r["status"] == "revoked"]
    assert all("Not performed" in r["note"][-1]["text"] for r in withdrawn)
    for resource in ended:
        assert not has_errors(validate(resource)), resource
    assert len(get(client, f"/CarePlan?patient={key}&status=completed")["entry"]) == 1


def test_a_prerequisite_completed_in_a_draft_plan_releases_nothing(client: httpx.Client) -> None:
    key = patient_with_mdt(client)
    plan = parse_json(apply(client, "chronic-low-back-pain", subject=f"Patient/{key}").content)
    block = next(r for r in requests_of(client, plan) if code_of(r) == "64493")
    put(client, {**block, "status": "completed"})
    assert statuses(requests_of(client, plan))["64635"] == "on-hold"


def test_a_draft_plan_withdrawn_revokes_its_requests(client: httpx.Client) -> None:
    key = patient_with_mdt(client)
    # no careTeam given: the patient's one active CareTeam
    response = apply(client, "chronic-pain", subject=f"Patient/{key}")
    assert response.status_code == 201, response.text
    plan = parse_json(response.content)
    put(client, {**plan, "status": "revoked"})
    statuses = {(r["resourceType"], r["status"]) for r in requests_of(client, plan)}
    assert statuses == {("ServiceRequest", "revoked"), ("MedicationRequest", "cancelled")}


@pytest.mark.parametrize(
    ("plan_id", "parameters", "status"),
    [
        pytest.param("chronic-pain", {}, 400, id="no subject"),
        pytest.param("nowhere", {"subject": "Patient/{key}"}, 404, id="unknown pathway"),
        pytest.param("chronic-pain", {"subject": "Patient/nobody-here"}, 422, id="unknown patient"),
        pytest.param(
            "chronic-pain",
            {"subject": "Patient/{key}", "careTeam": "CareTeam/nobody-here"},
            422,
            id="unknown care team",
        ),
        pytest.param(
            "chronic-pain",
            {"subject": "Patient/{key}", "referral": "Patient/{key}"},
            422,
            id="a referral that is not a ServiceRequest",
        ),
    ],
)
def test_bad_apply_is_refused_and_writes_nothing(
    client: httpx.Client, plan_id: str, parameters: dict[str, str], status: int
) -> None:
    key = patient_with_mdt(client)
    before = get(client, "/CarePlan?_summary=count")["total"]
    filled = {name: value.format(key=key) for name, value in parameters.items()}
    response = apply(client, plan_id, **filled)
    assert response.status_code == status, response.text
    assert parse_json(response.content)["resourceType"] == "OperationOutcome"
    assert get(client, "/CarePlan?_summary=count")["total"] == before
