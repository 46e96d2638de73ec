"""FHIR dialect inputs as senders get them wrong, or merely unusual: JSON of the wrong type,
resources without identifiers or sharing one, contained resources with the same local id,
references to types outside the referral package, a placer identifier half filled in, and
inputs two modules could take."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest

from painfhir.mapping import (
    InvalidValueError,
    MappingError,
    Mappings,
    MissingSourceError,
    NoModuleError,
)
from painfhir.mapping._detection import message_sender

MAPPINGS = Path(__file__).parents[2] / "mappings"
EPIC_TRANSACTION = MAPPINGS / "epic_referral/cases/transaction-chronic-low-back-pain/input.json"
EPIC_CONTAINED = MAPPINGS / "epic_referral/cases/contained-neuropathic-pain/input.json"
BSER_MESSAGE = MAPPINGS / "bser_message/cases/message-fibromyalgia/input.json"
EPIC_MRN = "urn:oid:1.2.840.114350.1.13.99999.1.7.5.737384.14"
EPIC_PATIENT = "urn:uuid:5b0c9f1e-3c1a-4a36-9d3e-0a4f0f6b1a01"
PLAC = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "PLAC"}]}

Json = dict[str, Any]


@pytest.fixture(scope="module")
def mappings() -> Mappings:
    return Mappings.discover()


def _json(path: Path) -> Json:
    found: Json = orjson.loads(path.read_bytes())
    return found


def _map(mappings: Mappings, source: Json) -> Json:
    bundle: Json = mappings.map(orjson.dumps(source)).bundle
    return bundle


def _of_type(bundle: Json, resource_type: str) -> list[Json]:
    return [
        e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == resource_type
    ]


def _by_full_url(bundle: Json) -> dict[str, Json]:
    return {entry["fullUrl"]: entry["resource"] for entry in bundle["entry"]}


def _epic_request(bundle: Json) -> Json:
    request: Json = bundle["entry"][8]["resource"]
    assert request["resourceType"] == "ServiceRequest"
    return request


def _set(path: list[Any], value: Any) -> Callable[[Json], None]:
    def mutate(source: Json) -> None:
        node = source
        for step in path[:-1]:
            node = node[step]
        node[path[-1]] = value

    return mutate


# -- JSON of the wrong type: detection reads past it, nothing fails on it -------------------


@pytest.mark.parametrize(
    ("path", "mutate", "module"),
    [
        pytest.param(
            EPIC_TRANSACTION, _set(["meta"], {"profile": None}), "epic_referral", id="null profile"
        ),
        pytest.param(EPIC_TRANSACTION, _set(["meta"], "x"), "epic_referral", id="meta a string"),
        pytest.param(
            EPIC_TRANSACTION,
            _set(["entry", 0, "resource", "meta"], {"profile": "http://x"}),
            "epic_referral",
            id="profile a string",
        ),
        pytest.param(
            EPIC_TRANSACTION,
            _set(["entry", 0, "resource", "identifier", 0], None),
            "epic_referral",
            id="identifier null",
        ),
        pytest.param(
            EPIC_CONTAINED,
            _set(["contained"], {"resourceType": "Patient"}),
            "epic_referral",
            id="contained an object",
        ),
        pytest.param(
            BSER_MESSAGE,
            _set(["entry", 0, "resource", "eventCoding"], "I12"),
            None,
            id="eventCoding a string",
        ),
        pytest.param(BSER_MESSAGE, _set(["entry"], {"resource": {}}), None, id="entry an object"),
        pytest.param(
            BSER_MESSAGE,
            _set(["entry", 0, "resource", "source"], "https://ehr.valleyclinic.example/fhir/bser"),
            "bser_message",
            id="source a string",
        ),
    ],
)
def test_detection_reads_past_json_of_the_wrong_type(
    mappings: Mappings, path: Path, mutate: Callable[[Json], None], module: str | None
) -> None:
    source = _json(path)
    mutate(source)
    if module is None:
        with pytest.raises(NoModuleError):
            mappings.detect(orjson.dumps(source))
    else:
        assert mappings.detect(orjson.dumps(source)).name == module


def test_a_message_header_source_that_is_a_string_names_no_sender_and_fails_mapping(
    mappings: Mappings,
) -> None:
    source = _json(BSER_MESSAGE)
    source["entry"][0]["resource"]["source"] = "https://ehr.valleyclinic.example/fhir/bser"
    assert message_sender(source) == ""
    with pytest.raises(InvalidValueError, match=r"Bundle\.entry\[0\]\.resource\.source"):
        mappings.map(orjson.dumps(source))


@pytest.mark.parametrize(
    "mutate",
    [
        pytest.param(_set(["entry", 5, "resource", "code", "coding", 0], None), id="coding null"),
        pytest.param(
            _set(["entry", 0, "resource", "identifier"], {"system": EPIC_MRN, "value": "E1"}),
            id="identifier an object",
        ),
        pytest.param(
            _set(["entry", 8, "resource", "identifier"], "RFL-1"), id="request identifier a string"
        ),
    ],
)
def test_resources_of_the_wrong_shape_fail_as_mapping_errors(
    mappings: Mappings, mutate: Callable[[Json], None]
) -> None:
    source = _json(EPIC_TRANSACTION)
    mutate(source)
    try:
        result = mappings.map(orjson.dumps(source))
    except MappingError as error:
        assert "failed:" not in error.reason  # not a RuleError: the module has no bug here
    else:  # carried as sent, for validation to report
        assert any(issue.severity == "error" for issue in result.issues)


# -- ids: deterministic from what is stable, never shared between different resources -------


def _contained_referral(number: str, mrn: str, diagnosis: str) -> Json:
    source = _json(EPIC_CONTAINED)
    source.pop("id")
    source["identifier"][0]["value"] = number
    source["contained"][0]["identifier"][0]["value"] = mrn
    source["contained"][3]["code"]["coding"][0]["code"] = diagnosis
    return source


def test_resources_without_identifier_or_id_of_two_referrals_do_not_collide(
    mappings: Mappings,
) -> None:
    first = _map(mappings, _contained_referral("RFL-1", "E1", "1234570"))
    second = _map(mappings, _contained_referral("RFL-2", "E2", "1234569"))
    assert _of_type(first, "Condition")[0]["id"] != _of_type(second, "Condition")[0]["id"]


def test_resources_without_identifier_or_full_url_in_one_bundle_stay_apart(
    mappings: Mappings,
) -> None:
    source = _json(EPIC_TRANSACTION)
    for code in ("2085-9", "13457-7"):
        observation = {
            "resourceType": "Observation",
            "status": "final",
            "code": {"coding": [{"system": "http://loinc.org", "code": code}]},
            "subject": {"reference": EPIC_PATIENT},
        }
        source["entry"].append({"resource": observation})
    observations = _of_type(_map(mappings, source), "Observation")
    assert sorted(o["code"]["coding"][0]["code"] for o in observations) == ["13457-7", "2085-9"]
    assert len({o["id"] for o in observations}) == 2


@pytest.mark.parametrize("path", [EPIC_TRANSACTION, BSER_MESSAGE, EPIC_CONTAINED])
def test_a_resend_with_new_full_urls_and_ids_maps_to_the_same_ids(
    mappings: Mappings, path: Path
) -> None:
    raw = path.read_text()
    for entry in orjson.loads(raw).get("entry", []):  # a sender mints these per transaction
        raw = raw.replace(entry["fullUrl"], f"urn:uuid:{uuid.uuid4()}")
    resent = orjson.loads(raw)
    for resource in [resent, *(entry["resource"] for entry in resent.get("entry", []))]:
        if "id" in resource:
            resource["id"] = uuid.uuid4().hex
    first = mappings.map(path.read_bytes()).bundle
    again = _map(mappings, resent)
    assert [e["request"] for e in again["entry"]] == [e["request"] for e in first["entry"]]


def test_different_resources_sharing_an_identifier_are_both_kept(mappings: Mappings) -> None:
    source = _json(EPIC_TRANSACTION)
    order = {"system": "urn:oid:1.2.840.114350.1.13.99999.1.7.2.798268", "value": "ORD-777"}
    for n, (code, value) in enumerate([("2085-9", 62), ("13457-7", 141)]):
        observation = {
            "resourceType": "Observation",
            "identifier": [order],
            "status": "final",
            "code": {"coding": [{"system": "http://loinc.org", "code": code}]},
            "subject": {"reference": EPIC_PATIENT},
            "valueQuantity": {"value": value, "unit": "mg/dL"},
        }
        source["entry"].append({"fullUrl": f"urn:uuid:obs-{n}", "resource": observation})
    source["entry"][7]["resource"]["result"] = [
        {"reference": "urn:uuid:obs-0"},
        {"reference": "urn:uuid:obs-1"},
    ]
    result = mappings.map(orjson.dumps(source), trace=True)
    by_full_url = _by_full_url(result.bundle)
    report = _of_type(result.bundle, "DiagnosticReport")[0]
    values = [by_full_url[r["reference"]]["valueQuantity"]["value"] for r in report["result"]]
    assert values == [62, 141]
    assert result.trace is not None
    assert not [u for u in result.trace.unused if u.value == "141"]


def test_the_same_resource_sent_twice_is_one(mappings: Mappings) -> None:
    source = _json(EPIC_TRANSACTION)
    practitioner = source["entry"][1]
    source["entry"].append({**practitioner, "fullUrl": "urn:uuid:again"})
    source["entry"][5]["resource"]["asserter"] = {"reference": "urn:uuid:again"}
    bundle = _map(mappings, source)
    practitioners = _of_type(bundle, "Practitioner")
    assert len(practitioners) == 1
    condition = _of_type(bundle, "Condition")[0]
    assert condition["asserter"]["reference"] == f"urn:uuid:{practitioners[0]['id']}"


# -- contained references are local to their container ---------------------------------------


def test_contained_references_resolve_within_their_container(mappings: Mappings) -> None:
    source = _json(EPIC_TRANSACTION)
    condition, report = source["entry"][5]["resource"], source["entry"][7]["resource"]
    condition["contained"] = [
        {"resourceType": "Practitioner", "id": "p", "name": [{"family": "Author"}]}
    ]
    condition["asserter"] = {"reference": "#p"}
    report["contained"] = [
        {"resourceType": "Practitioner", "id": "p", "name": [{"family": "Reader"}]}
    ]
    report["resultsInterpreter"] = [{"reference": "#p"}]
    bundle = _map(mappings, source)
    by_full_url = _by_full_url(bundle)
    asserter = by_full_url[_of_type(bundle, "Condition")[0]["asserter"]["reference"]]
    reader = by_full_url[
        _of_type(bundle, "DiagnosticReport")[0]["resultsInterpreter"][0]["reference"]
    ]
    assert (asserter["name"][0]["family"], reader["name"][0]["family"]) == ("Author", "Reader")


def test_a_contained_reference_from_another_container_does_not_resolve(
    mappings: Mappings,
) -> None:
    source = _json(EPIC_TRANSACTION)
    source["entry"][5]["resource"]["contained"] = [
        {"resourceType": "Practitioner", "id": "p", "name": [{"family": "Author"}]}
    ]
    source["entry"][7]["resource"]["resultsInterpreter"] = [{"reference": "#p"}]
    with pytest.raises(MissingSourceError, match="resultsInterpreter"):
        _map(mappings, source)


# -- the placer identifier -----------------------------------------------------------------


@pytest.mark.parametrize("part", ["system", "value"])
def test_a_plac_identifier_without_system_or_value_is_named(mappings: Mappings, part: str) -> None:
    source = _json(EPIC_TRANSACTION)
    identifiers = _epic_request(source)["identifier"]
    identifiers[0]["type"] = PLAC
    del identifiers[0][part]
    identifiers.append({"system": "urn:x", "value": "Y"})
    with pytest.raises(MissingSourceError, match=rf"entry\[8\]\.resource\.identifier\[0\]\.{part}"):
        _map(mappings, source)


def test_a_plac_identifier_that_is_not_first_keys_the_referral(mappings: Mappings) -> None:
    source = _json(EPIC_TRANSACTION)
    request = _epic_request(source)
    request["identifier"].append({"type": PLAC, "system": "urn:x:placer", "value": "P-1"})
    bundle = _map(mappings, source)
    task = _of_type(bundle, "Task")[0]
    assert task["identifier"][0]["value"] == "P-1"
    assert _of_type(bundle, "ServiceRequest")[0]["identifier"][0]["value"] == "P-1"


# -- references to types outside the referral package ----------------------------------------


def test_a_healthcare_service_performer_is_carried(mappings: Mappings) -> None:
    source = _json(BSER_MESSAGE)
    service = {"resourceType": "HealthcareService", "name": "Pain programme"}
    source["entry"].append({"fullUrl": "urn:uuid:hs-1", "resource": service})
    source["entry"][1]["resource"]["performer"] = [{"reference": "urn:uuid:hs-1"}]
    result = mappings.map(orjson.dumps(source))
    request = _of_type(result.bundle, "ServiceRequest")[0]
    performer = _by_full_url(result.bundle)[request["performer"][0]["reference"]]
    assert performer["name"] == "Pain programme"
    assert not [i for i in result.issues if i.severity == "error"]


@pytest.mark.parametrize("contained", [False, True])
def test_a_medication_and_a_location_referred_to_are_carried(
    mappings: Mappings, contained: bool
) -> None:
    source = _json(EPIC_TRANSACTION)
    medication = {"resourceType": "Medication", "code": {"text": "duloxetine 60 mg"}}
    prescription: Json = {
        "resourceType": "MedicationRequest",
        "status": "active",
        "intent": "order",
        "subject": {"reference": EPIC_PATIENT},
    }
    if contained:
        prescription["contained"] = [{**medication, "id": "med"}]
        prescription["medicationReference"] = {"reference": "#med"}
    else:
        source["entry"].append({"fullUrl": "urn:uuid:med-1", "resource": medication})
        prescription["medicationReference"] = {"reference": "urn:uuid:med-1"}
    source["entry"].append({"fullUrl": "urn:uuid:mr-1", "resource": prescription})
    location = {"resourceType": "Location", "name": "Pain clinic room 2"}
    source["entry"].append({"fullUrl": "urn:uuid:loc-1", "resource": location})
    _epic_request(source)["locationReference"] = [{"reference": "urn:uuid:loc-1"}]
    result = mappings.map(orjson.dumps(source))
    by_full_url = _by_full_url(result.bundle)
    carried = _of_type(result.bundle, "MedicationRequest")[0]
    assert (
        by_full_url[carried["medicationReference"]["reference"]]["code"]["text"]
        == "duloxetine 60 mg"
    )
    assert _of_type(result.bundle, "Location")[0]["name"] == "Pain clinic room 2"
    assert not [i for i in result.issues if i.severity == "error"]


def test_a_reference_to_the_message_header_is_named(mappings: Mappings) -> None:
    source = _json(BSER_MESSAGE)
    header = source["entry"][0]["fullUrl"]
    source["entry"][1]["resource"]["supportingInfo"].append({"reference": header})
    with pytest.raises(MissingSourceError, match="MessageHeader, which painfhir does not keep"):
        _map(mappings, source)


# -- which module, when two could take it ----------------------------------------------------


def test_a_local_identifier_system_wins_over_a_message_event(mappings: Mappings) -> None:
    """A BSeR message from the Epic site: the Epic MRN names the sender's EHR, the event I12
    only the kind of message, whoever sent it."""
    source = _json(BSER_MESSAGE)
    patient = source["entry"][3]["resource"]
    patient["identifier"].insert(0, {"system": EPIC_MRN, "value": "E999"})
    assert mappings.detect(orjson.dumps(source)).name == "epic_referral"


# -- intent ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("intent", "read"), [("order", True), ("proposal", False)])
def test_the_senders_intent_counts_as_used_only_when_kept(
    mappings: Mappings, intent: str, read: bool
) -> None:
    source = _json(EPIC_TRANSACTION)
    _epic_request(source)["intent"] = intent
    result = mappings.map(orjson.dumps(source), trace=True)
    assert _of_type(result.bundle, "ServiceRequest")[0]["intent"] == "order"
    assert result.trace is not None
    unused = {u.source for u in result.trace.unused}
    assert ("Bundle.entry[8].resource.intent" not in unused) is read
