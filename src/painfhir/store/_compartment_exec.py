"""`Patient/123/*`: every live resource, of any type, in one owner's compartment.

Membership is read from the reference index in one pass — rows whose (type, parameter) the
compartment definition lists and whose target is the owner — plus the owner itself. Pages are
ordered by (type, id), with the same keyset cursors as a single-type search.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from painfhir.search.query import SearchQuery
from painfhir.store._model import CompartmentScope, SearchPage
from painfhir.store._paging import Cursor, decode_cursor, encode_cursor
from painfhir.store._rows import CURRENT, Executor, as_version
from painfhir.store._search_exec import time_limit
from painfhir.store._search_sql import SearchSql

Sql = tuple[str, list[object]]


def _membership(scope: CompartmentScope) -> Sql:
    pairs = [(t, p) for t, params in scope.members for p in params if p != "{def}"]
    tests = " OR ".join("(c.res_type = ? AND c.param = ?)" for _ in pairs) or "1 = 0"
    sql = (
        "SELECT c.res_type, c.res_id FROM search_reference c"
        f" WHERE c.target_type = ? AND c.target_id = ? AND ({tests})"
    )
    params: list[object] = [scope.owner_type, scope.owner_id]
    for res_type, param in pairs:
        params += [res_type, param]
    if any(t == scope.owner_type for t, _ in scope.members):
        sql += " UNION SELECT ?, ?"  # the owner belongs to its own compartment
        params += [scope.owner_type, scope.owner_id]
    return sql, params


def _where(scope: CompartmentScope, query: SearchQuery) -> Sql:
    members, params = _membership(scope)
    clauses = ["NOT r.deleted", f"(r.res_type, r.res_id) IN ({members})"]
    builder = SearchSql()
    for criterion in query.criteria:  # only _lastUpdated: the one parameter every type has
        sql, values = builder.criterion(scope.owner_type, criterion, "r")
        clauses.append(sql)
        params += values
    return " AND ".join(clauses), params


def _cursor_at(row: Sequence[Any], backward: bool) -> str:
    return encode_cursor(Cursor([row[0]], row[1], backward))


def run_compartment_search(db: Executor, scope: CompartmentScope, query: SearchQuery) -> SearchPage:
    with time_limit(db, query.timeout_seconds):
        return _run_compartment_search(db, scope, query)


def _run_compartment_search(
    db: Executor, scope: CompartmentScope, query: SearchQuery
) -> SearchPage:
    where, params = _where(scope, query)
    cursor = decode_cursor(query.cursor, 1) if query.cursor else None
    backward = cursor is not None and cursor.backward
    if cursor is not None:
        where += f" AND (r.res_type, r.res_id) {'<' if backward else '>'} (?, ?)"
        params += [cursor.sort_values[0], cursor.res_id]
    direction = "DESC" if backward else "ASC"
    rows = db.execute(
        f"{CURRENT} WHERE {where} ORDER BY r.res_type {direction}, r.res_id {direction} LIMIT ?",
        [*params, query.count + 1],
    ).fetchall()
    page, more = rows[: query.count], len(rows) > query.count
    if backward:
        page.reverse()
    more_after = more if not backward else cursor is not None
    more_before = more if backward else cursor is not None
    total = None
    if query.total != "none" or query.summary == "count":
        where_all, params_all = _where(scope, query)
        counted = db.execute(f"SELECT count(*) FROM resource r WHERE {where_all}", params_all)
        total = int(counted.fetchone()[0])
    return SearchPage(
        [as_version(row) for row in page],
        _cursor_at(page[-1], False) if page and more_after else None,
        _cursor_at(page[0], True) if page and more_before else None,
        total,
        [],
    )
