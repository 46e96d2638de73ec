"""FHIR search over HTTP on a known data set: every parameter type, modifier, prefix, chain,
reverse chain, include, sort, paging, total, summary and compartment."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from tests.api.fhir_client import json_of, send
from tests.conftest import RunningServer, new_database

SNOMED = "http://snomed.info/sct"
LOINC = "http://loinc.org"
MRN = "urn:oid:2.16.840.1.113883.3.999.1"
NPI = "http://hl7.org/fhir/sid/us-npi"
V2_0203 = "http://terminology.hl7.org/CodeSystem/v2-0203"
TAGS = "http://painfhir.example/tags"


def _patient(pid: str, family: str, given: str, birth: str, city: str) -> dict[str, Any]:
    return {
        "resourceType": "Patient",
        "id": pid,
        "identifier": [
            {
                "type": {"coding": [{"system": V2_0203, "code": "MR"}]},
                "system": MRN,
                "value": f"MRN-{pid}",
            }
        ],
        "name": [{"family": family, "given": [given]}],
        "gender": "female" if given in ("Ana", "Zoë") else "male",
        "birthDate": birth,
        "address": [{"city": city}],
        "generalPractitioner": [{"reference": "Practitioner/gp1"}],
    }


def _observation(oid: str, pid: str, code: str, value: str, when: str) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "id": oid,
        "status": "final",
        "code": {"coding": [{"system": LOINC, "code": code}]},
        "subject": {"reference": f"Patient/{pid}"},
        "effectiveDateTime": when,
        "valueQuantity": {
            "value": float(value),
            "unit": "{score}",
            "system": "http://unitsofmeasure.org",
            "code": "{score}",
        },
    }


DATA: list[dict[str, Any]] = [
    {
        "resourceType": "Practitioner",
        "id": "gp1",
        "name": [{"family": "Okafor"}],
        "identifier": [{"system": NPI, "value": "1234567893"}],
    },
    {"resourceType": "Organization", "id": "clinic", "name": "Riverside Pain Clinic"},
    _patient("p1", "Rivera", "Ana", "1971-04-02", "Springfield"),
    _patient("p2", "Müller", "Jörg", "1985-11-20", "Shelbyville"),
    _patient("p3", "Rivers", "Zoë", "2001-06-15", "Springfield"),
    _observation("o1", "p1", "72514-3", "7", "2024-03-05T10:00:00Z"),
    _observation("o2", "p1", "72514-3", "4", "2024-05-01T09:00:00Z"),
    _observation("o3", "p2", "72514-3", "9", "2023-12-31T23:00:00Z"),
    _observation("o4", "p3", "91148-7", "3", "2024-03-20"),
    {
        "resourceType": "Condition",
        "id": "c1",
        "subject": {"reference": "Patient/p1"},
        "code": {
            "coding": [
                {"system": SNOMED, "code": "278860009"},
                {"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "M54.50"},
            ],
            "text": "Chronic low back pain",
        },
        "onsetDateTime": "2023-01",
    },
    {
        "resourceType": "CarePlan",
        "id": "cp1",
        "meta": {
            "tag": [{"system": TAGS, "code": "pilot"}],
            "profile": ["http://painfhir.example/fhir/StructureDefinition/pain-careplan"],
            "security": [
                {"system": "http://terminology.hl7.org/CodeSystem/v3-Confidentiality", "code": "R"}
            ],
        },
        "status": "active",
        "intent": "plan",
        "subject": {"reference": "Patient/p1"},
        "period": {"start": "2024-03-01", "end": "2024-09-01"},
    },
    {
        "resourceType": "CarePlan",
        "id": "cp2",
        "status": "draft",
        "intent": "plan",
        "subject": {"reference": "Patient/p2"},
        "period": {"start": "2024-06-01"},
    },
    {
        "resourceType": "ServiceRequest",
        "id": "sr1",
        "status": "active",
        "intent": "order",
        "subject": {"reference": "Patient/p1"},
        "requester": {"reference": "Practitioner/gp1"},
        "performer": [{"identifier": {"system": NPI, "value": "1234567893"}}],
        "code": {"coding": [{"system": SNOMED, "code": "408957008"}]},
    },
    {
        "resourceType": "RiskAssessment",
        "id": "ra1",
        "status": "final",
        "subject": {"reference": "Patient/p1"},
        "prediction": [{"probabilityDecimal": 0.35}],
    },
    {
        "resourceType": "RiskAssessment",
        "id": "ra2",
        "status": "final",
        "subject": {"reference": "Patient/p2"},
        "prediction": [{"probabilityDecimal": 0.8}],
    },
    {
        "resourceType": "ValueSet",
        "id": "vs1",
        "url": "http://painfhir.example/fhir/ValueSet/pain-sites",
        "status": "active",
    },
    {
        "resourceType": "Task",
        "id": "t1",
        "status": "received",
        "intent": "order",
        "focus": {"reference": "ServiceRequest/sr1"},
        "owner": {"reference": "Organization/clinic"},
        "for": {"reference": "Patient/p1"},
    },
]


@pytest.fixture(scope="module")
def search_client(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    database = new_database(backend, tmp_path_factory.mktemp("search"))
    running = RunningServer(database)
    with httpx.Client(base_url=running.url, timeout=30) as http:
        for resource in DATA:
            url = f"/{resource['resourceType']}/{resource['id']}"
            assert send(http, "PUT", url, resource).status_code == 201
        yield http
    running.stop()
    database.drop()


def _ids(client: httpx.Client, path: str, **params: str) -> list[str]:
    response = client.get(path, params=params)
    assert response.status_code == 200, response.text
    bundle = json_of(response)
    return sorted(
        e["resource"]["id"] for e in bundle.get("entry", []) if e["search"]["mode"] == "match"
    )


CASES = [
    # string: prefix, case- and accent-insensitive; :exact; :contains
    pytest.param("Patient", {"family": "riv"}, ["p1", "p3"], id="string-prefix"),
    pytest.param("Patient", {"family": "MULLER"}, ["p2"], id="string-accent-insensitive"),
    pytest.param("Patient", {"family:exact": "Rivera"}, ["p1"], id="string-exact"),
    pytest.param("Patient", {"family:exact": "rivera"}, [], id="string-exact-is-case-sensitive"),
    pytest.param("Patient", {"name:contains": "ver"}, ["p1", "p3"], id="string-contains"),
    pytest.param("Patient", {"address-city": "springfield"}, ["p1", "p3"], id="string-address"),
    # token
    pytest.param("Patient", {"gender": "female"}, ["p1", "p3"], id="token-code"),
    pytest.param("Patient", {"identifier": f"{MRN}|MRN-p2"}, ["p2"], id="token-system-code"),
    pytest.param("Condition", {"code": "M54.50"}, ["c1"], id="token-any-system"),
    pytest.param("Condition", {"code": f"{SNOMED}|"}, ["c1"], id="token-system-only"),
    pytest.param("Condition", {"code:text": "chronic low"}, ["c1"], id="token-text"),
    pytest.param("Patient", {"gender:not": "female"}, ["p2"], id="token-not"),
    pytest.param("CarePlan", {"status": "active,draft"}, ["cp1", "cp2"], id="token-or"),
    pytest.param("Condition", {"code": ["M54.50", f"{SNOMED}|278860009"]}, ["c1"], id="token-and"),
    pytest.param("Condition", {"code:text": "CHRONIC lów"}, ["c1"], id="token-text-normalized"),
    pytest.param(
        "Patient",
        {"identifier:of-type": f"{V2_0203}|MR|MRN-p3"},
        ["p3"],
        id="token-of-type",
    ),
    pytest.param("CarePlan", {"_tag": f"{TAGS}|pilot"}, ["cp1"], id="tag"),
    pytest.param(
        "CarePlan",
        {"_profile": "http://painfhir.example/fhir/StructureDefinition/pain-careplan"},
        ["cp1"],
        id="profile",
    ),
    pytest.param("CarePlan", {"_security": "R"}, ["cp1"], id="security"),
    # date: precision and prefixes; a stored range (a Period, a partial date) is equal to a
    # search value that contains it, and above it when it reaches past the search value
    pytest.param("Patient", {"birthdate": "1971"}, ["p1"], id="date-year"),
    pytest.param("Patient", {"birthdate": "gt1980-01-01"}, ["p2", "p3"], id="date-gt"),
    pytest.param("Patient", {"birthdate": "le1985-11-20"}, ["p1", "p2"], id="date-le"),
    pytest.param("Observation", {"date": "2024-03"}, ["o1", "o4"], id="date-month"),
    pytest.param(
        "Observation", {"date": ["ge2024-01-01", "lt2024-04-01"]}, ["o1", "o4"], id="date-and-range"
    ),
    pytest.param("Patient", {"birthdate": "ne1971-04-02"}, ["p2", "p3"], id="date-ne"),
    pytest.param("Patient", {"birthdate": "lt1971-04-02"}, [], id="date-lt-excludes-the-day"),
    pytest.param("Observation", {"date": "2024-03-05T10:00:00+00:00"}, ["o1"], id="date-instant"),
    pytest.param("CarePlan", {"date": "2024"}, ["cp1"], id="date-period-within"),
    pytest.param("CarePlan", {"date": "2024-04"}, [], id="date-period-overlap-is-not-equal"),
    pytest.param("CarePlan", {"date": "ne2024-04"}, ["cp1", "cp2"], id="date-period-ne"),
    pytest.param("CarePlan", {"date": "ge2030"}, ["cp2"], id="date-open-ended-period"),
    pytest.param("CarePlan", {"date": "le2024-04"}, ["cp1"], id="date-period-le"),
    pytest.param("Condition", {"onset-date": "2023-01-15"}, [], id="date-month-in-a-day"),
    pytest.param("Condition", {"onset-date": "2023"}, ["c1"], id="date-month-in-a-year"),
    pytest.param("Patient", {"birthdate": "1971-04"}, ["p1"], id="date-day-in-a-month"),
    pytest.param("CarePlan", {"date": "sa2024-02-15"}, ["cp1", "cp2"], id="date-starts-after"),
    pytest.param("CarePlan", {"date": "eb2024-10-01"}, ["cp1"], id="date-ends-before"),
    # quantity and number
    pytest.param("Observation", {"value-quantity": "gt5"}, ["o1", "o3"], id="quantity-gt"),
    pytest.param("Observation", {"value-quantity": "7||{score}"}, ["o1"], id="quantity-unit"),
    pytest.param(
        "Observation",
        {"value-quantity": "le4|http://unitsofmeasure.org|{score}"},
        ["o2", "o4"],
        id="quantity-system-code",
    ),
    pytest.param("RiskAssessment", {"probability": "gt0.5"}, ["ra2"], id="number-gt"),
    pytest.param("RiskAssessment", {"probability": "0.35"}, ["ra1"], id="number-eq"),
    # 0.4 means [0.35, 0.45): the precision written is the precision searched.
    pytest.param("RiskAssessment", {"probability": "0.4"}, ["ra1"], id="number-precision"),
    pytest.param("RiskAssessment", {"probability": "0.40"}, [], id="number-more-precision"),
    pytest.param(
        "Observation",
        {"code-value-quantity": f"{LOINC}|72514-3$gt5"},
        ["o1", "o3"],
        id="composite",
    ),
    # uri
    pytest.param(
        "ValueSet",
        {"url:below": "http://painfhir.example/fhir/"},
        ["vs1"],
        id="uri-below",
    ),
    pytest.param(
        "ValueSet",
        {"url:above": "http://painfhir.example/fhir/ValueSet/pain-sites/v2"},
        ["vs1"],
        id="uri-above",
    ),
    pytest.param(
        "ValueSet", {"url": "http://painfhir.example/fhir/"}, [], id="uri-exact-by-default"
    ),
    # reference
    pytest.param(
        "ServiceRequest",
        {"performer:identifier": f"{NPI}|1234567893"},
        ["sr1"],
        id="reference-identifier",
    ),
    pytest.param("Observation", {"subject": "Patient/p1"}, ["o1", "o2"], id="reference-typed"),
    pytest.param("Observation", {"subject": "p2"}, ["o3"], id="reference-bare-id"),
    pytest.param("Observation", {"subject:Patient": "p3"}, ["o4"], id="reference-type-modifier"),
    pytest.param("Observation", {"patient": "Patient/p1"}, ["o1", "o2"], id="reference-patient"),
    # missing
    pytest.param("CarePlan", {"date:missing": "false"}, ["cp1", "cp2"], id="missing-false"),
    pytest.param(
        "Observation",
        {"value-concept:missing": "true"},
        ["o1", "o2", "o3", "o4"],
        id="missing-true",
    ),
    # chains and reverse chains
    pytest.param("Observation", {"subject:Patient.name": "rivera"}, ["o1", "o2"], id="chain"),
    pytest.param("Observation", {"subject.family": "müller"}, ["o3"], id="chain-untyped"),
    pytest.param(
        "Observation",
        {"subject:Patient.general-practitioner.name": "okafor"},
        ["o1", "o2", "o3", "o4"],
        id="chain-two-levels",
    ),
    pytest.param(
        "ServiceRequest",
        {"subject:Patient.identifier": f"{MRN}|MRN-p1"},
        ["sr1"],
        id="chain-identifier",
    ),
    pytest.param("Patient", {"_has:Observation:patient:code": "91148-7"}, ["p3"], id="has"),
    pytest.param(
        "Patient",
        {"_has:Observation:subject:_has:Task:focus:status": "received"},
        [],
        id="has-nested-no-match",
    ),
    pytest.param(
        "ServiceRequest",
        {"_has:Task:focus:owner": "Organization/clinic"},
        ["sr1"],
        id="has-task-owner",
    ),
    # _id, _lastUpdated
    pytest.param("Patient", {"_id": "p1,p3"}, ["p1", "p3"], id="id"),
    pytest.param(
        "Patient", {"_lastUpdated": "gt2000-01-01"}, ["p1", "p2", "p3"], id="last-updated"
    ),
]


@pytest.mark.parametrize(("res_type", "params", "expected"), CASES)
def test_search(
    search_client: httpx.Client, res_type: str, params: dict[str, Any], expected: list[str]
) -> None:
    assert _ids(search_client, f"/{res_type}", **params) == expected


def test_include_and_revinclude(search_client: httpx.Client) -> None:
    bundle = json_of(
        search_client.get(
            "/Task",
            params={"owner": "Organization/clinic", "status": "received", "_include": "Task:focus"},
        )
    )
    modes = {(e["resource"]["id"], e["search"]["mode"]) for e in bundle["entry"]}
    assert modes == {("t1", "match"), ("sr1", "include")}
    iterate = json_of(
        search_client.get(
            "/Task",
            params={
                "_id": "t1",
                "_include": "Task:focus",
                "_include:iterate": "ServiceRequest:requester",
            },
        )
    )
    assert {e["resource"]["id"] for e in iterate["entry"]} == {"t1", "sr1", "gp1"}
    rev = json_of(
        search_client.get("/Patient", params={"_id": "p1", "_revinclude": "Observation:subject"})
    )
    assert {e["resource"]["id"] for e in rev["entry"]} == {"p1", "o1", "o2"}


def test_sort_on_several_keys(search_client: httpx.Client) -> None:
    bundle = json_of(search_client.get("/Observation", params={"_sort": "-date"}))
    assert [e["resource"]["id"] for e in bundle["entry"]] == ["o2", "o4", "o1", "o3"]
    bundle = json_of(search_client.get("/Patient", params={"_sort": "address-city,-birthdate"}))
    assert [e["resource"]["id"] for e in bundle["entry"]] == ["p2", "p3", "p1"]


def test_sorted_paging_visits_everything_once(search_client: httpx.Client) -> None:
    seen: list[str] = []
    url: str | None = "/Observation?_sort=value-quantity&_count=1"
    while url:
        bundle = json_of(search_client.get(url))
        seen += [e["resource"]["id"] for e in bundle.get("entry", [])]
        url = next((link["url"] for link in bundle["link"] if link["relation"] == "next"), None)
    assert seen == ["o4", "o2", "o1", "o3"]


def test_total_and_summary(search_client: httpx.Client) -> None:
    counted = json_of(search_client.get("/Patient", params={"_summary": "count"}))
    assert counted["total"] == 3 and "entry" not in counted
    accurate = json_of(search_client.get("/Patient", params={"_total": "accurate", "_count": "1"}))
    assert accurate["total"] == 3 and len(accurate["entry"]) == 1
    assert "total" not in json_of(search_client.get("/Patient"))
    summary = json_of(search_client.get("/Patient", params={"_id": "p1", "_summary": "true"}))
    resource = summary["entry"][0]["resource"]
    # R4 marks Patient.name as a summary element, generalPractitioner not.
    assert "name" in resource and "generalPractitioner" not in resource
    assert resource["meta"]["tag"][-1]["code"] == "SUBSETTED"
    elements = json_of(search_client.get("/Patient", params={"_id": "p1", "_elements": "gender"}))
    assert set(elements["entry"][0]["resource"]) == {"resourceType", "id", "meta", "gender"}


def test_compartment_search(search_client: httpx.Client) -> None:
    assert _ids(search_client, "/Patient/p1/Observation") == ["o1", "o2"]
    assert _ids(search_client, "/Patient/p1/CarePlan", status="active") == ["cp1"]
    assert search_client.get("/Patient/p1/Organization").status_code == 404


def test_everything_in_a_compartment(search_client: httpx.Client) -> None:
    # Task is not in R4's Patient compartment; the Patient is in its own.
    everything = ["c1", "cp1", "o1", "o2", "p1", "ra1", "sr1"]
    assert _ids(search_client, "/Patient/p1/*") == everything
    assert _ids(search_client, "/Patient/p1/*", _type="Observation,CarePlan") == [
        "cp1",
        "o1",
        "o2",
    ]
    # Paged by type then id, each resource once.
    seen: list[str] = []
    url: str | None = "/Patient/p1/*?_count=3"
    while url:
        bundle = json_of(search_client.get(url))
        seen += [e["resource"]["id"] for e in bundle.get("entry", [])]
        url = _link(bundle, "next")
    assert sorted(seen) == everything and len(seen) == len(everything)
    counted = json_of(search_client.get("/Patient/p1/*", params={"_summary": "count"}))
    assert counted["total"] == len(everything)
    assert search_client.get("/Patient/p1/*", params={"_type": "Organization"}).status_code == 400
    strict = {"Prefer": "handling=strict"}
    assert search_client.get("/Patient/p1/*?code=x", headers=strict).status_code == 400
    assert search_client.get("/Organization/clinic/*").status_code == 404


def _link(bundle: dict[str, Any], relation: str) -> str | None:
    return next((link["url"] for link in bundle["link"] if link["relation"] == relation), None)


def test_previous_and_first_links_walk_back(search_client: httpx.Client) -> None:
    forward: list[list[str]] = []
    bundle = json_of(search_client.get("/Observation", params={"_sort": "-date", "_count": "1"}))
    while True:
        forward.append([e["resource"]["id"] for e in bundle.get("entry", [])])
        url = _link(bundle, "next")
        if url is None:
            break
        bundle = json_of(search_client.get(url))
    assert forward == [["o2"], ["o4"], ["o1"], ["o3"]]
    backward: list[list[str]] = []
    while True:
        backward.append([e["resource"]["id"] for e in bundle.get("entry", [])])
        url = _link(bundle, "previous")
        if url is None:
            break
        bundle = json_of(search_client.get(url))
    assert backward == forward[::-1]
    first = json_of(search_client.get(_link(bundle, "first") or ""))
    assert [e["resource"]["id"] for e in first["entry"]] == ["o2"]


def test_strict_handling_refuses_unknown_parameters(search_client: httpx.Client) -> None:
    response = search_client.get(
        "/Patient", params={"shoe-size": "9"}, headers={"Prefer": "handling=strict"}
    )
    assert response.status_code == 400
    lenient = json_of(search_client.get("/Patient", params={"shoe-size": "9"}))
    outcome = [e for e in lenient["entry"] if e["search"]["mode"] == "outcome"]
    assert "shoe-size" in outcome[0]["resource"]["issue"][0]["diagnostics"]


def test_paging_stays_correct_while_data_changes(search_client: httpx.Client) -> None:
    """Keyset paging: resources created or deleted between pages neither repeat nor push
    others out; every resource present throughout is seen exactly once."""
    code = {"coding": [{"system": "http://painfhir.example/paging", "code": "p"}]}

    def put(res_id: str) -> None:
        body = {"resourceType": "Basic", "id": res_id, "code": code}
        assert send(search_client, "PUT", f"/Basic/{res_id}", body).status_code in (200, 201)

    stable = [f"b{n:02d}" for n in range(0, 20, 2)]
    for res_id in [*stable, "b05", "b15"]:
        put(res_id)
    seen: list[str] = []
    url: str | None = "/Basic?code=http://painfhir.example/paging|p&_count=3"
    changes: Iterator[Callable[[], object]] = iter(
        [
            lambda: put("b01"),  # before the cursor: must not appear
            lambda: put("b19"),  # ahead of the cursor: may appear, once
            lambda: search_client.delete("/Basic/b15"),  # not seen yet, now gone
            lambda: put("b03"),
        ]
    )
    while url:
        bundle = json_of(search_client.get(url))
        seen += [e["resource"]["id"] for e in bundle.get("entry", [])]
        url = _link(bundle, "next")
        next(changes, lambda: None)()  # a change between this page and the next
    assert len(seen) == len(set(seen))
    assert set(stable) <= set(seen)
    assert "b15" not in seen and "b01" not in seen
    assert seen == sorted(seen)
