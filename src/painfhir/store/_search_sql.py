"""Search criteria as SQL over the `resource` table and the index tables.

Every search, conditional match, chain and reverse chain is built here — the one place where
per-client access will be enforced. Each criterion becomes `alias.res_id [NOT] IN (subquery)`
over one index table, so the database can drive the search from the most selective index.
Instants compare as text: they are stored as fixed-width UTC strings, which sort as time does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import count

from painfhir.search.criteria import (
    Chain,
    Compartment,
    Criterion,
    Has,
    Missing,
    SearchCriterion,
)
from painfhir.search.dates import DateRange
from painfhir.search.definitions import parameters_for
from painfhir.search.values import (
    NumberValue,
    QuantityValue,
    ReferenceValue,
    SearchValue,
    StringValue,
    TokenValue,
)
from painfhir.store._time import instant_text

Sql = tuple[str, list[object]]

TABLES = {
    "string": "search_string",
    "token": "search_token",
    "date": "search_date",
    "number": "search_number",
    "quantity": "search_quantity",
    "reference": "search_reference",
    "uri": "search_uri",
}


def like_prefix(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"{escaped}%"


def _date(t: str, bound: DateRange) -> Sql:
    """A stored range [low, high) against the search range: `eq` is overlap."""
    low, high = instant_text(bound.low), instant_text(bound.high)
    match bound.prefix:
        case "eq" | "ap":
            return f"({t}.low < ? AND {t}.high > ?)", [high, low]
        case "ne":
            return f"NOT ({t}.low < ? AND {t}.high > ?)", [high, low]
        case "gt":
            return f"{t}.high > ?", [high]
        case "lt":
            return f"{t}.low < ?", [low]
        case "ge":
            return f"{t}.high > ?", [low]
        case "le":
            return f"{t}.low < ?", [high]
        case "sa":
            return f"{t}.low >= ?", [high]
        case "eb":
            return f"{t}.high <= ?", [low]


def _point_in_time(column: str, bound: DateRange) -> Sql:
    """`_lastUpdated`: the stored value is an instant, so a point rather than a range."""
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


def _number(column: str, number: NumberValue) -> Sql:
    # SQLite keeps NUMERIC values as doubles: past 15 significant digits (Synthea writes 17)
    # the bounds of a value's range round onto the value itself, so without `= value` a
    # search for a value exactly as stored would not find it.
    match number.prefix:
        case "eq" | "ap":
            return (
                f"(({column} >= ? AND {column} < ?) OR {column} = ?)",
                [number.low, number.high, number.value],
            )
        case "ne":
            return (
                f"(({column} < ? OR {column} >= ?) AND {column} <> ?)",
                [number.low, number.high, number.value],
            )
        case "gt" | "sa":
            return f"{column} > ?", [number.value]
        case "lt" | "eb":
            return f"{column} < ?", [number.value]
        case "ge":
            return f"{column} >= ?", [number.value]
        case "le":
            return f"{column} <= ?", [number.value]


def _quantity(t: str, quantity: QuantityValue) -> Sql:
    sql, params = _number(f"{t}.value", quantity.number)
    if quantity.system is not None:
        sql += f" AND {t}.system = ?"
        params.append(quantity.system)
    if quantity.code is not None:
        if quantity.system is None:
            sql += f" AND ({t}.code = ? OR {t}.unit = ?)"
            params += [quantity.code, quantity.code]
        else:
            sql += f" AND {t}.code = ?"
            params.append(quantity.code)
    return sql, params


def _token(t: str, token: TokenValue) -> Sql:
    clauses, params = [], []
    if token.code is not None:
        clauses.append(f"{t}.code = ?")
        params.append(token.code)
    if token.system is not None:
        clauses.append(f"{t}.system = ?")
        params.append(token.system)
    return " AND ".join(clauses) or "1 = 1", list(params)


def _reference(t: str, ref: ReferenceValue) -> Sql:
    if ref.target_id is None:
        return f"{t}.url = ?", [ref.url]
    local = f"{t}.target_id = ?"
    params: list[object] = [ref.target_id]
    if ref.target_type is not None:
        local += f" AND {t}.target_type = ?"
        params.append(ref.target_type)
    if ref.url is not None:
        return f"(({local}) OR {t}.url = ?)", [*params, ref.url]
    return local, params


def value_sql(kind: str, modifier: str | None, t: str, value: SearchValue) -> Sql:
    """The condition one value puts on an index row aliased `t`."""
    if isinstance(value, DateRange):
        return _date(t, value)
    if isinstance(value, NumberValue):
        return _number(f"{t}.value", value)
    if isinstance(value, QuantityValue):
        return _quantity(t, value)
    if isinstance(value, TokenValue):
        if modifier == "text":
            return f"{t}.text LIKE ? ESCAPE '\\'", [like_prefix(value.code or "")]
        return _token(t, value)
    if isinstance(value, ReferenceValue):
        return _reference(t, value)
    if isinstance(value, StringValue):
        if modifier == "exact":
            return f"{t}.exact = ?", [value.text]
        pattern = like_prefix(value.text)
        return f"{t}.normalized LIKE ? ESCAPE '\\'", [
            "%" + pattern if modifier == "contains" else pattern
        ]
    # uri: compared case-sensitively, character for character. LIKE alone would not do:
    # SQLite's ignores ASCII case, and a stored `_` or `%` would be a wildcard for :above.
    if modifier == "below":
        return (
            f"{t}.value LIKE ? ESCAPE '\\' AND substr({t}.value, 1, ?) = ?",
            [like_prefix(value), len(value), value],
        )
    if modifier == "above":
        return f"substr(?, 1, length({t}.value)) = {t}.value", [value]
    return f"{t}.value = ?", [value]


@dataclass
class SearchSql:
    """Builds the WHERE clause of one search; aliases are numbered to nest safely."""

    _numbers: count[int] = field(default_factory=lambda: count(1))

    def _alias(self, prefix: str) -> str:
        return f"{prefix}{next(self._numbers)}"

    def where(self, res_type: str, criteria: list[SearchCriterion], r: str = "r") -> Sql:
        """Live resources of one type (alias `r` of `resource`) matching every criterion."""
        clauses = [f"{r}.res_type = ?", f"NOT {r}.deleted"]
        params: list[object] = [res_type]
        for criterion in criteria:
            sql, values = self.criterion(res_type, criterion, r)
            clauses.append(sql)
            params.extend(values)
        return " AND ".join(clauses), params

    def criterion(self, res_type: str, criterion: SearchCriterion, r: str) -> Sql:
        match criterion:
            case Criterion(_, "id", _, values):
                marks = ", ".join("?" for _ in values)
                return f"{r}.res_id IN ({marks})", list(values)
            case Criterion(_, "lastUpdated", _, values):
                parts = [_point_in_time(f"{r}.last_updated", v) for v in values]  # type: ignore[arg-type]
                return _any(parts)
            case Criterion(_, "composite", _, _):
                return self._composite(res_type, criterion, r)
            case Criterion():
                return self._indexed(res_type, criterion, r)
            case Missing(param, kind, missing):
                return self._missing(res_type, param, kind, missing, r)
            case Chain():
                return self._chain(res_type, criterion, r)
            case Has():
                return self._has(res_type, criterion, r)
            case Compartment():
                return self._compartment(res_type, criterion, r)
        raise AssertionError(criterion)

    def _indexed(self, res_type: str, c: Criterion, r: str) -> Sql:
        t = self._alias("t")
        negate = c.modifier == "not"
        modifier = None if negate else c.modifier
        condition, params = _any(
            [value_sql(c.kind, modifier, t, v) for v in c.values]  # type: ignore[arg-type]
        )
        subquery = (
            f"SELECT {t}.res_id FROM {TABLES[c.kind]} {t}"
            f" WHERE {t}.res_type = ? AND {t}.param = ? AND {condition}"
        )
        return (
            f"{r}.res_id {'NOT IN' if negate else 'IN'} ({subquery})",
            [res_type, c.param, *params],
        )

    def _missing(self, res_type: str, param: str, kind: str, missing: bool, r: str) -> Sql:
        if kind in ("id", "lastUpdated"):
            return ("1 = 0" if missing else "1 = 1"), []
        if kind == "composite":
            # A composite value is indexed only whole, as rows of its first component.
            code = parameters_for(res_type)[param].components[0][0]
            table, name = TABLES[parameters_for(res_type)[code].type], f"{param}${code}"
        else:
            table, name = TABLES[kind], param
        t = self._alias("t")
        subquery = f"SELECT {t}.res_id FROM {table} {t} WHERE {t}.res_type = ? AND {t}.param = ?"
        return f"{r}.res_id {'NOT IN' if missing else 'IN'} ({subquery})", [res_type, name]

    def _composite(self, res_type: str, c: Criterion, r: str) -> Sql:
        alternatives = []
        for parts in c.values:
            assert isinstance(parts, tuple)
            alternatives.append(self._composite_value(res_type, c.param, parts, r))
        return _any(alternatives)

    def _composite_value(
        self, res_type: str, param: str, parts: tuple[SearchValue, ...], r: str
    ) -> Sql:
        components = parameters_for(res_type)[param].components
        aliases = [self._alias("c") for _ in parts]
        joins: list[str] = []
        clauses: list[str] = []
        params: list[object] = []
        for index, ((code, _), value, alias) in enumerate(
            zip(components, parts, aliases, strict=True)
        ):
            kind = parameters_for(res_type)[code].type
            table = TABLES[kind]
            if index == 0:
                joins.append(f"{table} {alias}")
            else:
                first = aliases[0]
                joins.append(
                    f"JOIN {table} {alias} ON {alias}.res_type = {first}.res_type"
                    f" AND {alias}.res_id = {first}.res_id AND {alias}.grp = {first}.grp"
                )
            clauses.append(f"{alias}.param = ?")
            params.append(f"{param}${code}")
            sql, values = value_sql(kind, None, alias, value)
            clauses.append(sql)
            params.extend(values)
        first = aliases[0]
        subquery = (
            f"SELECT {first}.res_id FROM {' '.join(joins)} WHERE {first}.res_type = ? AND "
            + " AND ".join(clauses)
        )
        return f"{r}.res_id IN ({subquery})", [res_type, *params]

    def _chain(self, res_type: str, chain: Chain, r: str) -> Sql:
        c = self._alias("c")
        alternatives, params = [], []
        for target, inner in chain.inner:
            r2 = self._alias("r")
            where, inner_params = self.where(target, [inner], r2)
            alternatives.append(
                f"({c}.target_type = ? AND {c}.target_id IN"
                f" (SELECT {r2}.res_id FROM resource {r2} WHERE {where}))"
            )
            params += [target, *inner_params]
        subquery = (
            f"SELECT {c}.res_id FROM search_reference {c} WHERE {c}.res_type = ?"
            f" AND {c}.param = ? AND ({' OR '.join(alternatives)})"
        )
        return f"{r}.res_id IN ({subquery})", [res_type, chain.param, *params]

    def _compartment(self, res_type: str, scope: Compartment, r: str) -> Sql:
        """Resources in the owner's compartment; the owner itself belongs to it."""
        c = self._alias("c")
        alternatives: list[Sql] = []
        params = [p for p in scope.params if p != "{def}"]
        if params:
            marks = ", ".join("?" for _ in params)
            alternatives.append(
                (
                    f"{r}.res_id IN (SELECT {c}.res_id FROM search_reference {c}"
                    f" WHERE {c}.res_type = ? AND {c}.param IN ({marks})"
                    f" AND {c}.target_type = ? AND {c}.target_id = ?)",
                    [res_type, *params, scope.owner_type, scope.owner_id],
                )
            )
        if res_type == scope.owner_type:
            alternatives.append((f"{r}.res_id = ?", [scope.owner_id]))
        return _any(alternatives) if alternatives else ("1 = 0", [])

    def _has(self, res_type: str, has: Has, r: str) -> Sql:
        c, r2 = self._alias("c"), self._alias("r")
        where, inner_params = self.where(has.source_type, [has.inner], r2)
        subquery = (
            f"SELECT {c}.target_id FROM search_reference {c} JOIN resource {r2}"
            f" ON {r2}.res_type = {c}.res_type AND {r2}.res_id = {c}.res_id"
            f" WHERE {c}.param = ? AND {c}.target_type = ? AND {where}"
        )
        return f"{r}.res_id IN ({subquery})", [has.ref_param, res_type, *inner_params]


def _any(parts: list[Sql]) -> Sql:
    if len(parts) == 1:
        return parts[0]
    sql = " OR ".join(f"({part})" for part, _ in parts)
    return f"({sql})", [param for _, values in parts for param in values]


def where_clause(res_type: str, criteria: list[SearchCriterion], r: str = "r") -> Sql:
    return SearchSql().where(res_type, criteria, r)
