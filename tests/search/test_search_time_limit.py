"""A search's time limit on PostgreSQL: the search is stopped (503), and the connection —
pooled, or a write transaction's — is left as it was for whatever runs on it next."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import psycopg
import pytest

from painfhir.fhir.outcome import FhirError
from painfhir.search.compartments import compartment_parameters
from painfhir.search.query import parse_compartment_query, parse_query
from painfhir.store import CompartmentScope, Store, open_store
from tests.conftest import Database

# A hundred string criteria take PostgreSQL's planner about a second.
SLOW = [("family", f"f{n}") for n in range(100)]


def _no_limit(store: Store) -> None:
    """A statement that outlives any limit a search left behind on the connection."""
    with store.write() as session:
        session._db.execute("SELECT pg_sleep(0.2)").fetchall()  # type: ignore[attr-defined]


@pytest.fixture
def postgres_store(postgres: Database) -> Iterator[Store]:
    """The time limit is PostgreSQL's statement_timeout."""
    store = open_store(postgres.url)
    yield store
    store.close()


def test_a_slow_search_is_stopped_and_the_connection_reset(postgres_store: Store) -> None:
    query = parse_query("Patient", SLOW, strict=True)
    query.timeout_seconds = 0.05
    with pytest.raises(FhirError) as stopped:
        postgres_store.search(query)
    assert stopped.value.status == 503
    assert stopped.value.issues[0].code == "too-costly"
    query.timeout_seconds = 30
    assert postgres_store.search(query).matches == []
    _no_limit(postgres_store)


def test_a_slow_search_in_a_transaction_is_stopped_and_rolled_back(
    postgres_store: Store,
) -> None:
    query = parse_query("Patient", SLOW, strict=True)
    query.timeout_seconds = 0.05
    with pytest.raises(FhirError) as stopped, postgres_store.write() as session:
        session.search(query)
    assert stopped.value.status == 503
    _no_limit(postgres_store)


def test_a_compartment_search_past_the_time_limit_is_stopped(
    postgres: Database, postgres_store: Store
) -> None:
    """`Patient/x/*` is held to the same limit: here it waits for a table another
    connection has locked, until the limit stops it."""
    query, types = parse_compartment_query("Patient", ["Observation"], [], strict=True)
    query.timeout_seconds = 0.2
    members = tuple((t, tuple(compartment_parameters("Patient", t))) for t in types)
    scope = CompartmentScope("Patient", "x", members)
    with psycopg.connect(postgres.url) as other:
        other.execute("LOCK TABLE resource IN ACCESS EXCLUSIVE MODE")
        # without the limit the search would wait as long as the lock is held: not forever
        release = threading.Timer(10, other.rollback)
        release.start()
        with pytest.raises(FhirError) as stopped:
            postgres_store.search_compartment(scope, query)
        release.cancel()
        other.rollback()
    assert stopped.value.status == 503
    assert postgres_store.search_compartment(scope, query).matches == []
