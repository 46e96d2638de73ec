"""`painfhir notify list|show|retry` against a real store on both backends, run as a user
runs it: a separate process reading PAINFHIR_DATABASE_URL."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from painfhir.interactions import writes
from painfhir.store import DeliveryAttempt, DeliveryQuery, Route, Store
from painfhir.store._time import utc_now
from tests.conftest import Database

ENDPOINT = "mllp://ehr.example:2575"


def _painfhir(database: Database, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PAINFHIR_DATABASE_URL": database.url}
    return subprocess.run(
        [sys.executable, "-m", "painfhir", "notify", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _two_deliveries(store: Store) -> tuple[int, int]:
    """Two deliveries to one receiver: the first dead after three refusals, the second
    delivered."""
    for family in ("Rivera", "Sato"):
        with store.write() as session:
            writes.create(session, {"resourceType": "Patient", "name": [{"family": family}]})
    events = store.deliveries.undispatched(10)
    routes = [Route(event.seq, "ehr", ENDPOINT, "x-application/hl7-v2+er7") for event in events]
    store.deliveries.dispatch(events, routes, utc_now())
    second, first = store.deliveries.search(DeliveryQuery())
    for n, outcome in enumerate(("failed", "failed", "dead"), start=1):
        attempt = DeliveryAttempt(utc_now(), outcome, f"AR from the receiver ({n})")
        store.deliveries.record(first.id, attempt, b"MSH|^~\\&|PAINFHIR|")
    store.deliveries.record(second.id, DeliveryAttempt(utc_now(), "delivered", None), b"MSH|")
    return first.id, second.id


def test_dead_letters_are_listed_shown_and_put_back_in_their_queue(
    store: Store, database: Database
) -> None:
    dead, delivered = _two_deliveries(store)

    listed = _painfhir(database, "list", "--status", "dead")
    assert listed.returncode == 0, listed.stderr
    heading, *rows = listed.stdout.splitlines()
    assert heading.split()[:3] == ["id", "status", "attempts"]
    assert [row.split()[:5] for row in rows] == [[str(dead), "dead", "3", "ehr", ENDPOINT]]
    assert "AR from the receiver (3)" in rows[0]

    shown = _painfhir(database, "show", str(dead))
    assert shown.returncode == 0, shown.stderr
    details = json.loads(shown.stdout)
    assert [a["outcome"] for a in details["attemptLog"]] == ["failed", "failed", "dead"]
    assert details["payload"] == "MSH|^~\\&|PAINFHIR|"  # the first payload, kept for resends

    refused = _painfhir(database, "retry", str(delivered))
    assert refused.returncode == 1
    assert "only dead deliveries are retried" in refused.stdout
    retried = _painfhir(database, "retry", "--dead", "--subscription", "ehr")
    assert retried.returncode == 0, retried.stderr
    assert f"{dead}: pending again (was dead after 3 attempts)" in retried.stdout

    again = store.deliveries.get(dead)
    assert again is not None and (again.status, again.attempts) == ("pending", 0)
    assert _painfhir(database, "list", "--status", "dead").stdout.strip() == "no deliveries"


def test_unknown_deliveries_and_missing_targets_are_errors(database: Database) -> None:
    missing = _painfhir(database, "show", "4711")
    assert (missing.returncode, missing.stderr.strip()) == (1, "No delivery 4711")
    assert _painfhir(database, "retry").returncode == 1  # neither ids nor --dead
    unknown = _painfhir(database, "retry", "4711")
    assert (unknown.returncode, unknown.stdout.strip()) == (1, "4711: no such delivery")
