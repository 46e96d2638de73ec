"""The embedded store: one SQLite file in WAL mode.

Writers take SQLite's write lock up front (BEGIN IMMEDIATE), so a conditional create's
"match, then insert" runs with no other writer in between — in this process or any other
on the same file. Reads run concurrently with writes thanks to WAL.

Each thread has its own connection, so a read made on the thread that holds a write session
sees that session's uncommitted changes — which is what a transaction Bundle's GET entries,
run after its writes, must see.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from painfhir.search.criteria import Criterion
from painfhir.search.index import TokenRow
from painfhir.store._criteria_sql import where_clause
from painfhir.store._model import HistoryQuery, StoredVersion
from painfhir.store._time import instant_text, parse_instant, utc_now

SCHEMA_VERSION = 1

SCHEMA = """
CREATE TABLE IF NOT EXISTS resource_version (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    res_type     TEXT NOT NULL,
    res_id       TEXT NOT NULL,
    version      INTEGER NOT NULL,
    last_updated TEXT NOT NULL,
    method       TEXT NOT NULL,
    content      BLOB,
    UNIQUE (res_type, res_id, version)
);
CREATE INDEX IF NOT EXISTS resource_version_by_type ON resource_version (res_type, seq);

CREATE TABLE IF NOT EXISTS resource (
    res_type     TEXT NOT NULL,
    res_id       TEXT NOT NULL,
    version      INTEGER NOT NULL,
    seq          INTEGER NOT NULL,
    last_updated TEXT NOT NULL,
    deleted      INTEGER NOT NULL,
    PRIMARY KEY (res_type, res_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS resource_by_updated ON resource (res_type, last_updated);

CREATE TABLE IF NOT EXISTS search_token (
    res_type TEXT NOT NULL,
    res_id   TEXT NOT NULL,
    param    TEXT NOT NULL,
    system   TEXT NOT NULL,
    code     TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS search_token_by_value ON search_token (res_type, param, code, system);
CREATE INDEX IF NOT EXISTS search_token_by_resource ON search_token (res_type, res_id);

CREATE TABLE IF NOT EXISTS outbox (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    res_type     TEXT NOT NULL,
    res_id       TEXT NOT NULL,
    version      INTEGER NOT NULL,
    method       TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    delivered_at TEXT
);
"""

_VERSION_COLUMNS = "v.res_type, v.res_id, v.version, v.last_updated, v.method, v.content, v.seq"
_CURRENT = f"SELECT {_VERSION_COLUMNS} FROM resource r JOIN resource_version v ON v.seq = r.seq"

VersionRow = tuple[str, str, int, str, str, bytes | None, int]


def _version(row: VersionRow) -> StoredVersion:
    res_type, res_id, version, last_updated, method, content, seq = row
    return StoredVersion(
        res_type, res_id, version, parse_instant(last_updated), method, content, seq
    )


class SQLiteWriteSession:
    """A BEGIN IMMEDIATE transaction on one connection."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._db = connection
        self.now: datetime = utc_now()

    def current(self, res_type: str, res_id: str) -> StoredVersion | None:
        row = self._db.execute(
            f"{_CURRENT} WHERE r.res_type = ? AND r.res_id = ?", (res_type, res_id)
        ).fetchone()
        return _version(row) if row else None

    def match(self, res_type: str, criteria: list[Criterion], limit: int) -> list[str]:
        where, params = where_clause(res_type, criteria)
        rows = self._db.execute(
            f"SELECT r.res_id FROM resource r WHERE {where} LIMIT ?", [*params, limit]
        ).fetchall()
        return [row[0] for row in rows]

    def put(
        self,
        res_type: str,
        res_id: str,
        version: int,
        method: str,
        content: bytes | None,
        tokens: list[TokenRow],
    ) -> StoredVersion:
        stamp = instant_text(self.now)
        seq = self._db.execute(
            "INSERT INTO resource_version (res_type, res_id, version, last_updated, method,"
            " content) VALUES (?, ?, ?, ?, ?, ?) RETURNING seq",
            (res_type, res_id, version, stamp, method, content),
        ).fetchone()[0]
        self._db.execute(
            "INSERT INTO resource (res_type, res_id, version, seq, last_updated, deleted)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (res_type, res_id) DO UPDATE SET"
            " version = excluded.version, seq = excluded.seq,"
            " last_updated = excluded.last_updated, deleted = excluded.deleted",
            (res_type, res_id, version, seq, stamp, content is None),
        )
        self._db.execute(
            "DELETE FROM search_token WHERE res_type = ? AND res_id = ?", (res_type, res_id)
        )
        if tokens:
            self._db.executemany(
                "INSERT INTO search_token (res_type, res_id, param, system, code)"
                " VALUES (?, ?, ?, ?, ?)",
                [(res_type, res_id, *token) for token in tokens],
            )
        self._db.execute(
            "INSERT INTO outbox (res_type, res_id, version, method, created_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (res_type, res_id, version, method, stamp),
        )
        return StoredVersion(res_type, res_id, version, self.now, method, content, seq)


class SQLiteStore:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()
        # One writer at a time in this process: waiting on a lock is cheaper than SQLite's
        # busy-retry sleeps. Other processes are held off by BEGIN IMMEDIATE and busy_timeout.
        self._write_lock = threading.Lock()
        self._connections: list[sqlite3.Connection] = []
        self._migrate()

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        db.execute("PRAGMA journal_mode = WAL")
        # NORMAL in WAL mode: a commit survives a crash of the process; only an OS crash or
        # power loss can lose the last commits.
        db.execute("PRAGMA synchronous = NORMAL")
        db.execute("PRAGMA busy_timeout = 30000")
        db.execute("PRAGMA cache_size = -65536")
        self._connections.append(db)
        return db

    @property
    def _db(self) -> sqlite3.Connection:
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is None:
            db = self._local.db = self._connect()
        return db

    def _migrate(self) -> None:
        with self._write_lock:
            db = self._db
            (found,) = db.execute("PRAGMA user_version").fetchone()
            if found > SCHEMA_VERSION:
                raise RuntimeError(
                    f"{self.path} has schema version {found}; this painfhir knows "
                    f"{SCHEMA_VERSION}: upgrade painfhir"
                )
            db.executescript(SCHEMA)
            db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def read(self, res_type: str, res_id: str) -> StoredVersion | None:
        row = self._db.execute(
            f"{_CURRENT} WHERE r.res_type = ? AND r.res_id = ?", (res_type, res_id)
        ).fetchone()
        return _version(row) if row else None

    def read_version(self, res_type: str, res_id: str, version: int) -> StoredVersion | None:
        row = self._db.execute(
            f"SELECT {_VERSION_COLUMNS} FROM resource_version v"
            " WHERE v.res_type = ? AND v.res_id = ? AND v.version = ?",
            (res_type, res_id, version),
        ).fetchone()
        return _version(row) if row else None

    def history(self, query: HistoryQuery) -> list[StoredVersion]:
        clauses: list[str] = ["1 = 1"]
        params: list[object] = []
        if query.res_type is not None:
            clauses.append("v.res_type = ?")
            params.append(query.res_type)
        if query.res_id is not None:
            clauses.append("v.res_id = ?")
            params.append(query.res_id)
        if query.since is not None:
            clauses.append("v.last_updated >= ?")
            params.append(instant_text(query.since))
        if query.before_seq is not None:
            clauses.append("v.seq < ?")
            params.append(query.before_seq)
        rows = self._db.execute(
            f"SELECT {_VERSION_COLUMNS} FROM resource_version v WHERE {' AND '.join(clauses)}"
            " ORDER BY v.seq DESC LIMIT ?",
            [*params, query.count + 1],
        ).fetchall()
        return [_version(row) for row in rows]

    def search(
        self, res_type: str, criteria: list[Criterion], count: int, after_id: str | None
    ) -> list[StoredVersion]:
        where, params = where_clause(res_type, criteria)
        if after_id is not None:
            where += " AND r.res_id > ?"
            params.append(after_id)
        rows = self._db.execute(
            f"{_CURRENT} WHERE {where} ORDER BY r.res_id LIMIT ?", [*params, count + 1]
        ).fetchall()
        return [_version(row) for row in rows]

    @contextmanager
    def write(self) -> Iterator[SQLiteWriteSession]:
        with self._write_lock:
            db = self._db
            db.execute("BEGIN IMMEDIATE")
            try:
                yield SQLiteWriteSession(db)
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    def close(self) -> None:
        """Close every thread's connection; the store must not be used afterwards."""
        for db in self._connections:
            db.close()
        self._connections.clear()
