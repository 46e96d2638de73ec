"""Two transactions prescribing opioids to one patient at once, on PostgreSQL (SQLite has one
writer at a time): the later review must see the earlier prescription, so the total that
crosses 90 MME/d is warned about."""

from __future__ import annotations

import threading
import time
from typing import Any

import psycopg
import pytest

from painfhir.fhir.codec import parse_json
from painfhir.interactions import writes
from painfhir.store import Store
from painfhir.workflow.opioids import _reaction
from painfhir.workflow.opioids._detected_issue import detected_issue_id
from painfhir.workflow.opioids._record import patient_record
from tests.conftest import Database
from tests.workflow.opioids.prescriptions import dosage, every, prescription

OXYCODONE_10_TABLET = "1049683"  # 1 tablet 4x/day: 60 MME/d; two of them 120


def _waits_for_a_lock(database: Database) -> bool:
    with psycopg.connect(database.url) as db:
        row = db.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE wait_event_type = 'Lock' AND datname = current_database()"
        ).fetchone()
    return row is not None and row[0] > 0


def _meeting_before_reading_the_record(monkeypatch: pytest.MonkeyPatch, database: Database) -> None:
    """Each review, just before it reads the record, waits for the other one to get there
    too — unless the other is held back by a lock: unserialized, both read the record while
    neither has committed."""
    arrived = [threading.Event(), threading.Event()]
    turn = iter(range(2))

    def meeting(*args: Any, **kwargs: Any) -> Any:
        mine = next(turn)
        arrived[mine].set()
        deadline = time.monotonic() + 10
        while not arrived[1 - mine].wait(0.05) and not _waits_for_a_lock(database):
            assert time.monotonic() < deadline, "the other review never came"
        return patient_record(*args, **kwargs)

    monkeypatch.setattr(_reaction, "patient_record", meeting)


def _findings(store: Store, res_id: str) -> list[str]:
    stored = store.read("DetectedIssue", detected_issue_id(f"MedicationRequest/{res_id}"))
    assert stored is not None and stored.content is not None
    return [e["code"][0]["coding"][0]["code"] for e in parse_json(stored.content)["evidence"]]


def test_concurrent_prescriptions_of_one_patient_see_each_other(
    reacting_postgres_store: Store, postgres: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = reacting_postgres_store
    with store.write() as session:
        writes.update(session, "p1", {"resourceType": "Patient", "id": "p1"})
    _meeting_before_reading_the_record(monkeypatch, postgres)
    failures: list[BaseException] = []

    def prescribe(res_id: str) -> None:
        opioid = prescription(OXYCODONE_10_TABLET, dosage(1, "tablet", every(4)), res_id=res_id)
        try:
            with store.write() as session:
                writes.update(session, res_id, opioid)
        except BaseException as error:  # reported by the test's thread
            failures.append(error)

    threads = [threading.Thread(target=prescribe, args=(res_id,)) for res_id in ("rx1", "rx2")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    # The later review saw both (120 MME/d) and, re-checking, warned on the earlier one too.
    assert "mme-90" in _findings(store, "rx1")
    assert "mme-90" in _findings(store, "rx2")
