"""The SQL both backends share: statements, the write session, and the read queries.

Statements are written once, with `?` placeholders; a backend's executor adapts them to its
driver. Backends differ only in how they connect, how a write transaction starts and what
it locks — see `_sqlite.py` and `_postgres.py`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any, Protocol

from painfhir.search.criteria import Criterion
from painfhir.search.index import TokenRow
from painfhir.store._criteria_sql import where_clause
from painfhir.store._model import HistoryQuery, StoredVersion
from painfhir.store._time import instant_text, parse_instant, utc_now

_VERSION_COLUMNS = "v.res_type, v.res_id, v.version, v.last_updated, v.method, v.content, v.seq"
CURRENT = f"SELECT {_VERSION_COLUMNS} FROM resource r JOIN resource_version v ON v.seq = r.seq"


class Rows(Protocol):
    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...


class Executor(Protocol):
    """A database connection, as the shared SQL uses it (sqlite3's shape)."""

    def execute(self, sql: str, params: Sequence[object] = ()) -> Rows: ...

    def executemany(self, sql: str, rows: Sequence[Sequence[object]]) -> object: ...


def as_version(row: Sequence[Any]) -> StoredVersion:
    res_type, res_id, version, last_updated, method, content, seq = row
    payload = bytes(content) if content is not None else None  # PostgreSQL gives memoryview
    return StoredVersion(
        res_type, res_id, version, parse_instant(last_updated), method, payload, seq
    )


class SqlWriteSession:
    """One write transaction. `lock_type` is called before a conditional match, `lock_current`
    says whether reading the current version must lock its row (backends with concurrent
    writers need both; SQLite's single writer needs neither)."""

    def __init__(
        self,
        db: Executor,
        lock_type: Callable[[str], None] = lambda res_type: None,
        lock_current: bool = False,
    ) -> None:
        self._db = db
        self._lock_type = lock_type
        self._current_sql = f"{CURRENT} WHERE r.res_type = ? AND r.res_id = ?" + (
            " FOR UPDATE OF r" if lock_current else ""
        )
        self.now: datetime = utc_now()

    def current(self, res_type: str, res_id: str) -> StoredVersion | None:
        row = self._db.execute(self._current_sql, (res_type, res_id)).fetchone()
        return as_version(row) if row else None

    def match(self, res_type: str, criteria: list[Criterion], limit: int) -> list[str]:
        self._lock_type(res_type)
        where, params = where_clause(res_type, criteria)
        rows = self._db.execute(
            f"SELECT r.res_id FROM resource r WHERE {where} ORDER BY r.res_id LIMIT ?",
            [*params, limit],
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


class SqlReads:
    """The read side of a store; `_reader()` lends a connection for one query."""

    def _reader(self) -> AbstractContextManager[Executor]:
        raise NotImplementedError

    def _one(self, sql: str, params: Sequence[object]) -> StoredVersion | None:
        with self._reader() as db:
            row = db.execute(sql, params).fetchone()
        return as_version(row) if row else None

    def _all(self, sql: str, params: Sequence[object]) -> list[StoredVersion]:
        with self._reader() as db:
            rows = db.execute(sql, params).fetchall()
        return [as_version(row) for row in rows]

    def read(self, res_type: str, res_id: str) -> StoredVersion | None:
        return self._one(f"{CURRENT} WHERE r.res_type = ? AND r.res_id = ?", (res_type, res_id))

    def read_version(self, res_type: str, res_id: str, version: int) -> StoredVersion | None:
        return self._one(
            f"SELECT {_VERSION_COLUMNS} FROM resource_version v"
            " WHERE v.res_type = ? AND v.res_id = ? AND v.version = ?",
            (res_type, res_id, version),
        )

    def history(self, query: HistoryQuery) -> list[StoredVersion]:
        clauses: list[str] = ["1 = 1"]
        params: list[object] = []
        for column, value in (
            ("v.res_type = ?", query.res_type),
            ("v.res_id = ?", query.res_id),
            ("v.last_updated >= ?", instant_text(query.since) if query.since else None),
            ("v.seq < ?", query.before_seq),
        ):
            if value is not None:
                clauses.append(column)
                params.append(value)
        return self._all(
            f"SELECT {_VERSION_COLUMNS} FROM resource_version v WHERE {' AND '.join(clauses)}"
            " ORDER BY v.seq DESC LIMIT ?",
            [*params, query.count + 1],
        )

    def search(
        self, res_type: str, criteria: list[Criterion], count: int, after_id: str | None
    ) -> list[StoredVersion]:
        where, params = where_clause(res_type, criteria)
        if after_id is not None:
            where += " AND r.res_id > ?"
            params.append(after_id)
        return self._all(f"{CURRENT} WHERE {where} ORDER BY r.res_id LIMIT ?", [*params, count + 1])


def statements(script: str) -> Iterator[str]:
    """The statements of a migration script (no semicolons inside statements)."""
    for statement in script.split(";"):
        lines = [ln for ln in statement.splitlines() if not ln.strip().startswith("--")]
        if "".join(lines).strip():
            yield "\n".join(lines)
