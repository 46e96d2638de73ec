"""History (instance, type, system) with paging, and search by _id, _lastUpdated, identifier."""

from __future__ import annotations

import time
from typing import Any

import httpx

from tests.api.fhir_client import json_of, patient, send, unique

SYSTEM = "urn:oid:2.16.840.1.113883.3.999.1"


def _ids(bundle: dict[str, Any]) -> list[str]:
    return [e["resource"]["id"] for e in bundle.get("entry", []) if "resource" in e]


def _follow(client: httpx.Client, url: str, **params: str) -> list[dict[str, Any]]:
    """Every page of a paged Bundle, by its `next` links."""
    pages = [json_of(client.get(url, params=params))]
    while nxt := [link["url"] for link in pages[-1]["link"] if link["relation"] == "next"]:
        pages.append(json_of(client.get(nxt[0])))
    return pages


def test_instance_history_lists_versions_newest_first(client: httpx.Client) -> None:
    created = json_of(send(client, "POST", "/Patient", patient()))
    url = f"/Patient/{created['id']}"
    for gender in ("male", "other"):
        send(client, "PUT", url, {**created, "gender": gender})
    history = json_of(client.get(f"{url}/_history"))
    assert history["type"] == "history"
    versions = [e["resource"]["meta"]["versionId"] for e in history["entry"]]
    assert versions == ["3", "2", "1"]
    assert [e["request"]["method"] for e in history["entry"]] == ["PUT", "PUT", "POST"]
    assert history["entry"][0]["response"]["etag"] == 'W/"3"'


def test_history_pages_through_every_version_once(client: httpx.Client) -> None:
    created = json_of(send(client, "POST", "/Patient", patient()))
    url = f"/Patient/{created['id']}"
    for n in range(6):
        send(client, "PUT", url, {**created, "birthDate": f"197{n}-01-01"})
    pages = _follow(client, f"{url}/_history", _count="3")
    versions = [e["resource"]["meta"]["versionId"] for p in pages for e in p["entry"]]
    assert versions == ["7", "6", "5", "4", "3", "2", "1"]
    assert len(pages) == 3


def test_instance_history_of_an_unknown_resource_is_404(client: httpx.Client) -> None:
    assert client.get(f"/Patient/{unique()}/_history").status_code == 404


def test_type_and_system_history_include_new_changes(client: httpx.Client) -> None:
    before = json_of(client.get("/Patient/_history", params={"_count": "1"}))
    created = json_of(send(client, "POST", "/Patient", patient()))
    type_history = json_of(client.get("/Patient/_history", params={"_count": "5"}))
    assert type_history["entry"][0]["resource"]["id"] == created["id"]
    system = json_of(client.get("/_history", params={"_count": "5"}))
    assert created["id"] in _ids(system)
    assert before["entry"] != type_history["entry"][:1]


def test_history_since(client: httpx.Client) -> None:
    created = json_of(send(client, "POST", "/Patient", patient()))
    stamp = created["meta"]["lastUpdated"]
    since = json_of(client.get("/Patient/_history", params={"_since": stamp}))
    assert created["id"] in _ids(since)
    later = json_of(client.get("/Patient/_history", params={"_since": "2999-01-01"}))
    assert later.get("entry", []) == []


def test_search_by_id_and_identifier(client: httpx.Client) -> None:
    mrn = unique()
    one = json_of(
        send(
            client,
            "POST",
            "/Patient",
            {**patient(), "identifier": [{"system": SYSTEM, "value": mrn}]},
        )
    )
    two = json_of(send(client, "POST", "/Patient", patient()))
    by_id = json_of(client.get("/Patient", params={"_id": f"{one['id']},{two['id']}"}))
    assert sorted(_ids(by_id)) == sorted([one["id"], two["id"]])
    assert all(e["search"]["mode"] == "match" for e in by_id["entry"])
    assert _ids(json_of(client.get("/Patient", params={"identifier": f"{SYSTEM}|{mrn}"}))) == [
        one["id"]
    ]
    assert _ids(json_of(client.get("/Patient", params={"identifier": mrn}))) == [one["id"]]
    wrong_system = json_of(client.get("/Patient", params={"identifier": f"urn:other|{mrn}"}))
    assert _ids(wrong_system) == []


def test_search_by_last_updated_with_prefixes(client: httpx.Client) -> None:
    created = json_of(send(client, "POST", "/Patient", patient()))
    stamp = created["meta"]["lastUpdated"]
    day = stamp[:10]

    def found(value: str) -> bool:
        bundle = json_of(
            client.get("/Patient", params={"_id": created["id"], "_lastUpdated": value})
        )
        return created["id"] in _ids(bundle)

    assert found(day)  # the whole day
    assert found(stamp[:7])  # the whole month
    assert found(f"ge{stamp}")
    assert found(f"le{stamp}")
    assert not found(f"gt{day}")
    assert not found(f"lt{day}")
    assert found("ne2001-01-01")
    assert found("sa2001-01-01")
    assert not found("eb2001-01-01")
    assert found(f"ap{day}")


def test_deleted_and_superseded_versions_never_match(client: httpx.Client) -> None:
    mrn, other = unique(), unique()
    created = json_of(
        send(
            client,
            "POST",
            "/Patient",
            {**patient(), "identifier": [{"system": SYSTEM, "value": mrn}]},
        )
    )
    url = f"/Patient/{created['id']}"
    send(client, "PUT", url, {**created, "identifier": [{"system": SYSTEM, "value": other}]})
    assert _ids(json_of(client.get("/Patient", params={"identifier": mrn}))) == []
    assert _ids(json_of(client.get("/Patient", params={"identifier": other}))) == [created["id"]]
    client.delete(url)
    assert _ids(json_of(client.get("/Patient", params={"identifier": other}))) == []


def test_search_pages_without_duplicates_while_data_changes(client: httpx.Client) -> None:
    marker = unique()
    for _ in range(7):
        send(
            client,
            "POST",
            "/Patient",
            {**patient(), "identifier": [{"system": "urn:page", "value": marker}]},
        )
    first = json_of(client.get("/Patient", params={"identifier": marker, "_count": "3"}))
    send(
        client,
        "POST",
        "/Patient",
        {**patient(), "identifier": [{"system": "urn:page", "value": marker}]},
    )
    pages = [first]
    while nxt := [link["url"] for link in pages[-1]["link"] if link["relation"] == "next"]:
        pages.append(json_of(client.get(nxt[0])))
    seen = [i for page in pages for i in _ids(page)]
    assert len(seen) == len(set(seen))
    assert len(seen) >= 7


def test_lenient_search_says_what_it_ignored(client: httpx.Client) -> None:
    bundle = json_of(client.get("/Patient", params={"shoe-size": "44", "_count": "1"}))
    outcomes = [e for e in bundle["entry"] if e["search"]["mode"] == "outcome"]
    assert "shoe-size" in outcomes[0]["resource"]["issue"][0]["diagnostics"]


def test_search_by_post(client: httpx.Client) -> None:
    mrn = unique()
    created = json_of(
        send(
            client,
            "POST",
            "/Patient",
            {**patient(), "identifier": [{"system": SYSTEM, "value": mrn}]},
        )
    )
    response = client.post("/Patient/_search", data={"identifier": f"{SYSTEM}|{mrn}"})
    assert response.status_code == 200
    assert _ids(json_of(response)) == [created["id"]]


def test_metadata_describes_what_is_implemented(client: httpx.Client) -> None:
    statement = json_of(client.get("/metadata"))
    assert statement["fhirVersion"] == "4.0.1"
    rest = statement["rest"][0]
    types = {r["type"]: r for r in rest["resource"]}
    assert len(types) > 140
    assert {"ServiceRequest", "Task", "CarePlan", "CareTeam"} <= types.keys()
    service_request = types["ServiceRequest"]
    assert {i["code"] for i in service_request["interaction"]} >= {
        "read",
        "vread",
        "update",
        "patch",
        "delete",
        "create",
        "search-type",
        "history-instance",
        "history-type",
    }
    params = {p["name"]: p for p in service_request["searchParam"]}
    assert {"_id", "_lastUpdated", "_tag", "_profile", "_security", "identifier"} <= params.keys()
    assert {"patient", "status", "code", "authored", "requester", "occurrence"} <= params.keys()
    assert params["authored"]["type"] == "date"
    assert params["requester"]["definition"].startswith("http://hl7.org/fhir/SearchParameter/")
    assert "ServiceRequest:patient" in service_request["searchInclude"]
    assert {o["name"] for o in service_request["operation"]} == {"validate"}
    assert {i["code"] for i in rest["interaction"]} == {"transaction", "batch", "history-system"}
    time.sleep(0)  # the statement is served from a cache; a second read is the same
    assert json_of(client.get("/metadata")) == statement
