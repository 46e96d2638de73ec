"""Opioid safety over HTTP against the real server, on every backend: the warnings of an
opioid prescription (alone and in a transaction), its DetectedIssue, and `$mme`."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from tests.api.fhir_client import FHIR_JSON, json_of, patient, send, unique
from tests.workflow.opioids.prescriptions import Json, dosage, every, prescription

SNOMED = "http://snomed.info/sct"
FINDINGS = "http://painfhir.org/fhir/CodeSystem/opioid-safety-finding"
OXYCODONE_10 = "1049683"
METHADONE_10 = "864706"
NALOXONE_NASAL_4MG = "1725059"
GABAPENTIN_300 = "310431"


def _new_patient(client: httpx.Client) -> str:
    created = send(client, "POST", "/Patient", patient())
    assert created.status_code == 201
    res_id: str = json_of(created)["id"]
    return res_id


def _rx(code: str, patient_id: str, tablets: int, times_a_day: int, **more: Any) -> Json:
    request = prescription(code, dosage(tablets, "tablet", every(times_a_day)), patient=patient_id)
    request.pop("id")
    return {**request, **more}


def _related(response: httpx.Response) -> list[str]:
    """The `Type/id` of each `Link: <…>; rel="related"` target."""
    return re.findall(
        r'/(DetectedIssue/[^/>]+)/_history/\d+>; rel="related"', response.headers.get("link", "")
    )


def _finding_codes(detected_issue: Json) -> list[str]:
    return [
        coding["code"]
        for evidence in detected_issue.get("evidence", [])
        for concept in evidence["code"]
        for coding in concept["coding"]
        if coding["system"] == FINDINGS
    ]


def _warnings(outcome: Json) -> list[str]:
    return [i["diagnostics"] for i in outcome["issue"] if i["severity"] == "warning"]


def test_a_prescription_alone_answers_as_usual_and_links_its_detected_issue(
    client: httpx.Client,
) -> None:
    patient_id = _new_patient(client)
    created = send(client, "POST", "/MedicationRequest", _rx(OXYCODONE_10, patient_id, 2, 4))
    assert created.status_code == 201
    assert json_of(created)["resourceType"] == "MedicationRequest"
    [issue_ref] = _related(created)
    issue = json_of(client.get(f"/{issue_ref}"))
    assert issue["status"] == "final" and issue["severity"] == "high"
    assert issue["patient"] == {"reference": f"Patient/{patient_id}"}
    assert issue["implicated"] == [{"reference": f"MedicationRequest/{json_of(created)['id']}"}]
    assert _finding_codes(issue) == [
        "mme-90",
        "no-naloxone",
        "no-non-opioid-therapy",
        "no-pdmp-review",
    ]
    assert issue["detail"].startswith("120 MME/d.")
    validated = send(client, "POST", "/DetectedIssue/$validate", issue)
    assert [i for i in json_of(validated)["issue"] if i["severity"] == "error"] == []


def test_prefer_operation_outcome_lists_the_warnings(client: httpx.Client) -> None:
    patient_id = _new_patient(client)
    created = send(
        client,
        "POST",
        "/MedicationRequest",
        _rx(OXYCODONE_10, patient_id, 1, 4),
        Prefer="return=OperationOutcome",
    )
    assert created.status_code == 201
    outcome = json_of(created)
    assert outcome["resourceType"] == "OperationOutcome"
    assert any("60 MME/d over 1 active opioid" in i["diagnostics"] for i in outcome["issue"])
    assert _warnings(outcome) == [
        "60 MME/d (at least 50): reassess benefits and risks, justify the dose",
        "No naloxone prescribed: offer naloxone (an opioid/naloxone combination does not count)",
        "No non-opioid therapy tried or planned (medication, rehabilitation, CBT, procedures)",
        "No PDMP review in the last 90 days: check the prescription drug monitoring program",
    ]


def _entry(resource: Json, full_url: str | None = None) -> Json:
    entry: Json = {
        "resource": resource,
        "request": {"method": "POST", "url": resource["resourceType"]},
    }
    if full_url:
        entry["fullUrl"] = full_url
    return entry


def _transaction(patient_url: str, opioid: Json, *others: Json) -> Json:
    return {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [_entry(patient(), patient_url), _entry(opioid), *(_entry(o) for o in others)],
    }


def _pdmp_review(subject: str) -> Json:
    return {
        "resourceType": "Procedure",
        "status": "completed",
        "code": {"coding": [{"system": SNOMED, "code": "461621000124108"}]},
        "subject": {"reference": subject},
        "performedDateTime": "2026-11-20",
    }


def test_in_a_transaction_the_check_sees_the_whole_bundle(client: httpx.Client) -> None:
    subject = f"urn:uuid:{unique()}"
    opioid = _rx(OXYCODONE_10, "x", 3, 4) | {"subject": {"reference": subject}}
    naloxone = _rx(NALOXONE_NASAL_4MG, "x", 1, 1) | {"subject": {"reference": subject}}
    gabapentin = _rx(GABAPENTIN_300, "x", 1, 3) | {"subject": {"reference": subject}}
    bundle = _transaction(subject, opioid, naloxone, gabapentin, _pdmp_review(subject))
    response = send(client, "POST", "/", bundle)
    assert response.status_code == 200, response.text
    entries = json_of(response)["entry"]
    outcome = entries[1]["response"]["outcome"]
    assert _warnings(outcome) == [
        "180 MME/d (at least 90): avoid, or justify and consider tapering"
    ]
    assert all("outcome" not in e["response"] for e in entries[2:])
    patient_id = entries[0]["response"]["location"].split("/")[1]
    issues = json_of(client.get("/DetectedIssue", params={"patient": patient_id}))
    [found] = [e["resource"] for e in issues["entry"]]
    assert _finding_codes(found) == ["mme-90"]


def test_an_update_supersedes_the_detected_issue(client: httpx.Client) -> None:
    patient_id = _new_patient(client)
    created = send(client, "POST", "/MedicationRequest", _rx(OXYCODONE_10, patient_id, 2, 4))
    request = json_of(created)
    [issue_ref] = _related(created)
    request["dosageInstruction"] = [dosage(1, "tablet", every(6))]
    updated = send(client, "PUT", f"/MedicationRequest/{request['id']}", request)
    assert updated.status_code == 200
    assert _related(updated) == [issue_ref]
    issue = json_of(client.get(f"/{issue_ref}"))
    assert issue["meta"]["versionId"] == "2"
    assert _finding_codes(issue)[0] == "mme-90"
    assert issue["detail"].startswith("90 MME/d.")
    stopped = {**request, "status": "stopped"}
    send(client, "PUT", f"/MedicationRequest/{request['id']}", stopped)
    assert json_of(client.get(f"/{issue_ref}"))["status"] == "cancelled"
    listed = json_of(client.get("/DetectedIssue", params={"patient": patient_id}))
    assert len(listed["entry"]) == 1


def test_a_failed_transaction_leaves_no_detected_issue(client: httpx.Client) -> None:
    subject = f"urn:uuid:{unique()}"
    opioid = _rx(OXYCODONE_10, "x", 2, 4) | {"subject": {"reference": subject}}
    doomed = {"resourceType": "Patient", "id": unique()}
    bundle = _transaction(subject, opioid)
    bundle["entry"].append(
        {
            "resource": doomed,
            "request": {"method": "PUT", "url": f"Patient/{doomed['id']}", "ifMatch": 'W/"3"'},
        }
    )
    before = json_of(client.get("/DetectedIssue", params={"_summary": "count"}))["total"]
    assert send(client, "POST", "/", bundle).status_code == 412
    after = json_of(client.get("/DetectedIssue", params={"_summary": "count"}))["total"]
    assert after == before


def _parameter(parameters: Json, name: str) -> list[Json]:
    return [p for p in parameters["parameter"] if p["name"] == name]


def _parts(prescription_part: Json) -> dict[str, Any]:
    return {
        p["name"]: next(v for k, v in p.items() if k.startswith("value"))
        for p in prescription_part["part"]
    }


@pytest.mark.parametrize(
    ("how", "factors", "total"),
    [
        pytest.param("GET", None, 282, id="GET, 2022 factors by default: 282"),
        pytest.param("GET", "2016", 600, id="GET ?factors=2016: 600"),
        pytest.param("POST", "2016", 600, id="POST a Parameters with factors 2016: 600"),
    ],
)
def test_mme_operation(client: httpx.Client, how: str, factors: str | None, total: int) -> None:
    patient_id = _new_patient(client)
    send(client, "POST", "/MedicationRequest", _rx(METHADONE_10, patient_id, 2, 3))
    url = f"/Patient/{patient_id}/$mme"
    if how == "GET":
        answer = client.get(url, params={"factors": factors} if factors else {})
    else:
        wanted = {
            "resourceType": "Parameters",
            "parameter": [{"name": "factors", "valueCode": factors}],
        }
        answer = send(client, "POST", url, wanted)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith(FHIR_JSON)
    parameters = json_of(answer)
    [total_part] = _parameter(parameters, "total")
    assert total_part["valueQuantity"] == {
        "value": total,
        "unit": "{MME}/d",
        "system": "http://unitsofmeasure.org",
        "code": "{MME}/d",
    }
    [part] = _parameter(parameters, "prescription")
    found = _parts(part)
    assert found["ingredient"]["coding"][0]["code"] == "6813"
    assert found["dailyDose"]["value"] == 60
    assert found["mme"]["value"] == total


def test_mme_operation_warns_about_an_unknown_product(client: httpx.Client) -> None:
    patient_id = _new_patient(client)
    unknown = _rx("31415926", patient_id, 1, 2)
    unknown["medicationCodeableConcept"]["text"] = "Hydromorphone 3.3 mg tablet"
    send(client, "POST", "/MedicationRequest", unknown)
    parameters = json_of(client.get(f"/Patient/{patient_id}/$mme"))
    assert _parameter(parameters, "total")[0]["valueQuantity"]["value"] == 0
    [warning] = _parameter(parameters, "warning")
    assert (
        "hydromorphone product painfhir's table does not know (31415926)" in warning["valueString"]
    )


@pytest.mark.parametrize(
    ("url", "status"),
    [
        pytest.param("/Patient/{id}/$mme?factors=2019", 400, id="factors other than 2022 or 2016"),
        pytest.param("/Patient/no-such-patient/$mme", 404, id="a patient not here"),
        pytest.param("/Patient/$mme", 400, id="no patient"),
        pytest.param("/Observation/{id}/$mme", 404, id="not on other types"),
    ],
)
def test_mme_operation_refusals(client: httpx.Client, url: str, status: int) -> None:
    answer = client.get(url.format(id=_new_patient(client)))
    assert answer.status_code == status
    assert json_of(answer)["resourceType"] == "OperationOutcome"


def _issue_of(client: httpx.Client, issue_ref: str) -> Json:
    issue: Json = json_of(client.get(f"/{issue_ref}"))
    return issue


def test_later_writes_re_check_the_review_and_keep_the_mitigation(client: httpx.Client) -> None:
    patient_id = _new_patient(client)
    created = send(client, "POST", "/MedicationRequest", _rx(OXYCODONE_10, patient_id, 2, 4))
    [issue_ref] = _related(created)
    issue = _issue_of(client, issue_ref)
    mitigation = {
        "action": {"text": "Dose justified: post-surgical flare, taper planned in 4 weeks"},
        "date": "2026-11-20",
        "author": {"display": "Dr. Lee"},
    }
    acknowledged = send(client, "PUT", f"/{issue_ref}", {**issue, "mitigation": [mitigation]})
    assert acknowledged.status_code == 200, acknowledged.text

    naloxone = send(client, "POST", "/MedicationRequest", _rx(NALOXONE_NASAL_4MG, patient_id, 1, 1))
    assert _related(naloxone) == [issue_ref]
    issue = _issue_of(client, issue_ref)
    assert issue["meta"]["versionId"] == "3"
    assert _finding_codes(issue) == ["mme-90", "no-non-opioid-therapy", "no-pdmp-review"]
    assert issue["mitigation"] == [mitigation]

    pdmp = send(client, "POST", "/Procedure", _pdmp_review(f"Patient/{patient_id}"))
    assert _related(pdmp) == [issue_ref]
    assert _finding_codes(_issue_of(client, issue_ref)) == ["mme-90", "no-non-opioid-therapy"]

    unrelated = send(
        client,
        "POST",
        "/Observation",
        _pdmp_review(f"Patient/{patient_id}")
        | {
            "resourceType": "Observation",
            "status": "final",
            "code": {"coding": [{"system": "http://loinc.org", "code": "72514-3"}]},
        },
    )
    assert _related(unrelated) == []


def test_stopping_the_benzodiazepine_cancels_the_warning(client: httpx.Client) -> None:
    subject = f"urn:uuid:{unique()}"
    opioid = _rx(OXYCODONE_10, "x", 1, 2) | {"subject": {"reference": subject}}
    naloxone = _rx(NALOXONE_NASAL_4MG, "x", 1, 1) | {"subject": {"reference": subject}}
    gabapentin = _rx(GABAPENTIN_300, "x", 1, 3) | {"subject": {"reference": subject}}
    benzodiazepine = _rx("197900", "x", 1, 1) | {"subject": {"reference": subject}}  # lorazepam
    bundle = _transaction(
        subject, opioid, naloxone, gabapentin, _pdmp_review(subject), benzodiazepine
    )
    entries = json_of(send(client, "POST", "/", bundle))["entry"]
    patient_id = entries[0]["response"]["location"].split("/")[1]
    [issue] = [
        e["resource"]
        for e in json_of(client.get("/DetectedIssue", params={"patient": patient_id}))["entry"]
    ]
    assert _finding_codes(issue) == ["benzodiazepine"]
    assert issue["meta"]["versionId"] == "1"  # one review per patient per Bundle

    benzo_id = entries[5]["response"]["location"].split("/")[1]
    stopped = json_of(client.get(f"/MedicationRequest/{benzo_id}")) | {"status": "stopped"}
    answer = send(client, "PUT", f"/MedicationRequest/{benzo_id}", stopped)
    assert _related(answer) == [f"DetectedIssue/{issue['id']}"]
    assert _issue_of(client, f"DetectedIssue/{issue['id']}")["status"] == "cancelled"


def test_a_second_opioid_updates_the_first_ones_review(client: httpx.Client) -> None:
    patient_id = _new_patient(client)
    first = send(client, "POST", "/MedicationRequest", _rx(OXYCODONE_10, patient_id, 1, 4))
    [first_issue] = _related(first)
    assert _issue_of(client, first_issue)["detail"].startswith("60 MME/d.")
    second = _rx(OXYCODONE_10, patient_id, 1, 4)
    second["dispenseRequest"]["expectedSupplyDuration"]["value"] = 5
    added = send(client, "POST", "/MedicationRequest", second)
    assert first_issue in _related(added)
    assert _issue_of(client, first_issue)["detail"].startswith("120 MME/d.")


def test_mme_operation_states_the_2016_methadone_factor_of_the_patients_total(
    client: httpx.Client,
) -> None:
    patient_id = _new_patient(client)
    for _ in range(2):
        send(
            client,
            "POST",
            "/MedicationRequest",
            _rx(METHADONE_10, patient_id, 1, 1) | {"dosageInstruction": [dosage(15, "mg")]},
        )
    parameters = json_of(client.get(f"/Patient/{patient_id}/$mme", params={"factors": "2016"}))
    assert _parameter(parameters, "total")[0]["valueQuantity"]["value"] == 240
    for part in _parameter(parameters, "prescription"):
        found = _parts(part)
        assert (found["factor"], found["mme"]["value"]) == (8, 120)
        assert "30 mg/d" in found["factorNote"]
