"""The store's guarantees, on every backend: one write = one transaction, all or nothing."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import psycopg
import pytest

from painfhir.interactions import writes
from painfhir.search.criteria import parse_criteria
from painfhir.search.extract import MAX_INSTANT, MIN_INSTANT, IndexRows, TokenRow
from painfhir.store import HistoryQuery, Store, open_store
from painfhir.store._migrations import migrations_for
from painfhir.store._sql import statements
from tests.conftest import Database

PATIENT = {"resourceType": "Patient", "identifier": [{"system": "urn:s", "value": "42"}]}


def _identifier(value: str) -> TokenRow:
    return TokenRow("identifier", "urn:s", value, "")


def _table_counts(database: Database) -> dict[str, int]:
    tables = ("resource", "resource_version", "search_token", "outbox")
    return {table: database.count(table) for table in tables}


def test_a_write_stores_version_index_and_outbox_together(store: Store, database: Database) -> None:
    with store.write() as session:
        written = writes.create(session, dict(PATIENT))
    assert written.status == 201
    # Two tokens: the identifier, and `deceased`, which R4 computes for every Patient
    # (`Patient.deceased.exists() and Patient.deceased != false`), here false.
    assert _table_counts(database) == {
        "resource": 1,
        "resource_version": 1,
        "search_token": 2,
        "outbox": 1,
    }
    current = store.read("Patient", written.version.res_id)
    assert current is not None and current.content == written.version.content


def test_a_failed_transaction_leaves_nothing(store: Store, database: Database) -> None:
    with pytest.raises(RuntimeError), store.write() as session:
        writes.create(session, dict(PATIENT))
        writes.create(session, dict(PATIENT))
        raise RuntimeError("a later entry failed")
    assert set(_table_counts(database).values()) == {0}


def test_index_rows_follow_the_current_version(store: Store) -> None:
    with store.write() as session:
        res_id = writes.create(session, dict(PATIENT)).version.res_id
    with store.write() as session:
        session.put("Patient", res_id, 2, "PUT", b"{}", IndexRows(tokens=[_identifier("43")]))
    with store.write() as session:
        assert session.match("Patient", parse_criteria("Patient", "identifier=urn:s|42"), 5) == []
        assert session.match("Patient", parse_criteria("Patient", "identifier=urn:s|43"), 5) == [
            res_id
        ]
        session.put("Patient", res_id, 3, "DELETE", None, None)
        assert session.match("Patient", parse_criteria("Patient", "identifier=urn:s|43"), 5) == []


def test_writing_a_resource_twice_in_one_transaction_makes_one_version(
    store: Store, database: Database
) -> None:
    with store.write() as session:
        first = writes.create(session, dict(PATIENT)).version
        assert session.wrote(first)
        again = {**PATIENT, "id": first.res_id, "identifier": [{"system": "urn:s", "value": "43"}]}
        second = writes.update(session, first.res_id, again).version
        assert (second.version, second.seq) == (1, first.seq)
        # the replaced version's index rows are gone, inside the transaction already
        assert session.match("Patient", parse_criteria("Patient", "identifier=urn:s|42"), 5) == []
    assert _table_counts(database) == {
        "resource": 1,
        "resource_version": 1,
        "search_token": 2,
        "outbox": 1,
    }
    stored = store.read("Patient", first.res_id)
    assert stored is not None and stored.content == second.content
    assert second.content is not None and b'"43"' in second.content
    with store.write() as session:
        later = writes.update(session, first.res_id, {**again, "gender": "female"}).version
        assert later.version == 2  # a later transaction makes a version of its own
        assert not session.wrote(stored)


def test_history_is_newest_first_and_pages_by_cursor(store: Store) -> None:
    with store.write() as session:
        res_id = writes.create(session, dict(PATIENT)).version.res_id
    for version in (2, 3, 4):
        with store.write() as session:
            session.put("Patient", res_id, version, "PUT", b"{}", None)
    page = store.history(HistoryQuery("Patient", res_id, count=2))
    assert [v.version for v in page] == [4, 3, 2]  # one more than asked: there is a next page
    rest = store.history(HistoryQuery("Patient", res_id, before_seq=page[1].seq, count=2))
    assert [v.version for v in rest] == [2, 1]


def test_conditional_create_holds_across_separate_stores(database: Database) -> None:
    """Four workers' worth of stores on one database: the database decides, not our locks."""
    stores = [open_store(database.url) for _ in range(4)]
    criteria = parse_criteria("Patient", "identifier=urn:s|42")
    statuses: list[int] = []
    barrier = threading.Barrier(16)

    def create(store: Store) -> None:
        barrier.wait()
        with store.write() as session:
            statuses.append(writes.create(session, dict(PATIENT), criteria).status)

    threads = [threading.Thread(target=create, args=(stores[i % 4],)) for i in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200] * 15 + [201]
    for store in stores:
        store.close()


def test_a_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "future.db"
    open_store(f"sqlite:///{path}").close()
    with sqlite3.connect(path) as db:
        db.execute("INSERT INTO schema_migration VALUES (9999, 'future', 'now')")
    with pytest.raises(RuntimeError, match="9999"):
        open_store(f"sqlite:///{path}")


def test_migrations_run_once(database: Database) -> None:
    open_store(database.url).close()
    open_store(database.url).close()
    assert database.count("schema_migration") == len(migrations_for(database.backend))


def test_unknown_database_url_is_refused() -> None:
    with pytest.raises(ValueError, match="mysql"):
        open_store("mysql://localhost/painfhir")


def test_read_only_lookups_inside_a_write_see_its_own_writes(store: Store) -> None:
    with store.write() as session:
        for n in (3, 1, 2):
            patient = {**PATIENT, "identifier": [{"system": "urn:s", "value": "shared"}]}
            writes.update(session, f"p{n}", {**patient, "id": f"p{n}"})
        criteria = parse_criteria("Patient", [("identifier", "urn:s|shared")])
        found = session.find("Patient", criteria, limit=2)
        assert [v.res_id for v in found] == ["p1", "p2"]  # by id, at most the limit
        assert all(v.content is not None and b'"shared"' in v.content for v in found)
        looked_up = session.look_up("Patient", "p3")
        assert looked_up is not None and looked_up.version == 1
        assert session.look_up("Patient", "nobody") is None


def test_find_linked_reads_what_points_to_a_resource_by_type_in_one_query(store: Store) -> None:
    def condition(res_id: str, patient: str) -> dict[str, object]:
        return {
            "resourceType": "Condition",
            "id": res_id,
            "subject": {"reference": f"Patient/{patient}"},
        }

    with store.write() as session:
        for res_id in ("c3", "c1", "c2", "c4"):
            writes.update(session, res_id, condition(res_id, "p1"))
        writes.update(session, "other", condition("other", "p2"))
        coverage = {
            "resourceType": "Coverage",
            "id": "cov",
            "status": "active",
            "beneficiary": {"reference": "Patient/p1"},
            "payor": [{"reference": "Patient/p1"}],
        }
        writes.update(session, "cov", coverage)
        writes.delete(session, "Condition", "c4")
        links = [("Condition", "patient"), ("Coverage", "beneficiary")]
        found = session.find_linked(("Patient", "p1"), links, per_type=2)
        # its own writes seen; by type and id; two of each type at most; no deleted, no others
        assert [(v.res_type, v.res_id) for v in found] == [
            ("Condition", "c1"),
            ("Condition", "c2"),
            ("Coverage", "cov"),
        ]
        assert session.find_linked(("Patient", "p1"), [("Coverage", "payor")], 5)[0].res_id == "cov"
        assert session.find_linked(("Patient", "p1"), [], 5) == []


def test_read_ahead_gives_current_what_a_query_of_its_own_would(store: Store) -> None:
    with store.write() as session:
        for n in range(250):  # more than one statement's worth
            writes.update(session, f"p{n}", {**PATIENT, "id": f"p{n}"})
        writes.delete(session, "Patient", "p7")
    stored = store.read("Patient", "p3")
    with store.write() as session:
        keys = [("Patient", f"p{n}") for n in range(260)] + [("Patient", "p3")]
        session.read_ahead(keys)
        p3, p7 = session.current("Patient", "p3"), session.current("Patient", "p7")
        assert p3 is not None and stored is not None and p3 == stored
        assert p7 is not None and p7.deleted and p7.version == 2
        assert session.current("Patient", "p255") is None  # read ahead, and not there
        written = writes.update(session, "p3", {**PATIENT, "id": "p3", "gender": "male"}).version
        assert written.version == 2 and session.current("Patient", "p3") == written


def test_read_ahead_looks_each_resource_up_by_its_key_on_sqlite(tmp_path: Path) -> None:
    """Not a scan of every resource: a Bundle's read-ahead must cost the same in a store of
    a million resources as in an empty one."""
    store = open_store(f"sqlite:///{tmp_path / 'plan.db'}")
    try:
        statements: list[str] = []
        with store.write() as session:
            db = store._writes.active  # type: ignore[attr-defined]
            db.set_trace_callback(statements.append)
            session.read_ahead([("Patient", "a"), ("Patient", "b")])
            db.set_trace_callback(None)
            (read,) = [s for s in statements if "wanted" in s]
            plan = " | ".join(row[3] for row in db.execute(f"EXPLAIN QUERY PLAN {read}"))
        assert "SEARCH r USING PRIMARY KEY" in plan and "SCAN r" not in plan, plan
    finally:
        store.close()


def test_dates_written_before_year_1000_without_zeros_are_padded(
    store: Store, database: Database
) -> None:
    """Migration 0005 pads the years an older painfhir wrote unpadded, and nothing else."""
    with store.write() as session:
        res_id = writes.create(session, dict(PATIENT)).version.res_id
    old = [
        (res_id, "birthdate", "99-01-01T00:00:00.000000Z", "99-01-02T00:00:00.000000Z"),
        (res_id, "death-date", MIN_INSTANT, MAX_INSTANT),
    ]
    insert = "INSERT INTO search_date (res_type, res_id, param, low, high) VALUES "
    read = "SELECT low, high FROM search_date WHERE res_id = '" + res_id + "' ORDER BY param"
    (migration,) = [m for m in migrations_for(database.backend) if m.number == 5]
    criteria = parse_criteria("Patient", "birthdate=0099-01-01")
    if database.backend == "sqlite":
        with sqlite3.connect(database.url.removeprefix("sqlite:///")) as lite:
            lite.executemany(insert + "('Patient', ?, ?, ?, ?)", old)
    else:
        with psycopg.connect(database.url) as pg:
            pg.cursor().executemany(insert + "('Patient', %s, %s, %s, %s)", old)
    with store.write() as session:
        assert session.match("Patient", criteria, 5) == []  # as the old rows stood
    if database.backend == "sqlite":
        with sqlite3.connect(database.url.removeprefix("sqlite:///")) as lite:
            for statement in statements(migration.sql):
                lite.execute(statement)
            padded = lite.execute(read).fetchall()
    else:
        with psycopg.connect(database.url) as pg:
            for statement in statements(migration.sql):
                pg.execute(statement.encode())
            padded = pg.execute(read.encode()).fetchall()
    assert [tuple(row) for row in padded] == [
        ("0099-01-01T00:00:00.000000Z", "0099-01-02T00:00:00.000000Z"),
        (MIN_INSTANT, MAX_INSTANT),
    ]
    with store.write() as session:
        assert session.match("Patient", criteria, 5) == [res_id]
