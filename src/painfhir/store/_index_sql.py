"""Writing a resource's search-index rows, one table per search-parameter type."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from painfhir.search.extract import (
    DateRow,
    IndexRows,
    NumberRow,
    QuantityRow,
    ReferenceRow,
    StringRow,
    TokenRow,
    UriRow,
)
from painfhir.store._combined import PAIRS, pair_param
from painfhir.store._rows import Executor

Row = StringRow | TokenRow | DateRow | NumberRow | QuantityRow | ReferenceRow | UriRow

# row type → (table, columns after res_type/res_id/param, the row's values for them)
_LAYOUT: dict[type[Any], tuple[str, tuple[str, ...], Callable[[Any], tuple[object, ...]]]] = {
    StringRow: ("search_string", ("normalized", "exact"), lambda r: (r.normalized, r.exact)),
    TokenRow: ("search_token", ("system", "code", "text"), lambda r: (r.system, r.code, r.text)),
    DateRow: ("search_date", ("low", "high"), lambda r: (r.low, r.high)),
    NumberRow: ("search_number", ("value",), lambda r: (r.value,)),
    QuantityRow: (
        "search_quantity",
        ("value", "system", "code", "unit"),
        lambda r: (r.value, r.system, r.code, r.unit),
    ),
    ReferenceRow: (
        "search_reference",
        ("target_type", "target_id", "url"),
        lambda r: (r.target_type, r.target_id, r.url),
    ),
    UriRow: ("search_uri", ("value",), lambda r: (r.value,)),
}
_TABLES = sorted({table for table, _, _ in _LAYOUT.values()})
_PAIR_TABLE = "search_token_date"


def delete_index(
    db: Executor, res_type: str, res_id: str, tables: Iterable[str] | None = None
) -> None:
    """Delete a resource's index rows: from every table that may hold some, or from `tables`
    when the caller knows which do."""
    if tables is None:
        tables = [*_TABLES, _PAIR_TABLE] if res_type in PAIRS else _TABLES
    for table in sorted(tables):
        db.execute(f"DELETE FROM {table} WHERE res_type = ? AND res_id = ?", (res_type, res_id))


def _pair_rows(res_type: str, res_id: str, index: IndexRows) -> list[tuple[object, ...]]:
    """One row per (token row with a code, date row) of the type's pair, if it has one."""
    pair = PAIRS.get(res_type)
    if pair is None:
        return []
    token_param, date_param = pair
    codes = sorted({(t.system, t.code) for t in index.tokens if t.param == token_param and t.code})
    dates = sorted({(d.low, d.high) for d in index.dates if d.param == date_param})
    param = pair_param(token_param, date_param)
    return [(res_type, res_id, param, *code, *date) for code in codes for date in dates]


def _plain_rows(index: IndexRows) -> Sequence[Row]:
    return [
        *index.strings,
        *index.tokens,
        *index.dates,
        *index.numbers,
        *index.quantities,
        *index.references,
        *index.uris,
    ]


def insert_index(db: Executor, res_type: str, res_id: str, index: IndexRows) -> set[str]:
    """Insert a resource's index rows; the tables that got some."""
    grouped: dict[type[Any], list[tuple[object, ...]]] = defaultdict(list)
    for row in _plain_rows(index):
        grouped[type(row)].append((res_type, res_id, row.param, *_LAYOUT[type(row)][2](row), 0))
    # The components of one composite value share a group number, so a composite search can
    # demand that both parts come from the same element (the same Observation.component).
    for group, composite in enumerate(index.composites, start=1):
        for part in composite.components:
            values = _LAYOUT[type(part)][2](part)
            param = f"{composite.param}${part.param}"
            grouped[type(part)].append((res_type, res_id, param, *values, group))
    tables = set()
    for row_type, rows in grouped.items():
        table, columns, _ = _LAYOUT[row_type]
        tables.add(table)
        names = ", ".join(("res_type", "res_id", "param", *columns, "grp"))
        marks = ", ".join("?" for _ in range(len(columns) + 4))
        db.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)
    pairs = _pair_rows(res_type, res_id, index)
    if pairs:
        tables.add(_PAIR_TABLE)
        db.executemany(
            f"INSERT INTO {_PAIR_TABLE} (res_type, res_id, param, system, code, low, high)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            pairs,
        )
    return tables
