"""What a searchset says besides its matches: the self link, `_count=0`, out-of-range
values, and resources cut down by `_summary` / `_elements`."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx

from tests.api.fhir_client import json_of, patient, send, unique


def _link(bundle: dict[str, Any], relation: str) -> str:
    return str(next(link["url"] for link in bundle["link"] if link["relation"] == relation))


def test_the_self_link_leaves_out_ignored_parameters(client: httpx.Client) -> None:
    family = f"Self{unique()}"
    bundle = json_of(client.get("/Patient", params={"foo": "bar", "family": family}))
    outcome = [e for e in bundle["entry"] if e["search"]["mode"] == "outcome"]
    assert "foo" in outcome[0]["resource"]["issue"][0]["diagnostics"]
    for relation in ("self", "first"):
        assert parse_qsl(urlsplit(_link(bundle, relation)).query) == [("family", family)]
    everything = json_of(client.get("/Patient/p1/*", params={"code": "x", "_count": "5"}))
    assert parse_qsl(urlsplit(_link(everything, "self")).query) == [("_count", "5")]


def test_count_zero_answers_the_total_alone(client: httpx.Client) -> None:
    family = f"Zero{unique()}"
    for _ in range(3):
        assert send(client, "POST", "/Patient", patient(family)).status_code == 201
    bundle = json_of(client.get("/Patient", params={"family": family, "_count": "0"}))
    assert bundle["total"] == 3 and "entry" not in bundle
    pid = json_of(send(client, "POST", "/Patient", patient(family)))["id"]
    compartment = json_of(client.get(f"/Patient/{pid}/*", params={"_count": "0"}))
    assert compartment["total"] == 1 and "entry" not in compartment


def test_a_number_out_of_range_is_a_bad_request(client: httpx.Client) -> None:
    for value in ("1e999999999", "1e-999999999", "gt1e999999", "ap1e999999|http://u|kg"):
        response = client.get("/Observation", params={"value-quantity": value})
        assert response.status_code == 400, (value, response.text)
        assert json_of(response)["resourceType"] == "OperationOutcome"
    assert client.get("/Observation", params={"value-quantity": "1e300"}).status_code == 200


def test_summary_drops_what_only_starts_like_a_summary_element(client: httpx.Client) -> None:
    encounter = {
        "resourceType": "Encounter",
        "status": "finished",
        "statusHistory": [{"status": "planned", "period": {"start": "2024-03-01"}}],
        "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB"},
        "classHistory": [
            {
                "class": {"code": "EMER"},
                "period": {"start": "2024-03-01"},
            }
        ],
    }
    eid = json_of(send(client, "POST", "/Encounter", encounter))["id"]
    summary = json_of(client.get("/Encounter", params={"_id": eid, "_summary": "true"}))
    assert set(summary["entry"][0]["resource"]) == {"resourceType", "id", "meta", "status", "class"}
    elements = json_of(client.get("/Encounter", params={"_id": eid, "_elements": "status"}))
    assert set(elements["entry"][0]["resource"]) == {
        "resourceType",
        "id",
        "meta",
        "status",
        "class",
    }


def test_a_choice_element_keeps_each_of_its_types(client: httpx.Client) -> None:
    observation = {
        "resourceType": "Observation",
        "status": "final",
        "code": {"text": "pain score"},
        "effectiveDateTime": "2024-03-01",
        "valueQuantity": {"value": 7},
        "note": [{"text": "worse at night"}],
    }
    oid = json_of(send(client, "POST", "/Observation", observation))["id"]
    summary = json_of(client.get("/Observation", params={"_id": oid, "_summary": "true"}))
    resource = summary["entry"][0]["resource"]
    assert "valueQuantity" in resource and "effectiveDateTime" in resource
    assert "note" not in resource
    elements = json_of(client.get("/Observation", params={"_id": oid, "_elements": "value"}))
    assert set(elements["entry"][0]["resource"]) == {
        "resourceType",
        "id",
        "meta",
        "status",
        "code",
        "valueQuantity",
    }
