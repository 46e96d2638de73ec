"""Which references are local (`search.config.local_target`), and migration 0006, which
re-indexes the absolute references an older painfhir took for this server's resources."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

import psycopg
import pytest

from painfhir.interactions import writes
from painfhir.search.config import local_target, search_config
from painfhir.search.criteria import parse_criteria
from painfhir.search.extract import ReferenceRow, index_rows
from painfhir.search.values import ReferenceValue, parse_reference
from painfhir.store import Store
from painfhir.store._migrations import migrations_for
from painfhir.store._sql import statements
from tests.conftest import Database

BASE = "https://painfhir.test/fhir"
OTHER = "http://other.example/fhir/Patient/1"


@pytest.fixture
def based(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """This process's settings name a base URL."""
    monkeypatch.setenv("PAINFHIR_BASE_URL", BASE + "/")
    search_config.cache_clear()
    yield
    monkeypatch.delenv("PAINFHIR_BASE_URL")
    search_config.cache_clear()


def _subject(reference: str) -> list[ReferenceRow]:
    observation = {"resourceType": "Observation", "subject": {"reference": reference}}
    return [row for row in index_rows(observation).references if row.param == "subject"]


def test_without_a_base_url_only_relative_references_are_local() -> None:
    assert local_target("Patient/1") == ("Patient", "1")
    assert local_target("Patient/1/_history/2") == ("Patient", "1")
    assert local_target(OTHER) is None
    assert local_target("urn:uuid:0f2b7e5c-2f0e-4d5e-9a4a-1c9d8a0b7e61") is None
    assert _subject(OTHER) == [ReferenceRow("subject", "", "", OTHER)]
    assert parse_reference(OTHER) == ReferenceValue(None, None, OTHER)


@pytest.mark.usefixtures("based")
def test_with_a_base_url_the_references_under_it_are_local() -> None:
    mine = f"{BASE}/Patient/1"
    assert local_target(mine) == ("Patient", "1")
    assert local_target(f"{BASE}x/Patient/1") is None  # another base that starts the same
    assert _subject(mine) == [ReferenceRow("subject", "Patient", "1", mine)]
    assert _subject(OTHER) == [ReferenceRow("subject", "", "", OTHER)]
    assert parse_reference(mine) == ReferenceValue("Patient", "1", None)
    assert parse_reference(OTHER) == ReferenceValue(None, None, OTHER)


def _execute(database: Database, sql: str) -> list[tuple[object, ...]]:
    if database.backend == "sqlite":
        with sqlite3.connect(database.url.removeprefix("sqlite:///")) as lite:
            return [tuple(row) for row in lite.execute(sql).fetchall()]
    with psycopg.connect(database.url) as pg:
        cursor = pg.execute(sql.encode())
        return [tuple(row) for row in cursor.fetchall()] if cursor.description else []


def test_migration_0006_makes_absolute_references_another_servers(
    store: Store, database: Database
) -> None:
    observation = {
        "resourceType": "Observation",
        "status": "final",
        "code": {"text": "pain"},
        "subject": {"reference": OTHER},
        "performer": [{"reference": "Practitioner/p1"}],
    }
    with store.write() as session:
        res_id = writes.create(session, observation).version.res_id
    # as an older painfhir indexed it: the absolute reference by type and id too
    _execute(
        database,
        "UPDATE search_reference SET target_type = 'Patient', target_id = '1'"
        f" WHERE url = '{OTHER}'",
    )
    by_target = parse_criteria("Observation", "subject=Patient/1")
    with store.write() as session:
        assert session.match("Observation", by_target, 5) == [res_id]
    (migration,) = [m for m in migrations_for(database.backend) if m.number == 6]
    for statement in statements(migration.sql):
        _execute(database, statement)
    rows = _execute(
        database,
        "SELECT param, target_type, target_id, url FROM search_reference"
        f" WHERE res_id = '{res_id}' AND param IN ('subject', 'performer') ORDER BY param",
    )
    assert rows == [("performer", "Practitioner", "p1", ""), ("subject", "", "", OTHER)]
    with store.write() as session:
        assert session.match("Observation", by_target, 5) == []
        by_url = parse_criteria("Observation", f"subject={OTHER}")
        assert session.match("Observation", by_url, 5) == [res_id]
