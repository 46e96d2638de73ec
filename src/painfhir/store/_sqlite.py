"""The embedded store: one SQLite file in WAL mode.

Writers take SQLite's write lock up front (BEGIN IMMEDIATE), so a conditional create's
"match, then insert" runs with no other writer in between — in this process or any other
on the same file. Reads run concurrently with writes thanks to WAL.

Writes share one connection and commit in groups (`_group_commit.py`); reads use a connection
per thread, except that a thread inside a write reads through the write connection, so it sees
that write's uncommitted changes — which is what a transaction Bundle's GET entries, run after
its writes, must see.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path

from painfhir.store._checkpoints import Checkpointer
from painfhir.store._deliveries import DeliveryQueue
from painfhir.store._group_commit import GroupCommit
from painfhir.store._message_log import MessageLog
from painfhir.store._migrations import Migration, pending, upgrade
from painfhir.store._rows import Executor
from painfhir.store._sql import SqlReads, SqlWriteSession, statements

# Number and quantity index values are Decimals. As text they keep every digit, and the
# NUMERIC columns they go to (and are compared with) turn them into numbers on the way in.
sqlite3.register_adapter(Decimal, str)


class SQLiteStore(SqlReads):
    backend = "sqlite"

    def __init__(self, path: Path, *, migrate: bool = True) -> None:
        self.path = path
        self._local = threading.local()
        # One writer at a time in this process, on one connection, committing in groups:
        # waiting on a lock is cheaper than SQLite's busy-retry sleeps. Other processes are
        # held off by BEGIN IMMEDIATE and busy_timeout.
        self._connections: list[sqlite3.Connection] = []
        self._checkpoints = Checkpointer(self._open)
        self._writes = GroupCommit(self._connect, self._checkpoints.committed)
        self.messages = MessageLog(self._reader, self._log_writer)
        # one writer at a time, so a claim needs no row locks
        self.deliveries = DeliveryQueue(self._reader, self._writes.write)
        if migrate:
            self.upgrade()

    def upgrade(self) -> list[Migration]:
        with self._writes.exclusive():
            return upgrade(self, self.backend)

    def pending_migrations(self) -> list[Migration]:
        return pending(self, self.backend)

    def _open(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        db.execute("PRAGMA busy_timeout = 30000")  # first: switching to WAL may wait too
        db.execute("PRAGMA journal_mode = WAL")
        # NORMAL in WAL mode: a commit survives a crash of the process; only an OS crash or
        # power loss can lose the last commits.
        db.execute("PRAGMA synchronous = NORMAL")
        db.execute("PRAGMA cache_size = -65536")
        db.execute("PRAGMA temp_store = MEMORY")
        db.execute("PRAGMA wal_autocheckpoint = 0")  # the Checkpointer's thread does it
        return db

    def _connect(self) -> sqlite3.Connection:
        db = self._open()
        self._connections.append(db)
        return db

    @property
    def _db(self) -> sqlite3.Connection:
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is None:
            db = self._local.db = self._connect()
        return db

    @contextmanager
    def _reader(self) -> Iterator[Executor]:
        yield self._writes.active or self._db

    @contextmanager
    def _log_writer(self) -> Iterator[Executor]:
        # The connection is in autocommit mode: each statement of the log commits on its own.
        with self._writes.exclusive() as db:
            yield db

    def applied_migrations(self) -> set[int]:
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS schema_migration"
            " (number INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
        )
        return {row[0] for row in self._db.execute("SELECT number FROM schema_migration")}

    def apply_migration(self, migration: Migration) -> None:
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            for statement in statements(migration.sql):
                db.execute(statement)
            db.execute(
                "INSERT INTO schema_migration VALUES (?, ?, datetime('now'))",
                (migration.number, migration.name),
            )
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    @contextmanager
    def write(self) -> Iterator[SqlWriteSession]:
        with self._writes.write() as db:
            yield SqlWriteSession(db)

    def close(self) -> None:
        """Close every thread's connection; the store must not be used afterwards."""
        self._checkpoints.close()
        for db in self._connections:
            db.close()
        self._connections.clear()
