"""Conditional writes: If-Match still applies when nothing matches, and, on PostgreSQL, where
writers run concurrently, a match holds against a concurrent DELETE and Bundles matching on
the same types never deadlock."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

import orjson
import psycopg
import pytest

from painfhir.fhir.outcome import FhirError
from painfhir.interactions import bundles, writes
from painfhir.search.criteria import SearchCriterion, parse_criteria
from painfhir.store import open_store
from painfhir.store._sql import SqlWriteSession
from tests.conftest import POSTGRES, Database

IDENTIFIER = "identifier=urn:s|1"
PATIENT = {"resourceType": "Patient", "identifier": [{"system": "urn:s", "value": "1"}]}

Match = Callable[[SqlWriteSession, str, list[SearchCriterion], int], list[str]]


def _after_each_match(monkeypatch: pytest.MonkeyPatch, then: Callable[[], None]) -> None:
    """Call `then` after every match on criteria (not after a lock taken alone): the window
    between a conditional write's match and what it does next, widened."""
    original: Match = SqlWriteSession.match

    def match(
        session: SqlWriteSession, res_type: str, criteria: list[SearchCriterion], limit: int
    ) -> list[str]:
        found = original(session, res_type, criteria, limit)
        if criteria:
            then()
        return found

    monkeypatch.setattr(SqlWriteSession, "match", match)


@pytest.mark.parametrize(
    "resource",
    [pytest.param(PATIENT, id="server id"), pytest.param({**PATIENT, "id": "c"}, id="body id")],
)
def test_a_conditional_update_matching_nothing_still_checks_if_match(
    database: Database, resource: dict[str, Any]
) -> None:
    """As a PUT with If-Match to an id that does not exist: 412, nothing created."""
    store = open_store(database.url)
    try:
        with pytest.raises(FhirError) as refused, store.write() as session:
            criteria = parse_criteria("Patient", IDENTIFIER)
            writes.conditional_update(session, criteria, dict(resource), 'W/"7"')
        assert refused.value.status == 412
        assert database.count("resource") == 0
    finally:
        store.close()


@pytest.mark.parametrize("through", ["create", "transaction"])
def test_a_match_deleted_before_it_is_locked_is_no_match(
    postgres: Database, monkeypatch: pytest.MonkeyPatch, through: str
) -> None:
    """A DELETE commits between a conditional create's match and its lock on the match: the
    create creates (nothing matches any more), never answers with the deleted version."""
    store = open_store(postgres.url)
    try:
        with store.write() as session:
            writes.update(session, "x", {**PATIENT, "id": "x"})
        matched, deleted = threading.Event(), threading.Event()

        def delete_meanwhile() -> None:
            matched.set()
            assert deleted.wait(10)

        def delete_x() -> None:
            assert matched.wait(10)
            with store.write() as session:
                writes.delete(session, "Patient", "x")
            deleted.set()

        _after_each_match(monkeypatch, delete_meanwhile)
        deleter = threading.Thread(target=delete_x)
        deleter.start()
        if through == "create":
            with store.write() as session:
                criteria = parse_criteria("Patient", IDENTIFIER)
                written = writes.create(session, dict(PATIENT), criteria)
            status, location = written.status, written.version.reference
        else:
            request = {"method": "POST", "url": "Patient", "ifNoneExist": IDENTIFIER}
            bundle = {
                "resourceType": "Bundle",
                "type": "transaction",
                "entry": [{"resource": dict(PATIENT), "request": request}],
            }
            answer = orjson.loads(bundles.process(store, bundle, "", representation=False))
            response = answer["entry"][0]["response"]
            status, location = int(response["status"][:3]), response["location"]
        deleter.join(10)
        assert status == 201
        assert not location.startswith("Patient/x")
        with store.write() as session:
            live = session.match("Patient", parse_criteria("Patient", IDENTIFIER), limit=2)
        assert len(live) == 1 and live[0] != "x"
    finally:
        store.close()


def _waiting_for_a_lock(application: str) -> bool:
    with psycopg.connect(POSTGRES, autocommit=True) as db:
        row = db.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE application_name = %s AND wait_event_type = 'Lock'",
            (application,),
        ).fetchone()
    return bool(row and row[0])


def test_bundles_matching_on_two_types_in_opposite_orders_both_commit(
    postgres: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each Bundle's first match is made before the other's second: were the match locks taken
    in entry order, each would hold the lock the other waits for (a deadlock, a 409)."""
    application = f"painfhir_test_{uuid.uuid4().hex[:12]}"
    store = open_store(f"{postgres.url}&application_name={application}")
    matched: set[str] = set()

    def wait_for_the_other() -> None:
        # Both have matched once, or the other is held back by a lock (as it should be).
        matched.add(threading.current_thread().name)
        deadline = time.monotonic() + 10
        while len(matched) < 2 and not _waiting_for_a_lock(application):
            assert time.monotonic() < deadline, "neither matched nor waiting for a lock"
            time.sleep(0.005)

    def entry(res_type: str, value: str) -> dict[str, Any]:
        identifier = [{"system": "urn:s", "value": value}]
        return {
            "resource": {"resourceType": res_type, "identifier": identifier},
            "request": {"method": "PUT", "url": f"{res_type}?identifier=urn:s|{value}"},
        }

    answers: dict[str, str] = {}

    def send(name: str, types: list[str]) -> None:
        bundle = {
            "resourceType": "Bundle",
            "type": "transaction",
            "entry": [entry(res_type, name) for res_type in types],
        }
        try:
            bundles.process(store, bundle, "", representation=False)
            answers[name] = "committed"
        except FhirError as error:
            answers[name] = f"{error.status}"

    _after_each_match(monkeypatch, wait_for_the_other)
    senders = [
        threading.Thread(target=send, args=("a", ["Patient", "Practitioner"]), name="a"),
        threading.Thread(target=send, args=("b", ["Practitioner", "Patient"]), name="b"),
    ]
    try:
        for sender in senders:
            sender.start()
        for sender in senders:
            sender.join(30)
        assert answers == {"a": "committed", "b": "committed"}
        assert postgres.count("resource") == 4
    finally:
        store.close()
