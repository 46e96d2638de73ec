"""The write-reaction hook: reactions run in the write's transaction, may write more, say
what they found, never cascade, and inside a Bundle see every entry."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson
import pytest

from painfhir.fhir.codec import parse_json
from painfhir.fhir.outcome import FhirError, Issue
from painfhir.interactions import bundles, reactions, writes
from painfhir.search.criteria import parse_criteria
from painfhir.store import Store, StoredVersion, WriteSession


def _note_patient(
    session: WriteSession, version: StoredVersion, resource: dict[str, Any]
) -> list[Issue]:
    """Writes a Flag about the patient, and warns when no Observation of theirs is stored."""
    if resource.get("active") is False:
        raise FhirError.of(422, "business-rule", "inactive patients are refused")
    writes.create(
        session,
        {
            "resourceType": "Flag",
            "status": "active",
            "code": {"text": "seen"},
            "subject": {"reference": version.reference},
        },
    )
    observations = session.match(
        "Observation", parse_criteria("Observation", f"subject={version.reference}"), limit=1
    )
    return [] if observations else [Issue("warning", "informational", "no observation yet")]


def _never(session: WriteSession, version: StoredVersion, resource: dict[str, Any]) -> list[Issue]:
    raise AssertionError("a reaction's own writes must not react")


REACTIONS: dict[str, tuple[reactions.Reaction, ...]] = {
    "Patient": (_note_patient,),
    "Flag": (_never,),
}


@pytest.fixture(autouse=True)
def installed() -> Iterator[None]:
    previous = reactions.install(lambda res_type: REACTIONS.get(res_type, ()))
    yield
    reactions.install(previous)


def _flags(store: Store) -> int:
    with store.write() as session:
        return len(session.match("Flag", [], limit=100))


def test_a_reaction_runs_with_the_write_and_reports_its_warnings_and_writes(store: Store) -> None:
    with store.write() as session:
        written = writes.create(session, {"resourceType": "Patient"})
    assert [issue.diagnostics for issue in written.issues] == ["no observation yet"]
    assert [version.res_type for version in written.related] == ["Flag"]
    flag = store.read("Flag", written.related[0].res_id)
    assert flag is not None and flag.content is not None
    assert parse_json(flag.content)["subject"]["reference"] == written.version.reference


def test_a_failing_reaction_rolls_the_write_back(store: Store) -> None:
    with pytest.raises(FhirError), store.write() as session:
        writes.create(
            session, {"resourceType": "Patient", "id": "p1", "active": False}, res_id="p1"
        )
    assert store.read("Patient", "p1") is None
    assert _flags(store) == 0


def test_in_a_transaction_reactions_see_every_entry_and_warn_in_the_entry_outcome(
    store: Store,
) -> None:
    bundle = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {
                "fullUrl": "urn:uuid:1",
                "resource": {"resourceType": "Patient", "id": "p2"},
                "request": {"method": "PUT", "url": "Patient/p2"},
            },
            {
                "resource": {
                    "resourceType": "Observation",
                    "id": "o2",
                    "status": "final",
                    "code": {"text": "pain"},
                    "subject": {"reference": "Patient/p2"},
                },
                "request": {"method": "PUT", "url": "Observation/o2"},
            },
            {
                "resource": {"resourceType": "Patient", "id": "p3"},
                "request": {"method": "PUT", "url": "Patient/p3"},
            },
        ],
    }
    response = orjson.loads(bundles.process(store, bundle, "", representation=False))
    outcomes = [entry["response"].get("outcome") for entry in response["entry"]]
    assert outcomes[:2] == [None, None]
    assert outcomes[2]["issue"][0]["diagnostics"] == "no observation yet"
    assert _flags(store) == 2
