"""A transaction's GET entries answer what the transaction stores: a reaction, deferred to the
Bundle's end, may replace the version an entry wrote, and a GET must not show the state
before it (a version's ETag with content that was never committed)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson
import pytest

from painfhir.fhir.outcome import Issue
from painfhir.interactions import bundles, reactions, writes
from painfhir.store import Store, StoredVersion, WriteSession


def _complete_gender(
    session: WriteSession, version: StoredVersion, resource: dict[str, Any]
) -> list[Issue]:
    """Completes an active Patient: replaces the version the entry wrote, in its transaction."""
    if resource.get("active") is True and "gender" not in resource:
        completed = {**resource, "id": version.res_id, "gender": "female"}
        writes.update(session, version.res_id, completed)
    return []


@pytest.fixture(autouse=True)
def installed() -> Iterator[None]:
    previous = reactions.install(
        lambda res_type: (_complete_gender,) if res_type == "Patient" else ()
    )
    yield
    reactions.install(previous)


def test_get_entries_answer_what_the_reactions_left_stored(store: Store) -> None:
    bundle = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {
                "resource": {"resourceType": "Patient", "id": "x", "active": True},
                "request": {"method": "PUT", "url": "Patient/x"},
            },
            {"request": {"method": "GET", "url": "Patient/x"}},
            {"request": {"method": "GET", "url": "Patient?_id=x"}},
        ],
    }
    answer = orjson.loads(bundles.process(store, bundle, "", representation=True))
    stored = store.read("Patient", "x")
    assert stored is not None and stored.content is not None
    expected = orjson.loads(stored.content)
    assert expected["gender"] == "female"
    put, read, found = answer["entry"]
    assert put["resource"] == read["resource"] == expected
    assert read["response"]["etag"] == stored.etag
    assert [entry["resource"] for entry in found["resource"]["entry"]] == [expected]
