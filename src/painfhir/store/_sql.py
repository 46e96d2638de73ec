"""The SQL both backends share: statements, the write session, and the read queries.

Statements are written once, with `?` placeholders; a backend's executor adapts them to its
driver. Backends differ only in how they connect, how a write transaction starts and what
it locks — see `_sqlite.py` and `_postgres.py`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import replace
from datetime import datetime, timedelta

from painfhir.search.criteria import SearchCriterion
from painfhir.search.extract import IndexRows
from painfhir.search.query import SearchQuery
from painfhir.store._compartment_exec import run_compartment_search
from painfhir.store._index_sql import delete_index, insert_index
from painfhir.store._model import CompartmentScope, HistoryQuery, SearchPage, StoredVersion
from painfhir.store._rows import CURRENT, VERSION_COLUMNS, Executor, as_version, where_given
from painfhir.store._search_exec import run_search
from painfhir.store._search_sql import where_clause
from painfhir.store._time import instant_text, utc_now

# Resources read ahead per statement: well inside every driver's limit on parameters.
_READ_AHEAD_CHUNK = 200
# The least step between two stamps: `instant_text` keeps microseconds.
_TICK = timedelta(microseconds=1)


class SqlWriteSession:
    """One write transaction. `lock_type` is called before a conditional match, `lock_current`
    says whether reading the current version must lock its row (backends with concurrent
    writers need both; SQLite's single writer needs neither).

    The session remembers the current versions it has read under lock or written: within one
    transaction they cannot change but through it, and a Bundle reads each of its entries'
    targets several times (the entry itself, then the workflow resolving what it links)."""

    def __init__(
        self,
        db: Executor,
        lock_type: Callable[[str], None] = lambda res_type: None,
        lock_current: bool = False,
    ) -> None:
        self._db = db
        self._lock_type = lock_type
        self._lock_current = lock_current
        self._known: dict[tuple[str, str], StoredVersion | None] = {}
        # What this transaction wrote: the version, and the index tables it put rows in.
        self._written: dict[tuple[str, str], StoredVersion] = {}
        self._indexed: dict[tuple[str, str], set[str]] = {}
        self.now: datetime = utc_now()

    def current(self, res_type: str, res_id: str) -> StoredVersion | None:
        key = (res_type, res_id)
        if key not in self._known:
            self._read_current([key])
        return self._known[key]

    def read_ahead(self, keys: Sequence[tuple[str, str]]) -> None:
        wanted = sorted(key for key in set(keys) if key not in self._known)
        for start in range(0, len(wanted), _READ_AHEAD_CHUNK):
            self._read_current(wanted[start : start + _READ_AHEAD_CHUNK])

    def _read_current(self, keys: list[tuple[str, str]]) -> None:
        """The current versions of `keys` (locked where writers run concurrently), into
        `_known`; None for those that do not exist."""
        pairs = ", ".join("(?, ?)" for _ in keys)
        params = [part for key in keys for part in key]
        # A join from the wanted keys, not `(res_type, res_id) IN (VALUES …)`, which SQLite
        # answers by scanning every resource: one primary-key look-up a key.
        wanted = (
            f"WITH wanted (res_type, res_id) AS (VALUES {pairs}) SELECT {{}} FROM wanted w"
            " JOIN resource r ON r.res_type = w.res_type AND r.res_id = w.res_id"
        )
        if self._lock_current:
            # The resource rows alone are locked, then their versions read: a locking
            # statement that joins the version drops the row when, after waiting for another
            # writer, the version it joined is no longer the row's. Sorted before locking
            # (PostgreSQL sorts first), so transactions that share rows lock them in one order.
            locked = self._db.execute(
                wanted.format("r.seq")
                + ' ORDER BY r.res_type COLLATE "C", r.res_id COLLATE "C" FOR UPDATE OF r',
                params,
            ).fetchall()
            seqs = [row[0] for row in locked]
            marks = ", ".join("?" for _ in seqs)
            rows = (
                self._db.execute(
                    f"SELECT {VERSION_COLUMNS} FROM resource_version v WHERE v.seq IN ({marks})",
                    seqs,
                ).fetchall()
                if seqs
                else []
            )
        else:
            rows = self._db.execute(
                wanted.format(VERSION_COLUMNS) + " JOIN resource_version v ON v.seq = r.seq",
                params,
            ).fetchall()
        for key in keys:
            self._known[key] = None
        for row in rows:
            found = as_version(row)
            self._known[(found.res_type, found.res_id)] = found
            self._follow(found)

    def _follow(self, version: StoredVersion) -> None:
        """Move the clock past `version`, which this transaction may supersede.

        A version must never be older than the one it follows (pollers of `_history?_since=`
        or `_lastUpdated=gt` would miss it), but `now` is taken when the session opens, and
        on PostgreSQL a session may then wait for a row another writer stamps and commits
        meanwhile. Taking the time at the first write instead would not do: a transaction
        (its reactions) may lock more rows after that. A transaction that reads its rows
        before it writes — a single write, a Bundle's entries read ahead — keeps one time;
        one that locks a row stamped after its time stamps what it writes from then on later
        (a version it replaces keeps its time: one version, one time)."""
        if version.last_updated >= self.now:
            self.now = max(utc_now(), version.last_updated + _TICK)

    def hold_matches(self, res_types: Iterable[str]) -> None:
        for res_type in sorted(res_types):
            self._lock_type(res_type)

    def match(self, res_type: str, criteria: list[SearchCriterion], limit: int) -> list[str]:
        self._lock_type(res_type)
        where, params = where_clause(res_type, criteria)
        rows = self._db.execute(
            f"SELECT r.res_id FROM resource r WHERE {where} ORDER BY r.res_id LIMIT ?",
            [*params, limit],
        ).fetchall()
        return [row[0] for row in rows]

    def look_up(self, res_type: str, res_id: str) -> StoredVersion | None:
        if not self._lock_current:  # nothing to lock: a read is as good as `current`
            return self.current(res_type, res_id)
        key = (res_type, res_id)
        if key in self._known:
            return self._known[key]
        row = self._db.execute(f"{CURRENT} WHERE r.res_type = ? AND r.res_id = ?", key).fetchone()
        return as_version(row) if row else None

    def find(
        self, res_type: str, criteria: list[SearchCriterion], limit: int
    ) -> list[StoredVersion]:
        where, params = where_clause(res_type, criteria)
        rows = self._db.execute(
            f"{CURRENT} WHERE {where} ORDER BY r.res_id LIMIT ?", [*params, limit]
        ).fetchall()
        return [as_version(row) for row in rows]

    def find_linked(
        self, target: tuple[str, str], links: Sequence[tuple[str, str]], per_type: int
    ) -> list[StoredVersion]:
        tests = " OR ".join("(c.res_type = ? AND c.param = ?)" for _ in links) or "1 = 0"
        params: list[object] = [*target]
        for res_type, param in links:
            params += [res_type, param]
        rows = self._db.execute(
            f"SELECT {VERSION_COLUMNS} FROM (SELECT r.res_type, r.res_id, r.seq, ROW_NUMBER()"
            " OVER (PARTITION BY r.res_type ORDER BY r.res_id) AS n FROM resource r"
            " WHERE NOT r.deleted AND (r.res_type, r.res_id) IN (SELECT c.res_type, c.res_id"
            f" FROM search_reference c WHERE c.target_type = ? AND c.target_id = ? AND ({tests})))"
            " m JOIN resource_version v ON v.seq = m.seq WHERE m.n <= ?"
            " ORDER BY m.res_type, m.res_id",
            [*params, per_type],
        ).fetchall()
        return [as_version(row) for row in rows]

    def version(self, res_type: str, res_id: str, version: int) -> StoredVersion | None:
        row = self._db.execute(
            f"SELECT {VERSION_COLUMNS} FROM resource_version v"
            " WHERE v.res_type = ? AND v.res_id = ? AND v.version = ?",
            (res_type, res_id, version),
        ).fetchone()
        return as_version(row) if row else None

    def search(self, query: SearchQuery) -> SearchPage:
        return run_search(self._db, query)

    def wrote(self, version: StoredVersion) -> bool:
        return self._written.get((version.res_type, version.res_id)) == version

    def put(
        self,
        res_type: str,
        res_id: str,
        version: int,
        method: str,
        content: bytes | None,
        index: IndexRows | None,
    ) -> StoredVersion:
        key = (res_type, res_id)
        earlier = self._written.get(key)
        if earlier is not None and earlier.version == version:
            return self._replace(earlier, content, index)
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
        if version > 1:  # a first version has no index rows to replace
            delete_index(self._db, res_type, res_id)
        self._indexed[key] = insert_index(self._db, res_type, res_id, index) if index else set()
        self._db.execute(
            "INSERT INTO outbox (res_type, res_id, version, method, created_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (res_type, res_id, version, method, stamp),
        )
        stored = StoredVersion(res_type, res_id, version, self.now, method, content, seq)
        self._known[key] = self._written[key] = stored
        return stored

    def _replace(
        self, earlier: StoredVersion, content: bytes | None, index: IndexRows | None
    ) -> StoredVersion:
        """The version this transaction wrote, with new content: its history entry, resource
        row and outbox event stay as they are, and the index rows it had are replaced."""
        assert content is not None and earlier.content is not None, "deletions are versions"
        key = (earlier.res_type, earlier.res_id)
        self._db.execute(
            "UPDATE resource_version SET content = ? WHERE seq = ?", (content, earlier.seq)
        )
        delete_index(self._db, *key, tables=self._indexed[key])
        self._indexed[key] = insert_index(self._db, *key, index) if index else set()
        stored = replace(earlier, content=content)
        self._known[key] = self._written[key] = stored
        return stored


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
            f"SELECT {VERSION_COLUMNS} FROM resource_version v"
            " WHERE v.res_type = ? AND v.res_id = ? AND v.version = ?",
            (res_type, res_id, version),
        )

    def history(self, query: HistoryQuery) -> list[StoredVersion]:
        where, params = where_given(
            [
                ("v.res_type = ?", query.res_type),
                ("v.res_id = ?", query.res_id),
                ("v.last_updated >= ?", instant_text(query.since) if query.since else None),
                ("v.seq < ?", query.before_seq),
            ]
        )
        return self._all(
            f"SELECT {VERSION_COLUMNS} FROM resource_version v WHERE {where}"
            " ORDER BY v.seq DESC LIMIT ?",
            [*params, query.count + 1],
        )

    def search(self, query: SearchQuery) -> SearchPage:
        with self._reader() as db:
            return run_search(db, query)

    def search_compartment(self, scope: CompartmentScope, query: SearchQuery) -> SearchPage:
        with self._reader() as db:
            return run_compartment_search(db, scope, query)


def statements(script: str) -> Iterator[str]:
    """The statements of a migration script: comment lines dropped first (they may hold
    semicolons), then split on semicolons, which no statement holds inside itself."""
    lines = [ln for ln in script.splitlines() if not ln.strip().startswith("--")]
    for statement in "\n".join(lines).split(";"):
        if statement.strip():
            yield statement.strip()
