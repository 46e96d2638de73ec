"""The Prefer header (RFC 7240): preferences separated by commas, or sent on several lines,
are all heard."""

from __future__ import annotations

import httpx
import pytest

from painfhir.fhir.codec import dump_json
from tests.api.fhir_client import FHIR_JSON, json_of, patient

BOTH = [
    pytest.param([("Prefer", "return=minimal, handling=strict")], id="commas"),
    pytest.param([("Prefer", "handling=strict,return=minimal")], id="commas-other-order"),
    pytest.param([("Prefer", "return=minimal"), ("Prefer", "handling=strict")], id="two-lines"),
    pytest.param([("Prefer", "return=minimal; handling=strict")], id="semicolons"),
]


@pytest.mark.parametrize("prefer", BOTH)
def test_every_preference_is_heard(client: httpx.Client, prefer: list[tuple[str, str]]) -> None:
    created = client.post(
        "/Patient", content=dump_json(patient()), headers=[("Content-Type", FHIR_JSON), *prefer]
    )
    assert created.status_code == 201 and created.content == b""
    searched = client.get("/Patient", params={"shoe-size": "9"}, headers=prefer)
    assert searched.status_code == 400
    assert "shoe-size" in json_of(searched)["issue"][0]["diagnostics"]


def test_the_first_of_a_preference_counts(client: httpx.Client) -> None:
    prefer = [("Prefer", "return=OperationOutcome"), ("Prefer", "return=minimal")]
    created = client.post(
        "/Patient", content=dump_json(patient()), headers=[("Content-Type", FHIR_JSON), *prefer]
    )
    assert created.status_code == 201
    assert json_of(created)["resourceType"] == "OperationOutcome"


def test_a_delete_hears_the_preference_on_any_line(client: httpx.Client) -> None:
    created = client.post(
        "/Patient", content=dump_json(patient()), headers={"Content-Type": FHIR_JSON}
    )
    location = created.headers["Location"].split("/_history")[0]
    prefer = [("Prefer", "handling=lenient"), ("Prefer", "return=OperationOutcome")]
    deleted = client.delete(location, headers=prefer)
    assert deleted.status_code == 200
    assert json_of(deleted)["resourceType"] == "OperationOutcome"
