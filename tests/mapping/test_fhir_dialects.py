"""FHIR dialect modules: golden cases, detection by content and by client configuration,
references and ids, and modules that fail to load."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from painfhir.mapping import MappingError, Mappings, MissingSourceError, NoModuleError, run_case

MAPPINGS = Path(__file__).parents[2] / "mappings"
EPIC_TRANSACTION = MAPPINGS / "epic_referral/cases/transaction-chronic-low-back-pain/input.json"
EPIC_CONTAINED = MAPPINGS / "epic_referral/cases/contained-neuropathic-pain/input.json"
BSER_MESSAGE = MAPPINGS / "bser_message/cases/message-fibromyalgia/input.json"
VALLEY_ENDPOINT = "https://ehr.valleyclinic.example/fhir/bser"
VALLEY_MODULE = f"""
from painfhir.mapping import FhirMapping
from painfhir.mapping.fhirdialect import map_referral

MAPPING = FhirMapping(
    resource_types=("Bundle",), rules=map_referral, source_endpoints=("{VALLEY_ENDPOINT}",)
)
"""


@pytest.fixture(scope="module")
def mappings() -> Mappings:
    return Mappings.discover()


def _json(path: Path) -> dict[str, Any]:
    found: dict[str, Any] = orjson.loads(path.read_bytes())
    return found


@pytest.mark.parametrize("module", ["epic_referral", "bser_message"])
def test_golden_cases_pass(mappings: Mappings, module: str) -> None:
    cases = mappings.module(module).cases
    assert cases
    assert [o.report for o in (run_case(mappings, c) for c in cases) if not o.passed] == []


@pytest.mark.parametrize(
    ("path", "module"),
    [
        pytest.param(EPIC_TRANSACTION, "epic_referral", id="transaction by MRN system"),
        pytest.param(EPIC_CONTAINED, "epic_referral", id="contained by referral number"),
        pytest.param(BSER_MESSAGE, "bser_message", id="message by event I12"),
    ],
)
def test_detection_by_content(mappings: Mappings, path: Path, module: str) -> None:
    assert mappings.detect(path.read_bytes()).name == module


def test_a_bundle_without_any_module_mark_is_not_taken(mappings: Mappings) -> None:
    bundle = _json(EPIC_TRANSACTION)
    for entry in bundle["entry"]:
        entry["resource"].pop("identifier", None)
    with pytest.raises(NoModuleError):
        mappings.map(orjson.dumps(bundle))


def test_a_site_module_for_its_source_endpoint_wins(tmp_path: Path) -> None:
    (tmp_path / "valley").mkdir()
    (tmp_path / "valley" / "module.py").write_text(VALLEY_MODULE)
    assert Mappings.discover([tmp_path]).detect(BSER_MESSAGE.read_bytes()).name == "valley"


@pytest.mark.parametrize(
    ("clients", "client"),
    [
        pytest.param({"valley-ehr": "epic_referral"}, "valley-ehr", id="by client id"),
        pytest.param({VALLEY_ENDPOINT: "epic_referral"}, None, id="by source endpoint"),
    ],
)
def test_configuration_per_client_wins_over_content(
    clients: dict[str, str], client: str | None
) -> None:
    mappings = Mappings.discover(clients=clients)
    assert mappings.map(BSER_MESSAGE.read_bytes(), client=client).module == "epic_referral"


@pytest.mark.parametrize("path", [EPIC_TRANSACTION, EPIC_CONTAINED, BSER_MESSAGE])
def test_references_resolve_and_ids_are_deterministic(mappings: Mappings, path: Path) -> None:
    first = mappings.map(path.read_bytes()).bundle
    assert mappings.map(path.read_bytes()).bundle == first
    full_urls = {entry["fullUrl"] for entry in first["entry"]}
    references = {r for entry in first["entry"] for r in _references(entry["resource"])}
    assert references and references <= full_urls
    for entry in first["entry"]:
        resource = entry["resource"]
        if resource["resourceType"] == "Task":  # a conditional create: a resend keeps the Task
            placer = resource["identifier"][0]
            criteria = f"identifier={placer['system']}|{placer['value']}"
            assert entry["request"] == {"method": "POST", "url": "Task", "ifNoneExist": criteria}
        else:
            assert entry["request"] == {
                "method": "PUT",
                "url": f"{resource['resourceType']}/{resource['id']}",
            }


def _references(node: Any) -> list[str]:
    if isinstance(node, dict):
        own = [node["reference"]] if isinstance(node.get("reference"), str) else []
        return own + [r for value in node.values() for r in _references(value)]
    if isinstance(node, list):
        return [r for item in node for r in _references(item)]
    return []


def test_local_codes_are_translated_and_kept(mappings: Mappings) -> None:
    bundle = mappings.map(EPIC_TRANSACTION.read_bytes()).bundle
    request = next(
        e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "ServiceRequest"
    )
    systems = [c["system"] for c in request["code"]["coding"]]
    assert systems[0] == "http://snomed.info/sct" and systems[1].startswith("urn:oid:")
    assert request["performerType"]["coding"][0]["code"] == "208VP0000X"
    patient = next(
        e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient"
    )
    assert patient["identifier"][0]["system"] == "https://mesaverde.example/fhir/sid/mrn"


def test_a_reference_outside_the_input_is_an_error(mappings: Mappings) -> None:
    bundle = _json(EPIC_TRANSACTION)
    request = bundle["entry"][-1]["resource"]
    request["requester"] = {"reference": "Practitioner/not-sent"}
    with pytest.raises(MissingSourceError, match="requester"):
        mappings.map(orjson.dumps(bundle))


def test_a_module_that_fails_to_load_leaves_the_others(tmp_path: Path) -> None:
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "module.py").write_text("MAPPING = (")
    mappings = Mappings.discover([tmp_path])
    assert "broken" in mappings.failures
    assert mappings.detect(BSER_MESSAGE.read_bytes()).name == "bser_message"
    with pytest.raises(NoModuleError, match="failed to load"):
        mappings.map(BSER_MESSAGE.read_bytes(), module="broken")
    assert isinstance(mappings.failures["broken"], MappingError)
