"""Deleting a prescription re-checks the patient's opioid reviews, as stopping it does: the
deleted naloxone or benzodiazepine no longer counts, and a deleted opioid's own review is
cancelled. Only reactions that ask for deletes see them."""

from __future__ import annotations

from typing import Any

import orjson

from painfhir.fhir.codec import parse_json
from painfhir.fhir.outcome import Issue
from painfhir.interactions import bundles, reactions, writes
from painfhir.store import Store, StoredVersion, WriteSession
from painfhir.workflow.opioids._detected_issue import detected_issue_id
from tests.workflow.opioids.prescriptions import Json, dosage, every, prescription

OXYCODONE_10_TABLET = "1049683"
NALOXONE = "7242"
LORAZEPAM_1_TABLET = "197900"


def _write(store: Store, *requests: Json) -> None:
    with store.write() as session:
        writes.update(session, "p1", {"resourceType": "Patient", "id": "p1"})
        for request in requests:
            writes.update(session, request["id"], request)


def _opioid() -> Json:
    return prescription(OXYCODONE_10_TABLET, dosage(1, "tablet", every(4)), res_id="opioid")


def _review(store: Store) -> Json:
    stored = store.read("DetectedIssue", detected_issue_id("MedicationRequest/opioid"))
    assert stored is not None and stored.content is not None
    review: Json = parse_json(stored.content)
    return review


def _findings(review: Json) -> list[str]:
    return [e["code"][0]["coding"][0]["code"] for e in review.get("evidence", [])]


def _delete(store: Store, res_id: str) -> writes.Written:
    with store.write() as session:
        return writes.delete(session, "MedicationRequest", res_id)


def test_deleting_the_naloxone_brings_its_warning_back(store: Store, reacting: None) -> None:
    _write(store, prescription(NALOXONE, dosage(4, "mg"), res_id="naloxone"), _opioid())
    assert "no-naloxone" not in _findings(_review(store))
    deleted = _delete(store, "naloxone")
    assert "no-naloxone" in _findings(_review(store))
    assert [version.res_type for version in deleted.related] == ["DetectedIssue"]


def test_deleting_the_benzodiazepine_then_the_opioid(store: Store, reacting: None) -> None:
    benzodiazepine = prescription(LORAZEPAM_1_TABLET, dosage(1, "tablet"), res_id="benzo")
    _write(store, _opioid(), benzodiazepine)
    assert "benzodiazepine" in _findings(_review(store))
    _delete(store, "benzo")
    assert "benzodiazepine" not in _findings(_review(store))
    assert _review(store)["status"] == "final"
    deleted = _delete(store, "opioid")
    assert _review(store)["status"] == "cancelled"
    assert "cancelled" in deleted.issues[0].diagnostics


def test_a_delete_in_a_transaction_is_re_checked_too(store: Store, reacting: None) -> None:
    _write(store, prescription(NALOXONE, dosage(4, "mg"), res_id="naloxone"), _opioid())
    bundle = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [{"request": {"method": "DELETE", "url": "MedicationRequest/naloxone"}}],
    }
    response = orjson.loads(bundles.process(store, bundle, "", representation=False))
    [outcome] = [entry["response"]["outcome"] for entry in response["entry"]]
    assert "re-checked" in outcome["issue"][0]["diagnostics"]
    assert "no-naloxone" in _findings(_review(store))


def test_only_reactions_that_ask_for_deletes_see_them(store: Store) -> None:
    seen: list[tuple[str, str, Any]] = []

    def plain(session: WriteSession, version: StoredVersion, resource: Json) -> list[Issue]:
        seen.append(("plain", version.method, resource.get("status")))
        return []

    def on_delete(session: WriteSession, version: StoredVersion, resource: Json) -> list[Issue]:
        seen.append(("on delete", version.method, resource.get("status")))
        return []

    previous = reactions.install(
        lambda res_type: (plain, reactions.OnDelete(on_delete)) if res_type == "Flag" else ()
    )
    try:
        with store.write() as session:
            writes.update(session, "f1", {"resourceType": "Flag", "id": "f1", "status": "active"})
            writes.delete(session, "Flag", "f1")
    finally:
        reactions.install(previous)
    assert seen == [
        ("plain", "PUT", "active"),
        ("on delete", "PUT", "active"),
        ("on delete", "DELETE", "active"),  # with the resource as it was
    ]
