"""Rows as the shared SQL reads them: the version columns and the connection's shape."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

from painfhir.store._model import StoredVersion
from painfhir.store._time import parse_instant

VERSION_COLUMNS = "v.res_type, v.res_id, v.version, v.last_updated, v.method, v.content, v.seq"
CURRENT = f"SELECT {VERSION_COLUMNS} FROM resource r JOIN resource_version v ON v.seq = r.seq"


class Rows(Protocol):
    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...


class Executor(Protocol):
    """A database connection, as the shared SQL uses it (sqlite3's shape)."""

    def execute(self, sql: str, params: Sequence[object] = ()) -> Rows: ...

    def executemany(self, sql: str, rows: Sequence[Sequence[object]]) -> object: ...


def where_given(conditions: Sequence[tuple[str, object | None]]) -> tuple[str, list[object]]:
    """A WHERE condition of the (`column = ?`, value) pairs whose value is given (not None),
    and their parameters; `1 = 1` when none is: the filters of the log and queue searches."""
    given = [(clause, value) for clause, value in conditions if value is not None]
    sql = " AND ".join(clause for clause, _ in given) or "1 = 1"
    return sql, [value for _, value in given]


def optional_bytes(value: Any) -> bytes | None:
    """A BLOB column's value as bytes (PostgreSQL gives a memoryview), or None."""
    return bytes(value) if value is not None else None


def optional_instant(value: Any) -> datetime | None:
    """An instant column's value, or None when it is empty."""
    return parse_instant(value) if value else None


def as_version(row: Sequence[Any]) -> StoredVersion:
    res_type, res_id, version, last_updated, method, content, seq = row
    payload = optional_bytes(content)
    return StoredVersion(
        res_type, res_id, version, parse_instant(last_updated), method, payload, seq
    )
