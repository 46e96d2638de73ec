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
    assert _painfhir(database, "retry").returncode == 2  # neither ids nor --dead
    unknown = _painfhir(database, "retry", "4711")
    assert (unknown.returncode, unknown.stdout.strip()) == (1, "4711: no such delivery")


def _dead_deliveries(store: Store, queues: list[tuple[str, str]]) -> list[int]:
    """One change owed to each (subscription, endpoint) queue, each delivery dead at its first
    attempt; their ids, oldest first."""
    with store.write() as session:
        writes.create(session, {"resourceType": "Patient", "name": [{"family": "Okafor"}]})
    (event,) = store.deliveries.undispatched(10)
    routes = [
        Route(event.seq, sub, endpoint, "x-application/hl7-v2+er7") for sub, endpoint in queues
    ]
    store.deliveries.dispatch([event], routes, utc_now())
    ids = sorted(d.id for d in store.deliveries.search(DeliveryQuery(count=len(queues))))
    for delivery_id in ids:
        store.deliveries.record(delivery_id, DeliveryAttempt(utc_now(), "dead", "AR"), b"MSH|")
    return ids


def _status(store: Store, delivery_id: int) -> str:
    delivery = store.deliveries.get(delivery_id)
    assert delivery is not None
    return delivery.status


def test_a_limit_below_one_is_a_usage_error(store: Store, database: Database) -> None:
    _dead_deliveries(store, [("ehr", f"mllp://ehr.example:{port}") for port in (1, 2, 3)])
    for limit in ("0", "-1", "-1003", "many"):
        listed = _painfhir(database, "list", "--limit", limit)
        assert listed.returncode == 2, (limit, listed.stdout)
        assert f"argument --limit: {limit}:" in listed.stderr
    assert len(_painfhir(database, "list", "--limit", "2").stdout.splitlines()) == 1 + 2


def test_retry_dead_puts_back_the_oldest_first_and_says_when_more_remain(
    store: Store, database: Database
) -> None:
    ids = _dead_deliveries(store, [("ehr", f"mllp://ehr.example:{n}") for n in range(1002)])

    first = _painfhir(database, "retry", "--dead")
    assert first.returncode == 0, first.stderr
    *retried, summary = first.stdout.splitlines()
    assert [int(line.split(":")[0]) for line in retried] == ids[:1000]
    assert summary == (
        "1,000 dead deliveries retried, the oldest first; more remain: run the same command again"
    )
    assert [_status(store, n) for n in ids[-3:]] == ["pending", "dead", "dead"]

    second = _painfhir(database, "retry", "--dead")
    assert second.returncode == 0, second.stderr
    assert [int(line.split(":")[0]) for line in second.stdout.splitlines()] == ids[1000:]
    assert _painfhir(database, "retry", "--dead").stdout.strip() == "no dead deliveries"


def test_named_deliveries_are_not_filtered_by_subscription(
    store: Store, database: Database
) -> None:
    _, other = _dead_deliveries(store, [("sub1", ENDPOINT), ("sub2", ENDPOINT)])
    mixed = _painfhir(database, "retry", str(other), "--subscription", "sub1")
    assert mixed.returncode == 2
    assert "--subscription goes with --dead only" in mixed.stderr
    assert _status(store, other) == "dead"
    both = _painfhir(database, "retry", str(other), "--dead")
    assert (both.returncode, _status(store, other)) == (2, "dead")


def test_a_delivery_named_twice_is_retried_once(store: Store, database: Database) -> None:
    (dead,) = _dead_deliveries(store, [("ehr", ENDPOINT)])
    retried = _painfhir(database, "retry", str(dead), str(dead))
    assert retried.returncode == 0, retried.stdout
    assert retried.stdout.splitlines() == [f"{dead}: pending again (was dead after 1 attempts)"]


def test_subscription_may_be_given_as_notify_show_prints_it(
    store: Store, database: Database
) -> None:
    first, other = _dead_deliveries(store, [("sub1", ENDPOINT), ("sub2", ENDPOINT)])
    shown = json.loads(_painfhir(database, "show", str(first)).stdout)["subscription"]
    assert shown == "Subscription/sub1"
    listed = _painfhir(database, "list", "--subscription", shown).stdout.splitlines()
    assert [row.split()[0] for row in listed[1:]] == [str(first)]
    retried = _painfhir(database, "retry", "--dead", "--subscription", shown)
    assert retried.stdout.splitlines() == [f"{first}: pending again (was dead after 1 attempts)"]
    assert (_status(store, first), _status(store, other)) == ("pending", "dead")
    wrong = _painfhir(database, "list", "--subscription", "Patient/sub1")
    assert wrong.returncode == 2
    assert "argument --subscription: Patient/sub1:" in wrong.stderr
