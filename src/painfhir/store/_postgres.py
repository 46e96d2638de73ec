"""The production store: PostgreSQL, shared by any number of painfhir workers.

Concurrent writers are kept apart by PostgreSQL itself:
- the current row of a resource is read `FOR UPDATE`, so two updates of one resource queue;
- a conditional match first takes a transaction-scoped advisory lock on the resource type,
  so "match, then insert" of conditional creates / updates cannot interleave in any worker;
- two creates of one new id race on the primary key; the loser gets 409 Conflict.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache

import psycopg
from psycopg_pool import ConnectionPool

from painfhir.fhir.outcome import FhirError
from painfhir.store._deliveries import DeliveryQueue
from painfhir.store._message_log import MessageLog
from painfhir.store._migrations import Migration, pending, upgrade
from painfhir.store._rows import Executor, Rows
from painfhir.store._sql import SqlReads, SqlWriteSession, statements

_MIGRATION_LOCK = 0x70616966_6D696772  # any constant: one migrator at a time, cluster-wide


@lru_cache(maxsize=1024)
def _pg_sql(sql: str) -> str:
    return sql.replace("%", "%%").replace("?", "%s")


def _lock_key(name: str) -> int:
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), signed=True)


class _PgExecutor:
    """A psycopg connection behind the sqlite3-shaped `Executor` the shared SQL uses."""

    def __init__(self, connection: psycopg.Connection[tuple[object, ...]]) -> None:
        self._connection = connection

    def execute(self, sql: str, params: Sequence[object] = ()) -> Rows:
        return self._connection.execute(_pg_sql(sql), params)

    def executemany(self, sql: str, rows: Sequence[Sequence[object]]) -> object:
        with self._connection.cursor() as cursor:
            cursor.executemany(_pg_sql(sql), rows)
        return None


class PostgresStore(SqlReads):
    backend = "postgresql"

    def __init__(self, url: str, *, pool_size: int = 10, migrate: bool = True) -> None:
        self._pool = ConnectionPool(
            url, min_size=1, max_size=pool_size, kwargs={"autocommit": True}, open=True
        )
        # The connection of the write session this thread is in, if any: reads made inside a
        # transaction (a Bundle's GET entries) must see its uncommitted changes.
        self._local = threading.local()
        self.messages = MessageLog(self._reader, self._log_writer)
        # workers claiming at once skip each other's rows instead of waiting for them
        self.deliveries = DeliveryQueue(
            self._reader, self._transaction, row_locks=" FOR UPDATE SKIP LOCKED"
        )
        if migrate:
            self.upgrade()

    def upgrade(self) -> list[Migration]:
        with self._pool.connection() as connection:
            connection.execute("SELECT pg_advisory_lock(%s)", (_MIGRATION_LOCK,))
            try:
                self._migrator = connection
                return upgrade(self, self.backend)
            finally:
                connection.execute("SELECT pg_advisory_unlock(%s)", (_MIGRATION_LOCK,))

    def pending_migrations(self) -> list[Migration]:
        with self._pool.connection() as connection:
            self._migrator = connection
            return pending(self, self.backend)

    def applied_migrations(self) -> set[int]:
        self._migrator.execute(
            "CREATE TABLE IF NOT EXISTS schema_migration (number INTEGER PRIMARY KEY,"
            " name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"
        )
        rows = self._migrator.execute("SELECT number FROM schema_migration").fetchall()
        return {int(str(row[0])) for row in rows}

    def apply_migration(self, migration: Migration) -> None:
        with self._migrator.transaction():
            for statement in statements(migration.sql):
                self._migrator.execute(statement)
            self._migrator.execute(
                "INSERT INTO schema_migration (number, name) VALUES (%s, %s)",
                (migration.number, migration.name),
            )

    @contextmanager
    def _reader(self) -> Iterator[Executor]:
        active: Executor | None = getattr(self._local, "active", None)
        if active is not None:
            yield active
            return
        with self._pool.connection() as connection:
            yield _PgExecutor(connection)

    @contextmanager
    def _log_writer(self) -> Iterator[Executor]:
        # A pooled connection is in autocommit mode: each statement of the log commits on
        # its own, outside any write session this thread may be in.
        with self._pool.connection() as connection:
            yield _PgExecutor(connection)

    @contextmanager
    def _transaction(self) -> Iterator[Executor]:
        with self._pool.connection() as connection, connection.transaction():
            yield _PgExecutor(connection)

    @contextmanager
    def write(self) -> Iterator[SqlWriteSession]:
        with self._pool.connection() as connection:
            db = _PgExecutor(connection)

            def lock_type(res_type: str) -> None:
                db.execute("SELECT pg_advisory_xact_lock(?)", (_lock_key(f"match:{res_type}"),))

            try:
                # Pipeline mode: statements whose results nobody reads (index rows, outbox,
                # the resource row) are sent without waiting for each answer; a read syncs.
                with connection.pipeline(), connection.transaction():
                    self._local.active = db
                    yield SqlWriteSession(db, lock_type, lock_current=True)
            except (psycopg.errors.UniqueViolation, psycopg.errors.DeadlockDetected) as exc:
                raise FhirError.of(
                    409, "conflict", "A concurrent write changed the same resource; try again"
                ) from exc
            finally:
                self._local.active = None

    def close(self) -> None:
        self._pool.close()
