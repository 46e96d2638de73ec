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
from painfhir.search.normalize import normalize_string
from painfhir.search.values import (
    NumberValue,
    QuantityValue,
    ReferenceValue,
    SearchValue,
    StringValue,
    TokenValue,
)
from painfhir.store._combined import PAIRS, pair_param
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
    """A stored range [low, high) against the search range, as R4's prefix table reads
    (https://hl7.org/fhir/R4/search.html#prefix): `eq` is "the range of the search value
    fully contains the range of the target value", so `2024-03` finds a time on 5 March, not
    the year 2024 nor a Period over March. `gt` is "the range above the search value
    intersects the range of the target value", `ge` that or `eq`; `lt`, `le` alike below.
    `ap` is overlap with a search range already widened by its margin (`dates`)."""
    low, high = instant_text(bound.low), instant_text(bound.high)
    contained = f"({t}.low >= ? AND {t}.high <= ?)"
    match bound.prefix:
        case "eq":
            return contained, [low, high]
        case "ne":
            return f"NOT {contained}", [low, high]
        case "gt":
            return f"{t}.high > ?", [high]
        case "lt":
            return f"{t}.low < ?", [low]
        case "ge":
            return f"({t}.high > ? OR {contained})", [high, low, high]
        case "le":
            return f"({t}.low < ? OR {contained})", [low, low, high]
        case "sa":
            return f"{t}.low >= ?", [high]
        case "eb":
            return f"{t}.high <= ?", [low]
        case "ap":
            return f"({t}.low < ? AND {t}.high > ?)", [high, low]


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
    """A local resource by its target, whether written relative or under the base URL;
    another server's by its URL (`search.config.local_target`)."""
    if ref.target_id is None:
        return f"{t}.url = ?", [ref.url]
    if ref.target_type is None:
        return f"{t}.target_id = ?", [ref.target_id]
    return f"{t}.target_id = ? AND {t}.target_type = ?", [ref.target_id, ref.target_type]


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
            # the exact text's normalized form leads the index (there is none on `exact`)
            return f"{t}.normalized = ? AND {t}.exact = ?", [
                normalize_string(value.text),
                value.text,
            ]
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


@dataclass(frozen=True, slots=True)
class CodeInWindow:
    """A token criterion and a date criterion on a pair of parameters indexed together
    (`_combined.PAIRS`): matched in `search_token_date` in one range scan."""

    token: Criterion
    date: Criterion


Part = SearchCriterion | CodeInWindow


def _names_codes(c: Criterion) -> bool:
    return (
        c.kind == "token"
        and c.modifier is None
        and all(isinstance(v, TokenValue) and v.code is not None for v in c.values)
    )


def combine(res_type: str, criteria: list[SearchCriterion]) -> list[Part]:
    """The criteria, with one token criterion and one date criterion of a pair replaced by
    their `CodeInWindow`. Pair rows hold only token rows that have a code, so the token
    criterion must name a code in every value."""
    pair = PAIRS.get(res_type)
    if pair is None:
        return list(criteria)
    token_param, date_param = pair
    plain = [c for c in criteria if isinstance(c, Criterion)]
    token = next((c for c in plain if c.param == token_param and _names_codes(c)), None)
    date = next((c for c in plain if c.param == date_param and c.kind == "date"), None)
    if token is None or date is None:
        return list(criteria)
    parts: list[Part] = [CodeInWindow(token, date)]
    parts += [c for c in criteria if c is not token and c is not date]
    return parts


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
        for criterion in combine(res_type, criteria):
            sql, values = self.criterion(res_type, criterion, r)
            clauses.append(sql)
            params.extend(values)
        return " AND ".join(clauses), params

    def criterion(self, res_type: str, criterion: Part, r: str) -> Sql:
        members = self.members(res_type, criterion)
        if members is not None:
            sql, params = members
            return f"{r}.res_id IN ({sql})", params
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
            case Has():
                return self._has(res_type, criterion, r)
            case Compartment():
                return self._compartment(res_type, criterion, r)
        raise AssertionError(criterion)

    def members(self, res_type: str, criterion: Part) -> Sql | None:
        """`SELECT … res_id …` of the resources that match, for the criteria that are such a
        set (None for the others: negations, missing, _id, _lastUpdated, composites,
        _has, compartments)."""
        match criterion:
            case CodeInWindow():
                return self._code_in_window(res_type, criterion)
            case Criterion(_, "id" | "lastUpdated" | "composite", _, _):
                return None
            case Criterion() if criterion.modifier != "not":
                return self._indexed_members(res_type, criterion)
            case Chain():
                return self._chain_members(res_type, criterion)
        return None

    def probe(self, res_type: str, part: Part, r: str) -> Sql | None:
        """`part` checked on the one resource `r` alone — a lookup of its id in the index
        rows of the value — for the criteria `members` gives but chains (None for those)."""
        match part:
            case CodeInWindow():
                sql, params = self._code_in_window(res_type, part, of=r)
            case Criterion(_, "id" | "lastUpdated" | "composite", _, _):
                return None
            case Criterion() if part.modifier != "not":
                sql, params = self._indexed_members(res_type, part, of=r)
            case _:
                return None
        return f"({sql} LIMIT 1) IS NOT NULL", params

    def _indexed_members(self, res_type: str, c: Criterion, of: str | None = None) -> Sql:
        """The resources with a value matching; for `:not`, those it then leaves out.
        With `of`, the probe of that one resource instead."""
        t = self._alias("t")
        modifier = None if c.modifier == "not" else c.modifier
        condition, params = _any(
            [value_sql(c.kind, modifier, t, v) for v in c.values]  # type: ignore[arg-type]
        )
        subquery = (
            f"SELECT {t}.res_id FROM {TABLES[c.kind]} {t}"
            f" WHERE {t}.res_type = ? AND {t}.param = ? AND {condition}"
        )
        if of is not None:
            subquery += f" AND {t}.res_id = {of}.res_id"
        return subquery, [res_type, c.param, *params]

    def _indexed(self, res_type: str, c: Criterion, r: str) -> Sql:
        # Only `:not` gets here: every other modifier is a plain set (`members`).
        subquery, params = self._indexed_members(res_type, c)
        return f"{r}.res_id NOT IN ({subquery})", params

    def _code_in_window(self, res_type: str, c: CodeInWindow, of: str | None = None) -> Sql:
        t = self._alias("t")
        tokens = [value_sql("token", None, t, v) for v in c.token.values]  # type: ignore[arg-type]
        dates = [value_sql("date", None, t, v) for v in c.date.values]  # type: ignore[arg-type]
        (token, token_params), (date, date_params) = _any(tokens), _any(dates)
        subquery = (
            f"SELECT {t}.res_id FROM search_token_date {t}"
            f" WHERE {t}.res_type = ? AND {t}.param = ? AND {token} AND {date}"
        )
        if of is not None:
            subquery += f" AND {t}.res_id = {of}.res_id"
        param = pair_param(c.token.param, c.date.param)
        return subquery, [res_type, param, *token_params, *date_params]

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

    def _chain_members(self, res_type: str, chain: Chain) -> Sql:
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
        return subquery, [res_type, chain.param, *params]

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
    """The parts ORed, as a balanced tree: SQLite refuses an expression deeper than 1000,
    which a chain `a OR b OR …` of a thousand values would be."""
    if len(parts) == 1:
        return parts[0]
    middle = len(parts) // 2
    (left, left_params), (right, right_params) = _any(parts[:middle]), _any(parts[middle:])
    return f"(({left}) OR ({right}))", [*left_params, *right_params]


def where_clause(res_type: str, criteria: list[SearchCriterion], r: str = "r") -> Sql:
    return SearchSql().where(res_type, criteria, r)


def _source_rank(part: Part) -> int | None:
    """How well a criterion leads a page's search (lower first), or None if it cannot. A
    leader comes out of its index in id order, so the search stops when the page is full:
    one code in a window (the pair index is by code, then id), one referenced resource (by
    target, then id), one code (by code, then id). A set in another order — several values,
    a range, a chain — would be read whole and sorted, or, by a planner without statistics
    (SQLite), found by walking the type's whole index in id order: such searches keep the
    plan that starts from `resource`."""
    match part:
        case CodeInWindow(token=Criterion(values=(TokenValue(),))):
            return 0
        case Criterion(_, "reference", None, (ReferenceValue(_, str(), None),)):
            return 1
        case Criterion(_, "token", None, (TokenValue(_, str()),)):
            return 2
    return None


def page_ids(
    res_type: str,
    criteria: list[SearchCriterion],
    *,
    after: str | None,
    backward: bool,
    limit: int,
) -> Sql | None:
    """The ids of one page of a search in id order, read from the index tables alone — or
    None when no criterion can lead it (then the `resource` table must).

    Index rows exist only for live current versions, so the page does not visit `resource`
    until its ids are known. The leading criterion (`_source_rank`) is read from its index
    in id order; every other criterion is a lookup of that one id in its own index (a
    scalar subquery, which no planner turns into a join), so the search stops as soon as
    the page is full and costs what the leading set costs, whatever the size of the store.
    Why not let the planner join: PostgreSQL weighs a merge join that reads a common
    value's whole index range (every completed Task, to check the 14 of one owner) on
    statistics that cannot tell `(Task, status, completed)` from `(Procedure, status,
    completed)`, and psycopg's prepared statements end up on generic plans that know no
    value at all; and the plan that starts from `resource` walks its primary key in id
    order through every resource of the type up to the page's last match.
    """
    builder = SearchSql()
    parts = combine(res_type, criteria)
    if any(isinstance(p, Criterion) and p.kind == "lastUpdated" for p in parts):
        return None  # a column of `resource`: the old plan reads it where it is
    ranked = [(rank, i) for i, p in enumerate(parts) if (rank := _source_rank(p)) is not None]
    if not ranked:
        return None
    source = parts[min(ranked)[1]]
    members = builder.members(res_type, source)
    assert members is not None
    sql, params = members
    clauses: list[str] = []
    for part in parts:
        if part is not source:
            clause, values = builder.probe(res_type, part, "i") or builder.criterion(
                res_type, part, "i"
            )
            clauses.append(clause)
            params += values
    if after is not None:
        clauses.append(f"i.res_id {'<' if backward else '>'} ?")
        params.append(after)
    where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
    direction = "DESC" if backward else "ASC"
    return (
        f"SELECT DISTINCT i.res_id FROM ({sql}) i{where} ORDER BY i.res_id {direction} LIMIT ?",
        [*params, limit],
    )
