"""Many writers at once, some of them failing, on every backend: each write is all or nothing
on its own, and a write that returned is already visible to every other connection."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import psycopg
import pytest

from painfhir.fhir.codec import parse_json
from painfhir.fhir.outcome import FhirError
from painfhir.interactions import writes
from painfhir.store import HistoryQuery, Store, StoredVersion, WriteSession, open_store
from painfhir.store._group_commit import GroupCommit
from painfhir.store._time import instant_text
from tests.conftest import Database

WRITERS = 16
WRITES_EACH = 25


def _patient(writer: int, n: int) -> dict[str, object]:
    return {"resourceType": "Patient", "id": f"w{writer}-{n}", "gender": "unknown"}


def _visible_elsewhere(database: Database, res_id: str) -> bool:
    """Is the resource there for a connection of its own (not the store's)?"""
    sql = "SELECT count(*) FROM resource WHERE res_type = 'Patient' AND res_id = "
    if database.backend == "sqlite":
        with sqlite3.connect(database.url.removeprefix("sqlite:///")) as db:
            return bool(db.execute(sql + "?", (res_id,)).fetchone()[0])
    with psycopg.connect(database.url) as db:
        row = db.execute(sql + "%s", (res_id,)).fetchone()
        return bool(row and row[0])


def _write(store: Store, database: Database, writer: int) -> list[str]:
    """Writes of one client; every third fails after its resource is in, and must vanish."""
    problems = []
    for n in range(WRITES_EACH):
        resource = _patient(writer, n)
        try:
            with store.write() as session:
                writes.update(session, str(resource["id"]), resource)
                if n % 3 == 0:
                    raise FhirError.of(422, "business-rule", "refused after the insert")
        except FhirError:
            continue
        if not _visible_elsewhere(database, str(resource["id"])):
            problems.append(f"{resource['id']} returned before it was committed")
    return problems


def test_concurrent_writes_each_stand_alone(store: Store, database: Database) -> None:
    with ThreadPoolExecutor(WRITERS) as pool:
        problems = pool.map(lambda w: _write(store, database, w), range(WRITERS))
        assert [p for found in problems for p in found] == []
    kept = sum(1 for n in range(WRITES_EACH) if n % 3 != 0) * WRITERS
    assert database.count("resource") == kept
    assert database.count("resource_version") == kept
    assert database.count("outbox") == kept
    assert all(store.read("Patient", f"w{w}-0") is None for w in range(WRITERS))


def test_writes_queued_behind_one_share_its_commit(tmp_path: Path) -> None:
    """While one write runs, the writes queued behind it join its transaction: none of them is
    committed — or returns — before the last of the queue has finished."""
    path = tmp_path / "group.db"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE note (text TEXT)")
    commits: list[str] = []
    group = GroupCommit(
        lambda: sqlite3.connect(path, isolation_level=None, check_same_thread=False),
        lambda: commits.append("commit"),
    )
    first_inside, release_first = threading.Event(), threading.Event()
    committed_on_return: dict[str, int] = {}

    def write(text: str, hold: bool = False) -> None:
        with group.write() as db:
            db.execute("INSERT INTO note VALUES (?)", (text,))
            if hold:
                first_inside.set()
                release_first.wait(5)
        with sqlite3.connect(path) as other:
            committed_on_return[text] = other.execute("SELECT count(*) FROM note").fetchone()[0]

    first = threading.Thread(target=write, args=("first", True))
    first.start()
    first_inside.wait(5)
    queued = [threading.Thread(target=write, args=(f"queued {n}",)) for n in range(3)]
    for thread in queued:
        thread.start()
    while group._queued < 3:  # the three are waiting for their turn
        threading.Event().wait(0.001)
    release_first.set()
    for thread in [first, *queued]:
        thread.join(5)
    # One commit for the four: each saw all four rows committed when it returned.
    assert committed_on_return == {"first": 4, "queued 0": 4, "queued 1": 4, "queued 2": 4}
    assert commits == ["commit"]


class _SavepointFails(sqlite3.Connection):
    """A connection on which a savepoint fails once `failing` is set (out of memory, an
    I/O error)."""

    failing = False

    def execute(self, sql: str, parameters: Any = (), /) -> sqlite3.Cursor:
        if self.failing and sql.startswith("SAVEPOINT"):
            raise sqlite3.OperationalError("disk I/O error")
        return super().execute(sql, parameters)


def test_a_write_whose_savepoint_fails_still_ends_the_batch_it_joined(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The writes before it in its batch are waiting for a commit: it must still come."""
    path = tmp_path / "savepoint.db"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE note (text TEXT)")
    group = GroupCommit(
        lambda: sqlite3.connect(
            path, isolation_level=None, check_same_thread=False, factory=_SavepointFails
        ),
        lambda: None,
    )
    inside, release = threading.Event(), threading.Event()
    returned: list[str] = []

    def first() -> None:
        with group.write() as db:
            db.execute("INSERT INTO note VALUES ('first')")
            inside.set()
            release.wait(5)
        returned.append("first")

    def second() -> None:
        monkeypatch.setattr(_SavepointFails, "failing", True)
        with pytest.raises(sqlite3.OperationalError), group.write():
            pass
        returned.append("second")

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    threads[0].start()
    inside.wait(5)
    threads[1].start()
    while group._queued < 1:  # the second is waiting for its turn, in the first's batch
        threading.Event().wait(0.001)
    release.set()
    for thread in threads:
        thread.join(5)
    assert sorted(returned) == ["first", "second"]
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT text FROM note").fetchall() == [("first",)]


def test_a_failed_write_leaves_its_batch_intact(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'one.db'}")
    with store.write() as session:
        writes.update(session, "kept", _patient(0, 0) | {"id": "kept"})
    with pytest.raises(FhirError), store.write() as session:
        writes.update(session, "dropped", _patient(0, 1) | {"id": "dropped"})
        raise FhirError.of(422, "business-rule", "no")
    assert store.read("Patient", "kept") is not None
    assert store.read("Patient", "dropped") is None
    store.close()


def test_the_log_is_copied_into_the_database_file_beside_the_writes(tmp_path: Path) -> None:
    """Writers never checkpoint (a commit would pay for hundreds of pages); the store's own
    thread does, soon after the commits."""
    path = tmp_path / "checkpoints.db"
    store = open_store(f"sqlite:///{path}")
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    before = path.stat().st_size
    for n in range(200):
        with store.write() as session:
            writes.update(session, f"p{n}", _patient(0, n) | {"id": f"p{n}"})
    deadline = time.monotonic() + 10
    while path.stat().st_size <= before and time.monotonic() < deadline:
        time.sleep(0.01)
    assert path.stat().st_size > before
    store.close()


@pytest.mark.parametrize("through", ["current", "read_ahead"])
def test_a_writer_that_waited_for_another_updates_what_that_one_committed(
    database: Database, through: str
) -> None:
    """The second writer's read of the current version waits for the first's lock, then
    sees its version: it writes version 3, never a second version 1 or 2 (a 409)."""
    first, second = open_store(database.url), open_store(database.url)
    try:
        with first.write() as session:
            writes.update(session, "shared", {"resourceType": "Patient", "id": "shared"})
        holding, release = threading.Event(), threading.Event()

        def hold() -> None:
            with first.write() as session:
                writes.update(session, "shared", {**_patient(0, 0), "id": "shared"})
                holding.set()
                release.wait(30)

        def update_after() -> int:
            with second.write() as session:
                if through == "read_ahead":
                    session.read_ahead([("Patient", "shared"), ("Patient", "absent")])
                changed = {"resourceType": "Patient", "id": "shared", "gender": "female"}
                return writes.update(session, "shared", changed).version.version

        with ThreadPoolExecutor(max_workers=2) as pool:
            held = pool.submit(hold)
            assert holding.wait(30)
            waiting = pool.submit(update_after)
            time.sleep(0.5)  # the second writer is waiting for the first's lock by now
            release.set()
            held.result(timeout=60)
            assert waiting.result(timeout=60) == 3
        stored = first.read("Patient", "shared")
        assert stored is not None and stored.version == 3 and b'"female"' in (stored.content or b"")
    finally:
        first.close()
        second.close()


def _write_after_waiting(database: Database, then: Callable[[WriteSession], None]) -> Store:
    """A write session opens, another writer updates Patient/x and commits, then the session
    does `then`: on PostgreSQL a session opens before it waits for the rows it locks (on
    SQLite, one writer at a time, a session opens after every earlier commit)."""
    store, other = open_store(database.url), open_store(database.url)
    with store.write() as session:
        writes.update(session, "x", {"resourceType": "Patient", "id": "x"})
    opened, committed = threading.Event(), threading.Event()

    def write_late() -> None:
        with store.write() as session:
            opened.set()
            assert committed.wait(10)
            then(session)

    late = threading.Thread(target=write_late)
    late.start()
    assert opened.wait(10)
    with other.write() as session:
        writes.update(session, "x", {"resourceType": "Patient", "id": "x", "gender": "female"})
    other.close()
    committed.set()
    late.join(10)
    return store


def _stamp(version: StoredVersion | None) -> str:
    """The lastUpdated its content says (which must be the one the store keeps)."""
    assert version is not None and version.content is not None
    assert parse_json(version.content)["meta"]["lastUpdated"] == instant_text(version.last_updated)
    return instant_text(version.last_updated)


def test_a_version_is_never_older_than_the_one_it_follows(postgres: Database) -> None:
    """Else `_history?_since=` and `_lastUpdated=gt` pollers that saw version 2 miss 3."""

    def update_x(session: WriteSession) -> None:
        writes.update(session, "x", {"resourceType": "Patient", "id": "x", "gender": "male"})

    store = _write_after_waiting(postgres, update_x)
    try:
        third, second, _ = store.history(HistoryQuery("Patient", "x"))
        assert _stamp(third) > _stamp(second)
        since = store.history(HistoryQuery("Patient", "x", since=second.last_updated))
        assert [version.version for version in since] == [3, 2]
    finally:
        store.close()


def test_a_replaced_version_keeps_its_time_when_the_clock_moved_on(postgres: Database) -> None:
    """Locking Patient/x moves the session's clock past x's newer version; Patient/y, written
    before and then replaced, stays one version with one time, content and row alike."""

    def write_y_x_y(session: WriteSession) -> None:
        writes.update(session, "y", {"resourceType": "Patient", "id": "y"})
        writes.update(session, "x", {"resourceType": "Patient", "id": "x", "gender": "male"})
        writes.update(session, "y", {"resourceType": "Patient", "id": "y", "gender": "male"})

    store = _write_after_waiting(postgres, write_y_x_y)
    try:
        x, y = store.read("Patient", "x"), store.read("Patient", "y")
        assert y is not None and y.version == 1 and b'"male"' in (y.content or b"")
        assert _stamp(y) < _stamp(x)
    finally:
        store.close()
