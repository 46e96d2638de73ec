"""A search's time limit on PostgreSQL: the search is stopped (503), and the connection —
pooled, or a write transaction's — is left as it was for whatever runs on it next."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from painfhir.fhir.outcome import FhirError
from painfhir.search.query import parse_query
from painfhir.store import Store, open_store
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
