"""Batch and transaction Bundles: atomicity, reference rewriting, order, conditional entries."""

from __future__ import annotations

import base64
from typing import Any

import httpx

from tests.api.fhir_client import json_of, patient, send, unique

SYSTEM = "urn:oid:2.16.840.1.113883.3.999.1"


def _bundle(kind: str, *entries: dict[str, Any]) -> dict[str, Any]:
    return {"resourceType": "Bundle", "type": kind, "entry": list(entries)}


def _post(full_url: str, resource: dict[str, Any], **request: str) -> dict[str, Any]:
    return {
        "fullUrl": full_url,
        "resource": resource,
        "request": {"method": "POST", "url": resource["resourceType"], **request},
    }


def _read(client: httpx.Client, location: str) -> dict[str, Any]:
    response = client.get("/" + location.split("/_history", maxsplit=1)[0])
    assert response.status_code == 200, location
    resource: dict[str, Any] = json_of(response)
    return resource


def _referral_package() -> dict[str, Any]:
    """A referral whose references go through placeholders everywhere they can hide."""
    pid, cid, oid = (
        f"urn:uuid:{unique()[:8]}-0000-4000-8000-000000000001",
        (f"urn:uuid:{unique()[:8]}-0000-4000-8000-000000000002"),
        "urn:oid:1.2.36.146.595.217.0.1",
    )
    condition = {
        "resourceType": "Condition",
        "subject": {"reference": pid},
        "code": {"coding": [{"system": "http://snomed.info/sct", "code": "82423001"}]},
    }
    referral = {
        "resourceType": "ServiceRequest",
        "status": "active",
        "intent": "order",
        "subject": {"reference": pid},
        "reasonReference": [{"reference": cid}],
        "performer": [{"reference": oid}],
        "extension": [
            {"url": "http://example.org/referring-condition", "valueReference": {"reference": cid}}
        ],
        "relevantHistory": [{"reference": "#p1"}],
        "contained": [
            {
                "resourceType": "Provenance",
                "id": "p1",
                "target": [{"reference": pid}],
                "recorded": "2024-03-01T10:00:00Z",
                "agent": [{"who": {"reference": oid}}],
            }
        ],
        "text": {
            "status": "generated",
            "div": f'<div xmlns="http://www.w3.org/1999/xhtml"><a href="{pid}">patient</a></div>',
        },
    }
    return _bundle(
        "transaction",
        _post(pid, patient()),
        _post(cid, condition),
        _post(oid, {"resourceType": "Organization", "name": "Riverside Pain Clinic"}),
        _post(f"urn:uuid:{unique()[:8]}-0000-4000-8000-000000000003", referral),
    )


def test_transaction_rewrites_every_placeholder(client: httpx.Client) -> None:
    response = send(client, "POST", "/", _referral_package())
    assert response.status_code == 200, response.text
    result = json_of(response)
    assert result["type"] == "transaction-response"
    statuses = [entry["response"]["status"] for entry in result["entry"]]
    assert statuses == ["201 Created"] * 4
    locations = [entry["response"]["location"] for entry in result["entry"]]
    patient_ref, condition_ref, org_ref = (loc.split("/_history")[0] for loc in locations[:3])
    referral = _read(client, locations[3])
    assert referral["subject"] == {"reference": patient_ref}
    assert referral["reasonReference"] == [{"reference": condition_ref}]
    assert referral["performer"] == [{"reference": org_ref}]
    assert referral["extension"][0]["valueReference"] == {"reference": condition_ref}
    provenance = referral["contained"][0]
    assert provenance["target"] == [{"reference": patient_ref}]
    assert provenance["agent"][0]["who"] == {"reference": org_ref}
    assert f'href="{patient_ref}"' in referral["text"]["div"]
    assert _read(client, locations[1])["subject"] == {"reference": patient_ref}


def test_one_bad_entry_fails_the_whole_transaction(client: httpx.Client) -> None:
    marker = unique()
    good = {**patient(), "identifier": [{"system": SYSTEM, "value": marker}]}
    bad = {
        "resourceType": "Observation",
        "status": "final",
        "code": {"text": "x"},
        "valueQuantity": {"value": "heavy"},
    }
    bundle = _bundle(
        "transaction",
        _post("urn:uuid:7f0b8c1e-0000-4000-8000-000000000001", good),
        _post("urn:uuid:7f0b8c1e-0000-4000-8000-000000000002", bad),
    )
    response = send(client, "POST", "/", bundle)
    assert response.status_code == 400
    outcome = json_of(response)
    assert any("Bundle.entry[1]" in e for i in outcome["issue"] for e in i.get("expression", []))
    found = json_of(client.get("/Patient", params={"identifier": f"{SYSTEM}|{marker}"}))
    assert found.get("entry", []) == []


def test_a_failing_write_late_in_the_transaction_rolls_back_earlier_ones(
    client: httpx.Client,
) -> None:
    marker = unique()
    good = {**patient(), "identifier": [{"system": SYSTEM, "value": marker}]}
    stale_update = {
        "resource": {**patient(), "id": f"x{marker}"},
        "request": {"method": "PUT", "url": f"Patient/x{marker}", "ifMatch": 'W/"4"'},
    }
    bundle = _bundle(
        "transaction", _post("urn:uuid:7f0b8c1e-0000-4000-8000-000000000009", good), stale_update
    )
    response = send(client, "POST", "/", bundle)
    assert response.status_code == 412
    found = json_of(client.get("/Patient", params={"identifier": f"{SYSTEM}|{marker}"}))
    assert found.get("entry", []) == []


def test_unresolvable_placeholder_fails_the_transaction(client: httpx.Client) -> None:
    orphan = {
        "resourceType": "Condition",
        "subject": {"reference": "urn:uuid:00000000-0000-4000-8000-00000000dead"},
    }
    response = send(client, "POST", "/", _bundle("transaction", _post("urn:uuid:1", orphan)))
    assert response.status_code == 400


def test_conditional_references_and_if_none_exist_in_entries(client: httpx.Client) -> None:
    mrn = unique()
    existing = json_of(
        send(
            client,
            "POST",
            "/Patient",
            {**patient(), "identifier": [{"system": SYSTEM, "value": mrn}]},
        )
    )
    condition = {
        "resourceType": "Condition",
        "subject": {"reference": f"Patient?identifier={SYSTEM}|{mrn}"},
    }
    again = {**patient(), "identifier": [{"system": SYSTEM, "value": mrn}]}
    bundle = _bundle(
        "transaction",
        _post(
            "urn:uuid:5b1c7a52-0000-4000-8000-000000000001",
            again,
            ifNoneExist=f"identifier={SYSTEM}|{mrn}",
        ),
        _post("urn:uuid:5b1c7a52-0000-4000-8000-000000000002", condition),
    )
    response = send(client, "POST", "/", bundle)
    assert response.status_code == 200, response.text
    entries = json_of(response)["entry"]
    assert entries[0]["response"]["status"] == "200 OK"
    stored = _read(client, entries[1]["response"]["location"])
    assert stored["subject"] == {"reference": f"Patient/{existing['id']}"}


def test_conditional_reference_matching_nothing_fails(client: httpx.Client) -> None:
    condition = {
        "resourceType": "Condition",
        "subject": {"reference": f"Patient?identifier={SYSTEM}|{unique()}"},
    }
    response = send(client, "POST", "/", _bundle("transaction", _post("urn:uuid:2", condition)))
    assert response.status_code == 400


def test_transaction_order_delete_before_create_and_reads_last(client: httpx.Client) -> None:
    victim = json_of(send(client, "POST", "/Patient", patient()))
    fresh = f"urn:uuid:{unique()[:8]}-0000-4000-8000-000000000001"
    bundle = _bundle(
        "transaction",
        {"request": {"method": "GET", "url": f"Patient/{victim['id']}"}},
        _post(fresh, patient()),
        {"request": {"method": "DELETE", "url": f"Patient/{victim['id']}"}},
    )
    response = send(client, "POST", "/", bundle)
    assert response.status_code == 410  # the GET runs last, so it reads a deleted resource
    assert client.get(f"/Patient/{victim['id']}").status_code == 200  # and nothing was done


def test_the_same_resource_twice_in_a_transaction_is_refused(client: httpx.Client) -> None:
    res_id = f"twice-{unique()}"
    entry = {
        "resource": {**patient(), "id": res_id},
        "request": {"method": "PUT", "url": f"Patient/{res_id}"},
    }
    response = send(client, "POST", "/", _bundle("transaction", entry, entry))
    assert response.status_code == 400
    assert client.get(f"/Patient/{res_id}").status_code == 404


def test_batch_entries_succeed_or_fail_on_their_own(client: httpx.Client) -> None:
    stored = json_of(send(client, "POST", "/Patient", patient()))
    bundle = _bundle(
        "batch",
        {"resource": patient(), "request": {"method": "POST", "url": "Patient"}},
        {
            "resource": {**patient(), "birthDate": "never"},
            "request": {"method": "POST", "url": "Patient"},
        },
        {"request": {"method": "GET", "url": f"Patient/{stored['id']}"}},
        {"request": {"method": "GET", "url": "Patient/not-there"}},
        {"request": {"method": "DELETE", "url": f"Patient/{stored['id']}"}},
    )
    response = send(client, "POST", "/", bundle)
    assert response.status_code == 200
    result = json_of(response)
    assert result["type"] == "batch-response"
    statuses = [entry["response"]["status"][:3] for entry in result["entry"]]
    assert statuses == ["201", "400", "200", "404", "204"]
    assert result["entry"][1]["response"]["outcome"]["resourceType"] == "OperationOutcome"
    assert result["entry"][2]["resource"]["id"] == stored["id"]
    created = result["entry"][0]["response"]["location"]
    assert _read(client, created)["resourceType"] == "Patient"


def test_patch_entry_in_a_transaction(client: httpx.Client) -> None:
    stored = json_of(send(client, "POST", "/Patient", patient()))
    ops = base64.b64encode(b'[{"op": "add", "path": "/active", "value": false}]').decode()
    bundle = _bundle(
        "transaction",
        {
            "resource": {
                "resourceType": "Binary",
                "contentType": "application/json-patch+json",
                "data": ops,
            },
            "request": {"method": "PATCH", "url": f"Patient/{stored['id']}"},
        },
    )
    response = send(client, "POST", "/", bundle, Prefer="return=representation")
    assert response.status_code == 200, response.text
    assert json_of(response)["entry"][0]["resource"]["active"] is False
    assert json_of(client.get(f"/Patient/{stored['id']}"))["active"] is False


def test_post_to_base_needs_a_batch_or_transaction(client: httpx.Client) -> None:
    assert send(client, "POST", "/", _bundle("collection")).status_code == 400
    assert send(client, "POST", "/", patient()).status_code == 400


def test_a_delete_entry_with_a_stale_if_match_is_refused(client: httpx.Client) -> None:
    victim = json_of(send(client, "POST", "/Patient", patient()))
    send(client, "PUT", f"/Patient/{victim['id']}", {**victim, "gender": "other"})
    url = f"Patient/{victim['id']}"
    stale = {"request": {"method": "DELETE", "url": url, "ifMatch": 'W/"1"'}}
    response = send(client, "POST", "/", _bundle("transaction", stale))
    assert response.status_code == 412
    assert client.get(f"/{url}").status_code == 200
    current = {"request": {"method": "DELETE", "url": url, "ifMatch": 'W/"2"'}}
    response = send(client, "POST", "/", _bundle("transaction", current))
    assert response.status_code == 200
    assert client.get(f"/{url}").status_code == 410


def test_a_put_entry_must_carry_the_id_of_its_url(client: httpx.Client) -> None:
    res_id = f"put-{unique()}"
    other = f"other-{unique()}"
    for body in ({**patient(), "id": other}, patient()):
        entry = {"resource": body, "request": {"method": "PUT", "url": f"Patient/{res_id}"}}
        response = send(client, "POST", "/", _bundle("transaction", entry))
        assert response.status_code == 400, response.text
        assert "entry 0" in json_of(response)["issue"][0]["diagnostics"]
        batch = json_of(send(client, "POST", "/", _bundle("batch", entry)))
        assert batch["entry"][0]["response"]["status"] == "400 Bad Request"
    assert client.get(f"/Patient/{res_id}").status_code == 404
    assert client.get(f"/Patient/{other}").status_code == 404


def test_a_conditional_put_entry_must_not_name_another_id(client: httpx.Client) -> None:
    marker = unique()
    matched = json_of(
        send(
            client,
            "POST",
            "/Patient",
            {**patient(), "identifier": [{"system": SYSTEM, "value": marker}]},
        )
    )
    url = f"Patient?identifier={SYSTEM}|{marker}"
    clash = {
        "resource": {**patient(), "id": "someone-else"},
        "request": {"method": "PUT", "url": url},
    }
    assert send(client, "POST", "/", _bundle("transaction", clash)).status_code == 400
    without = {"resource": {**patient("Renamed")}, "request": {"method": "PUT", "url": url}}
    response = send(client, "POST", "/", _bundle("transaction", without))
    assert response.status_code == 200, response.text
    assert json_of(client.get(f"/Patient/{matched['id']}"))["name"][0]["family"] == "Renamed"
