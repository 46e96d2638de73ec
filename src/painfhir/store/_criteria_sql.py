"""Search criteria as one SQL WHERE clause over the `resource` table (aliased `r`).

Every search and every conditional match is built here, which is where per-client access
will be enforced later. Timestamps compare as text: they are stored as fixed-width UTC
ISO-8601 strings, which sort chronologically.
"""

from __future__ import annotations

from painfhir.search.criteria import (
    Criterion,
    IdCriterion,
    LastUpdatedCriterion,
    TokenCriterion,
    TokenValue,
)
from painfhir.search.dates import DateRange
from painfhir.store._time import instant_text

Sql = tuple[str, list[object]]


def _date_range_sql(column: str, bound: DateRange) -> Sql:
    low, high = instant_text(bound.low), instant_text(bound.high)
    match bound.prefix:
        case "eq" | "ap":
            return f"({column} >= ? AND {column} < ?)", [low, high]
        case "ne":
            return f"({column} < ? OR {column} >= ?)", [low, high]
        case "gt" | "sa":
            return f"{column} >= ?", [high]
        case "lt" | "eb":
            return f"{column} < ?", [low]
        case "ge":
            return f"{column} >= ?", [low]
        case "le":
            return f"{column} < ?", [high]


def _token_sql(param: str, value: TokenValue) -> Sql:
    clauses, params = ["t.param = ?"], [param]
    if value.code is not None:
        clauses.append("t.code = ?")
        params.append(value.code)
    if value.system is not None:
        clauses.append("t.system = ?")
        params.append(value.system)
    where = " AND ".join(clauses)
    return (
        "EXISTS (SELECT 1 FROM search_token t WHERE t.res_type = r.res_type"
        f" AND t.res_id = r.res_id AND {where})",
        list(params),
    )


def _any_of(parts: list[Sql]) -> Sql:
    sql = " OR ".join(part for part, _ in parts)
    return f"({sql})", [param for _, values in parts for param in values]


def _criterion_sql(criterion: Criterion) -> Sql:
    match criterion:
        case IdCriterion(ids):
            marks = ", ".join("?" for _ in ids)
            return f"r.res_id IN ({marks})", list(ids)
        case LastUpdatedCriterion(ranges):
            return _any_of([_date_range_sql("r.last_updated", bound) for bound in ranges])
        case TokenCriterion(param, values):
            return _any_of([_token_sql(param, value) for value in values])


def where_clause(res_type: str, criteria: list[Criterion]) -> Sql:
    """Live resources of one type matching every criterion."""
    clauses = ["r.res_type = ?", "NOT r.deleted"]
    params: list[object] = [res_type]
    for criterion in criteria:
        sql, values = _criterion_sql(criterion)
        clauses.append(sql)
        params.extend(values)
    return " AND ".join(clauses), params
