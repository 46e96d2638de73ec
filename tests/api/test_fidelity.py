"""What goes in comes out: every official R4 example and the Synthea patients, byte-faithful."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from painfhir.fhir.codec import JsonDecimal, parse_json
from tests.api.fhir_client import json_of, send
from tests.conftest import CORPORA

EXAMPLES = sorted((CORPORA / "fhir-r4-examples").glob("*.json"))
SYNTHEA = sorted((CORPORA / "synthea").glob("*.json"))


def _as_written(value: object) -> orjson.Fragment:
    assert isinstance(value, JsonDecimal)
    return orjson.Fragment(value.text)


def canonical(resource: Any) -> bytes:
    """Key order aside, the exact JSON text — so 1.10 and 1.1 differ."""
    return orjson.dumps(resource, default=_as_written, option=orjson.OPT_SORT_KEYS)


def _without_server_meta(resource: dict[str, Any]) -> dict[str, Any]:
    meta = {
        k: v for k, v in resource.get("meta", {}).items() if k not in ("versionId", "lastUpdated")
    }
    rest = {k: v for k, v in resource.items() if k != "meta"}
    return {**rest, "meta": meta} if meta else rest


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_official_example_round_trips(client: httpx.Client, path: Path) -> None:
    sent = parse_json(path.read_bytes())
    url = f"/{sent['resourceType']}/{sent['id']}"
    response = send(client, "PUT", url, sent)
    assert response.status_code in (200, 201), response.text
    stored = json_of(client.get(url))
    assert canonical(_without_server_meta(stored)) == canonical(_without_server_meta(sent))


def test_corpus_is_all_there() -> None:
    assert len(EXAMPLES) == 352
    assert len(SYNTHEA) == 3


def test_decimals_instants_and_primitive_extensions_keep_their_text(client: httpx.Client) -> None:
    body = (
        b'{"resourceType":"Observation","status":"final","code":{"text":"PEG"},'
        b'"effectiveInstant":"2015-02-07T13:28:17.239+02:00",'
        b'"valueQuantity":{"value":1.10,"unit":"mg"},'
        b'"referenceRange":[{"low":{"value":0.000},"high":{"value":1e2}}],'
        b'"_status":{"extension":[{"url":"http://example.org/x","valueString":"kept"}]},'
        b'"note":[{"text":"b"},{"text":"a"}]}'
    )
    created = client.post(
        "/Observation", content=body, headers={"Content-Type": "application/fhir+json"}
    )
    assert created.status_code == 201, created.text
    read = client.get(created.headers["Location"].split("/_history")[0]).content
    for text in (
        b'"value":1.10',
        b'"value":0.000',
        b'"value":1e2',
        b'"effectiveInstant":"2015-02-07T13:28:17.239+02:00"',
        b'"_status":{"extension":[{"url":"http://example.org/x","valueString":"kept"}]}',
        b'"note":[{"text":"b"},{"text":"a"}]',
    ):
        assert text in read


def _references(value: Any) -> set[str]:
    if isinstance(value, dict):
        found = {value["reference"]} if isinstance(value.get("reference"), str) else set()
        return found.union(*(_references(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(*(_references(v) for v in value))
    return set()


@pytest.mark.parametrize("path", SYNTHEA, ids=[p.stem.split("_")[0] for p in SYNTHEA])
def test_synthea_transaction_stores_every_entry_with_resolvable_references(
    client: httpx.Client, path: Path
) -> None:
    bundle = parse_json(path.read_bytes())
    response = send(client, "POST", "/", bundle)
    assert response.status_code == 200, response.text[:2000]
    entries = json_of(response)["entry"]
    assert len(entries) == len(bundle["entry"])
    assert {e["response"]["status"] for e in entries} == {"201 Created"}
    stored = [
        json_of(client.get("/" + e["response"]["location"].split("/_history")[0])) for e in entries
    ]
    for sent, kept in zip(bundle["entry"], stored, strict=True):
        assert kept["resourceType"] == sent["resource"]["resourceType"]
    references = set().union(*(_references(resource) for resource in stored))
    assert not any(ref.startswith("urn:") for ref in references)
    outside = {ref for ref in references if not ref.startswith("#")}
    assert outside, "Synthea resources reference each other"
    for reference in outside:
        assert client.get(f"/{reference}").status_code == 200, reference
