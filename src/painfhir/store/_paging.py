"""Ordering and keyset paging of search results.

A page's `next` cursor holds the sort values and id of its last row; the next page starts
strictly after them. A `previous` cursor holds those of its first row, and that page is read
in the reverse order, strictly before them. Unlike an offset, this neither repeats nor skips
a resource when others are created or deleted between pages. Missing sort values sort last
in both directions.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import orjson

from painfhir.fhir.outcome import FhirError
from painfhir.search.query import SortKey
from painfhir.store._search_sql import TABLES

Sql = tuple[str, list[object]]

# The per-resource sort value of each parameter type: the lowest value ascending, the highest
# descending (https://hl7.org/fhir/R4/search.html#sort).
_SORT_COLUMN = {
    "string": ("normalized", "normalized"),
    "token": ("code", "code"),
    "date": ("low", "high"),
    "number": ("value", "value"),
    "quantity": ("value", "value"),
    "reference": ("target_id", "target_id"),
    "uri": ("value", "value"),
}


def sort_expression(key: SortKey, r: str = "r") -> Sql:
    if key.kind == "id":
        return f"{r}.res_id", []
    if key.kind == "lastUpdated":
        return f"{r}.last_updated", []
    ascending, descending = _SORT_COLUMN[key.kind]
    column, aggregate = (descending, "MAX") if key.descending else (ascending, "MIN")
    # A CodeableConcept's text is a token row without a code: it has no code to sort by.
    no_text = " AND s.code <> ''" if key.kind == "token" else ""
    sql = (
        f"(SELECT {aggregate}(s.{column}) FROM {TABLES[key.kind]} s WHERE s.res_type = {r}.res_type"
        f" AND s.res_id = {r}.res_id AND s.param = ?{no_text})"
    )
    return sql, [key.param]


def order_by(keys: list[SortKey], backward: bool = False) -> str:
    """ORDER BY over the `k<i>` / `n<i>` / `sid` columns of a sorted search's inner query;
    `backward` is the exact reverse, for a `previous` page."""
    flip = {"ASC": "DESC", "DESC": "ASC"}
    parts = []
    for i, key in enumerate(keys):
        direction = "DESC" if key.descending else "ASC"
        parts += [f"n{i}", f"k{i} {direction}"]
    parts.append("sid")
    if not backward:
        return ", ".join(parts)
    flipped = []
    for part in parts:
        column, _, direction = part.partition(" ")
        flipped.append(f"{column} {flip[direction or 'ASC']}")
    return ", ".join(flipped)


@dataclass(frozen=True, slots=True)
class Cursor:
    """Where a page starts: strictly after (or, `backward`, strictly before) a row's sort
    values and id."""

    sort_values: list[Any]
    res_id: str
    backward: bool = False


def _encode_value(value: Any) -> Any:
    return {"d": str(value)} if isinstance(value, Decimal) else value


def _decode_value(value: Any) -> Any:
    return Decimal(value["d"]) if isinstance(value, dict) else value


def encode_cursor(cursor: Cursor) -> str:
    values = [_encode_value(v) for v in cursor.sort_values]
    raw = orjson.dumps([values, cursor.res_id, cursor.backward])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(text: str, keys: int) -> Cursor:
    try:
        values, res_id, backward = orjson.loads(
            base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        )
        if len(values) != keys or not isinstance(res_id, str) or not isinstance(backward, bool):
            raise ValueError(text)
    except (ValueError, TypeError) as exc:
        raise FhirError.of(400, "value", "_cursor is not one this search handed out") from exc
    return Cursor([_decode_value(v) for v in values], res_id, backward)


def beyond_cursor(keys: list[SortKey], cursor: Cursor) -> Sql:
    """Rows strictly after the cursor in the order of `order_by(keys)` — or strictly before
    it when the cursor goes backward."""
    back = cursor.backward
    alternatives: list[str] = []
    params: list[object] = []
    equal_so_far: list[str] = []
    equal_params: list[object] = []
    for i, (key, value) in enumerate(zip(keys, cursor.sort_values, strict=True)):
        null = 1 if value is None else 0
        beyond = f"n{i} {'<' if back else '>'} ?"
        beyond_params: list[object] = [null]
        if value is not None:
            later = "<" if key.descending != back else ">"
            beyond = f"({beyond} OR (n{i} = 0 AND k{i} {later} ?))"
            beyond_params.append(value)
        alternatives.append(" AND ".join([*equal_so_far, beyond]))
        params += [*equal_params, *beyond_params]
        equal_so_far.append(f"n{i} = ?" if value is None else f"(n{i} = 0 AND k{i} = ?)")
        equal_params.append(1 if value is None else value)
    alternatives.append(" AND ".join([*equal_so_far, f"sid {'<' if back else '>'} ?"]))
    params += [*equal_params, cursor.res_id]
    return " OR ".join(f"({a})" for a in alternatives), params
