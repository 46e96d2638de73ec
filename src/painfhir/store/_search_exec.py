"""Running a search: one page of matches, the `next` cursor, the total, and the _include /
_revinclude resources — all read from one connection, so they agree with each other."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from typing import Any

import psycopg

from painfhir.fhir.outcome import FhirError
from painfhir.search.query import Include, SearchQuery
from painfhir.store._model import SearchPage, StoredVersion
from painfhir.store._paging import (
    Cursor,
    beyond_cursor,
    decode_cursor,
    encode_cursor,
    order_by,
    sort_expression,
)
from painfhir.store._rows import CURRENT, VERSION_COLUMNS, Executor, as_version
from painfhir.store._search_sql import page_ids, where_clause

# Bounds on what one page may pull in through _include:iterate.
MAX_INCLUDE_ROUNDS = 4
MAX_INCLUDED = 1000


def _page_sql(query: SearchQuery, cursor: Cursor | None) -> tuple[str, list[object]]:
    """The page's rows, in the search's order — reversed when `cursor` goes backward."""
    backward = cursor is not None and cursor.backward
    if not query.sort:
        ids = page_ids(
            query.res_type,
            query.criteria,
            after=cursor.res_id if cursor is not None else None,
            backward=backward,
            limit=query.count + 1,
        )
        if ids is not None:
            ids_sql, ids_params = ids
            sql = (
                f"{CURRENT} WHERE r.res_type = ? AND NOT r.deleted AND r.res_id IN ({ids_sql})"
                f" ORDER BY r.res_id {'DESC' if backward else 'ASC'}"
            )
            return sql, [query.res_type, *ids_params]
    where, params = where_clause(query.res_type, query.criteria)
    if not query.sort:
        if cursor is not None:
            where += f" AND r.res_id {'<' if backward else '>'} ?"
            params.append(cursor.res_id)
        direction = "DESC" if backward else "ASC"
        sql = f"{CURRENT} WHERE {where} ORDER BY r.res_id {direction} LIMIT ?"
        return sql, [*params, query.count + 1]
    keys_sql: list[str] = []
    key_params: list[object] = []
    for i, key in enumerate(query.sort):
        expression, expression_params = sort_expression(key)
        keys_sql.append(f"{expression} AS k{i}")
        key_params += expression_params
    inner = (
        f"SELECT r.res_id AS sid, r.seq AS sseq, {', '.join(keys_sql)} FROM resource r"
        f" WHERE {where}"
    )
    flags = ", ".join(
        f"k{i}, CASE WHEN k{i} IS NULL THEN 1 ELSE 0 END AS n{i}" for i in range(len(query.sort))
    )
    keyed = f"SELECT sid, sseq, {flags} FROM ({inner}) s0"
    outer_where, outer_params = "1 = 1", list[object]()
    if cursor is not None:
        outer_where, outer_params = beyond_cursor(query.sort, cursor)
    keys = ", ".join(f"s.k{i}" for i in range(len(query.sort)))
    return (
        f"SELECT {VERSION_COLUMNS}, {keys} FROM ({keyed}) s"
        f" JOIN resource_version v ON v.seq = s.sseq"
        f" WHERE {outer_where} ORDER BY {order_by(query.sort, backward)} LIMIT ?",
        [*key_params, *params, *outer_params, query.count + 1],
    )


def _count(db: Executor, query: SearchQuery) -> int:
    where, params = where_clause(query.res_type, query.criteria)
    return int(db.execute(f"SELECT count(*) FROM resource r WHERE {where}", params).fetchone()[0])


def _marks(values: Iterable[object]) -> str:
    return ", ".join("?" for _ in values)


def read_many(db: Executor, keys: set[tuple[str, str]]) -> list[StoredVersion]:
    """The live current versions of (type, id) pairs, in a stable order."""
    found: list[StoredVersion] = []
    by_type: dict[str, list[str]] = {}
    for res_type, res_id in keys:
        by_type.setdefault(res_type, []).append(res_id)
    for res_type, ids in sorted(by_type.items()):
        rows = db.execute(
            f"{CURRENT} WHERE r.res_type = ? AND NOT r.deleted AND r.res_id IN ({_marks(ids)})"
            " ORDER BY r.res_id",
            [res_type, *ids],
        ).fetchall()
        found += [as_version(row) for row in rows]
    return found


def _included_keys(
    db: Executor, include: Include, reverse: bool, sources: list[StoredVersion]
) -> set[tuple[str, str]]:
    keys: set[tuple[str, str]] = set()
    by_type: dict[str, list[str]] = {}
    for version in sources:
        by_type.setdefault(version.res_type, []).append(version.res_id)
    for res_type, ids in by_type.items():
        clauses = ["r.param = ?"] if include.param != "*" else []
        params: list[object] = [include.param] if include.param != "*" else []
        if reverse:
            if include.source_type != "*":
                clauses.append("r.res_type = ?")
                params.append(include.source_type)
            sql = (
                f"SELECT DISTINCT r.res_type, r.res_id FROM search_reference r WHERE"
                f" r.target_type = ? AND r.target_id IN ({_marks(ids)})"
            )
            params = [res_type, *ids, *params]
        else:
            if include.source_type not in ("*", res_type):
                continue
            if include.target_type is not None:
                clauses.append("r.target_type = ?")
                params.append(include.target_type)
            sql = (
                f"SELECT DISTINCT r.target_type, r.target_id FROM search_reference r WHERE"
                f" r.res_type = ? AND r.target_id <> '' AND r.res_id IN ({_marks(ids)})"
            )
            params = [res_type, *ids, *params]
        where = "".join(f" AND {c}" for c in clauses)
        keys |= {(row[0], row[1]) for row in db.execute(sql + where, params).fetchall()}
    return keys


def _includes(
    db: Executor, query: SearchQuery, matches: list[StoredVersion]
) -> list[StoredVersion]:
    seen = {(v.res_type, v.res_id) for v in matches}
    included: list[StoredVersion] = []
    frontier = matches
    for round_ in range(MAX_INCLUDE_ROUNDS):
        keys: set[tuple[str, str]] = set()
        for reverse, includes in ((False, query.includes), (True, query.revincludes)):
            for include in includes:
                if round_ == 0 or include.iterate:
                    keys |= _included_keys(db, include, reverse, frontier)
        new = keys - seen
        if not new:
            break
        seen |= new
        frontier = read_many(db, new)
        included += frontier
        if len(included) >= MAX_INCLUDED:
            break
    return included[:MAX_INCLUDED]


def _cursor_at(row: Sequence[Any], backward: bool) -> str:
    return encode_cursor(Cursor(list(row[7:]), row[1], backward))


@contextmanager
def time_limit(db: Executor, seconds: float | None) -> Iterator[None]:
    """Stop the search's statements after `seconds` on PostgreSQL (503: the same search may
    pass on a less busy server, so it is no fault of the request's; no Retry-After, since
    retrying at once only adds load). SQLite runs in the server's process, on its own file,
    and has no such setting.

    The setting is the session's, for the statements that follow, then reset: a pooled
    connection is in autocommit, where SET LOCAL would end with its own statement. Inside a
    write transaction (a Bundle's GET entry) a cancelled statement aborts the transaction,
    whose rollback undoes the setting, and the reset cannot run."""
    if seconds is None or isinstance(db, sqlite3.Connection):
        yield
        return
    # at least 1 ms: PostgreSQL reads 0 as no limit at all
    milliseconds = max(1, round(seconds * 1000))
    db.execute("SELECT set_config('statement_timeout', ?, false)", [f"{milliseconds}"])
    try:
        yield
    except psycopg.errors.QueryCanceled as exc:
        raise FhirError.of(
            503,
            "too-costly",
            f"The search ran longer than {seconds:g} s and was stopped; narrow it down"
            " (fewer criteria or values, a more selective one)",
        ) from exc
    finally:
        with suppress(psycopg.Error):
            db.execute("RESET statement_timeout")


def run_search(db: Executor, query: SearchQuery) -> SearchPage:
    with time_limit(db, query.timeout_seconds):
        return _run_search(db, query)


def _run_search(db: Executor, query: SearchQuery) -> SearchPage:
    cursor = decode_cursor(query.cursor, len(query.sort)) if query.cursor else None
    backward = cursor is not None and cursor.backward
    sql, params = _page_sql(query, cursor)
    rows = db.execute(sql, params).fetchall()
    page, more = rows[: query.count], len(rows) > query.count
    if backward:
        page.reverse()
    matches = [as_version(row[:7]) for row in page]
    # More rows past the far end in the reading direction; on the near side, there are
    # rows whenever this page was reached through a cursor.
    more_after = more if not backward else cursor is not None
    more_before = more if backward else cursor is not None
    next_cursor = _cursor_at(page[-1], False) if page and more_after else None
    previous_cursor = _cursor_at(page[0], True) if page and more_before else None
    total = _count(db, query) if query.total != "none" or query.summary == "count" else None
    return SearchPage(matches, next_cursor, previous_cursor, total, _includes(db, query, matches))
