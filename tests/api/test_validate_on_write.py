"""Validate-on-write: a write that breaks base R4's invariants is 400, one that breaks a
painfhir profile it claims is 422 — in a transaction too, naming the entry — and nothing is
written. With PAINFHIR_VALIDATION=lenient only the structure refuses a write."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from painfhir.fhir.codec import parse_json
from tests.api.fhir_client import json_of, send, unique
from tests.conftest import RunningServer, new_database

EXAMPLES = Path(__file__).resolve().parents[2] / "profiles" / "examples"
PROFILE = "http://painfhir.org/fhir/StructureDefinition/pain-referral"


def _referral() -> dict[str, Any]:
    referral: dict[str, Any] = parse_json(
        (EXAMPLES / "ServiceRequest-lindqvist-referral.json").read_bytes()
    )
    referral.pop("id")
    referral["identifier"][0]["value"] = unique()  # the placer number, new each time
    return referral


def _without_placer(referral: dict[str, Any]) -> dict[str, Any]:
    broken = copy.deepcopy(referral)
    broken["identifier"] = broken["identifier"][1:]  # only the filler's identifier remains
    return broken


def _value_and_absent_reason() -> dict[str, Any]:
    """obs-6: dataAbsentReason only when there is no value."""
    return {
        "resourceType": "Observation",
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "72514-3"}]},
        "valueInteger": 7,
        "dataAbsentReason": {"text": "asked, not answered"},
    }


def _placer_count(client: httpx.Client, referral: dict[str, Any]) -> int:
    placer = referral["identifier"][0]
    found = json_of(
        client.get(
            "/ServiceRequest", params={"identifier": f"{placer['system']}|{placer['value']}"}
        )
    )
    return len(found.get("entry", []))


def test_a_resource_conforming_to_its_claimed_profile_is_stored(client: httpx.Client) -> None:
    assert send(client, "POST", "/ServiceRequest", _referral()).status_code == 201


def test_breaking_a_claimed_profile_is_422_at_the_path(client: httpx.Client) -> None:
    broken = _without_placer(_referral())
    response = send(client, "POST", "/ServiceRequest", broken)
    assert response.status_code == 422, response.text
    errors = [i for i in json_of(response)["issue"] if i["severity"] == "error"]
    assert errors and all("ServiceRequest.identifier" in i["expression"][0] for i in errors)
    assert any(PROFILE in i["diagnostics"] or "placer" in i["diagnostics"] for i in errors)


def test_breaking_an_invariant_is_400(client: httpx.Client) -> None:
    response = send(client, "POST", "/Observation", _value_and_absent_reason())
    assert response.status_code == 400
    [issue] = [i for i in json_of(response)["issue"] if i["severity"] == "error"]
    assert (issue["code"], issue["expression"]) == ("invariant", ["Observation"])
    assert issue["diagnostics"].startswith("obs-6:")


def test_a_transaction_with_one_nonconforming_entry_writes_nothing(client: httpx.Client) -> None:
    good, bad = _referral(), _without_placer(_referral())
    bundle = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {"resource": r, "request": {"method": "POST", "url": "ServiceRequest"}}
            for r in (good, bad)
        ],
    }
    response = send(client, "POST", "/", bundle)
    assert response.status_code == 422
    issues = json_of(response)["issue"]
    assert any(i["severity"] == "error" for i in issues)
    assert all(i["expression"][0].startswith("Bundle.entry[1].resource") for i in issues)
    assert _placer_count(client, good) == 0


def test_patch_that_breaks_the_claimed_profile_is_422(client: httpx.Client) -> None:
    created = json_of(send(client, "POST", "/ServiceRequest", _referral()))
    drop_placer = [{"op": "remove", "path": "/identifier/0"}]
    response = client.patch(
        f"/ServiceRequest/{created['id']}",
        json=drop_placer,
        headers={"Content-Type": "application/json-patch+json"},
    )
    assert response.status_code == 422
    assert json_of(client.get(f"/ServiceRequest/{created['id']}"))["meta"]["versionId"] == "1"


def test_validate_against_a_profile_the_resource_does_not_claim(client: httpx.Client) -> None:
    plain = _without_placer(_referral())
    del plain["meta"]
    assert send(client, "POST", "/ServiceRequest/$validate", plain).status_code == 200
    unclaimed = json_of(send(client, "POST", "/ServiceRequest/$validate", plain))
    assert not [i for i in unclaimed["issue"] if i["severity"] == "error"]
    asked = json_of(send(client, "POST", f"/ServiceRequest/$validate?profile={PROFILE}", plain))
    assert [i for i in asked["issue"] if i["severity"] == "error"]


@pytest.fixture(scope="module")
def lenient_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    database = new_database("sqlite", tmp_path_factory.mktemp("lenient"))
    running = RunningServer(database, validation="lenient")
    with httpx.Client(base_url=running.url, timeout=30) as http:
        yield http
    running.stop()


def test_lenient_mode_stores_what_only_breaks_profiles_and_invariants(
    lenient_client: httpx.Client,
) -> None:
    assert (
        send(lenient_client, "POST", "/ServiceRequest", _without_placer(_referral())).status_code
        == 201
    )
    assert (
        send(lenient_client, "POST", "/Observation", _value_and_absent_reason()).status_code == 201
    )
    structurally_broken = {"resourceType": "Observation", "status": "final", "valueQuantity": 3}
    assert send(lenient_client, "POST", "/Observation", structurally_broken).status_code == 400
