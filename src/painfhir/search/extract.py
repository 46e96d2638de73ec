"""The search-index rows of a resource: one typed row per value of each of its search parameters.

`index_rows` runs on every write; the store writes its rows in the resource's transaction. Each
parameter's expression is compiled once per resource type (`fhirpath`), and what a node gives
depends on the parameter's type and the node's FHIR type (https://hl7.org/fhir/R4/search.html):
a token parameter on a CodeableConcept gives a row per coding, a date parameter on a Period the
range from its start to its end, and so on. Not indexed, on purpose:

- `_id` and `_lastUpdated`: the store searches its own columns for them.
- `special` parameters (Location `near`): they need a geo index, not rows.
- values that are not of the parameter's kind, which a few R4 expressions reach through a
  choice element: date parameters on free text or an age (`Procedure.performedString`,
  `performedAge`), number and quantity parameters on a Range or SampledData (no single value
  to compare, and R4 says nothing of ranges here), Group `value` on a Quantity, Range or
  Reference (a token component). `INDEXED_NODE_TYPES` says what each kind does index.
- contained references (`#x`): they point into the resource itself.

A reference is to a resource of this server when it is relative or under the base URL
(PAINFHIR_BASE_URL, `search.config`); a reference to another server's is indexed by its
URL only, so it is in no compartment of this server and no `Type/id` search finds it.

Rows are named by their parameter's code, and two kinds of token rows by a modified one:
`{code}:identifier` for the identifier of a Reference (the `:identifier` modifier) and
`{code}:of-type` for an Identifier by its type, with code `type-code|value` (`:of-type`).
A composite's components are named by their own codes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime
from decimal import Decimal
from functools import cache, lru_cache
from itertools import product
from types import MappingProxyType
from typing import Any, NamedTuple

from painfhir.fhir.definitions import RESOURCE_TYPES
from painfhir.search.config import is_absolute, local_target
from painfhir.search.dates import _range_of
from painfhir.search.definitions import SearchParameter, parameters_for
from painfhir.search.fhirpath import Expression, Node, compile_expression
from painfhir.search.normalize import normalize_string

MIN_INSTANT = "0001-01-01T00:00:00.000000Z"
"""The low end of a Period without a start."""
MAX_INSTANT = "9999-12-31T23:59:59.999999Z"
"""The high end of a Period without an end."""
MAX_STRING = 512
"""Characters of a string value that are indexed: a B-tree entry must stay under PostgreSQL's
2704-byte limit, and a longer prefix makes no search more selective."""
CURRENCY_SYSTEM = "urn:iso:std:iso:4217"
_TABLE_COLUMNS = frozenset({"_id", "_lastUpdated"})


class StringRow(NamedTuple):
    param: str
    normalized: str  # normalize_string(exact): what default and :contains searches compare
    exact: str


class TokenRow(NamedTuple):
    param: str  # also `{param}:identifier` (Reference.identifier), `{param}:of-type`
    system: str
    code: str
    text: str  # normalized display / CodeableConcept.text / Identifier.type.text, for :text


class DateRow(NamedTuple):
    param: str
    low: str  # instant_text: the range is [low, high)
    high: str


class NumberRow(NamedTuple):
    param: str
    value: Decimal
    low: Decimal  # the range the stored precision implies; low == high for integers
    high: Decimal


class QuantityRow(NamedTuple):
    param: str
    value: Decimal
    low: Decimal
    high: Decimal
    system: str
    code: str
    unit: str


class ReferenceRow(NamedTuple):
    param: str
    target_type: str  # "" when the reference is not to `Type/id` on this server
    target_id: str
    url: str  # absolute and canonical references as written; "" for relative ones


class UriRow(NamedTuple):
    param: str
    value: str


Row = StringRow | TokenRow | DateRow | NumberRow | QuantityRow | ReferenceRow | UriRow


class CompositeRow(NamedTuple):
    param: str
    components: tuple[Row, ...]  # in the parameter's component order, each with its own code


@dataclass(slots=True)
class IndexRows:
    strings: list[StringRow] = field(default_factory=list)
    tokens: list[TokenRow] = field(default_factory=list)
    dates: list[DateRow] = field(default_factory=list)
    numbers: list[NumberRow] = field(default_factory=list)
    quantities: list[QuantityRow] = field(default_factory=list)
    references: list[ReferenceRow] = field(default_factory=list)
    uris: list[UriRow] = field(default_factory=list)
    composites: list[CompositeRow] = field(default_factory=list)


_ROW_LISTS = tuple(kind.name for kind in fields(IndexRows))
# The list of IndexRows that holds a parameter type's rows.
_ROWS_OF = {
    "string": "strings",
    "token": "tokens",
    "date": "dates",
    "number": "numbers",
    "quantity": "quantities",
    "reference": "references",
    "uri": "uris",
}

_Build = Callable[[str, Any, IndexRows], None]  # (param, node value, where rows go)


# --- strings ---------------------------------------------------------------------------------


def _string(param: str, value: Any, out: IndexRows) -> None:
    if isinstance(value, str) and value:
        text = value[:MAX_STRING]
        out.strings.append(StringRow(param, normalize_string(text), text))


def _string_parts(*keys: str) -> _Build:
    """A datatype searched by several of its strings: HumanName, Address."""

    def build(param: str, value: dict[str, Any], out: IndexRows) -> None:
        for key in keys:
            part = value.get(key)
            for item in part if isinstance(part, list) else (part,):
                _string(param, item, out)

    return build


# --- tokens ----------------------------------------------------------------------------------


def _coding(param: str, value: dict[str, Any], out: IndexRows) -> None:
    system, code, display = value.get("system", ""), value.get("code", ""), value.get("display")
    if system or code or display:
        out.tokens.append(TokenRow(param, system, code, normalize_string(display or "")))


def _codeable_concept(param: str, value: dict[str, Any], out: IndexRows) -> None:
    for coding in value.get("coding", ()):
        _coding(param, coding, out)
    text = value.get("text")
    if text:
        out.tokens.append(TokenRow(param, "", "", normalize_string(text)))


def _identifier_row(param: str, value: dict[str, Any]) -> TokenRow | None:
    system, code = value.get("system", ""), value.get("value", "")
    if not (system or code):
        return None
    type_text = value.get("type", {}).get("text") or ""
    return TokenRow(param, system, code, normalize_string(type_text))


def _identifier(param: str, value: dict[str, Any], out: IndexRows) -> None:
    row = _identifier_row(param, value)
    if row is None:
        return
    out.tokens.append(row)
    # `identifier:of-type=type-system|type-code|value` searches these (code = "type-code|value").
    for coding in value.get("type", {}).get("coding", ()):
        if coding.get("code") and row.code:
            of_type = f"{coding['code']}|{row.code}"
            out.tokens.append(TokenRow(f"{param}:of-type", coding.get("system", ""), of_type, ""))


def _contact_point(param: str, value: dict[str, Any], out: IndexRows) -> None:
    # R4 matches a token on a ContactPoint by its value alone: `system` (phone, email ...)
    # is not a URI, and the phone / email parameters already select by it.
    if value.get("value"):
        out.tokens.append(TokenRow(param, "", value["value"], ""))


def _code(param: str, value: Any, out: IndexRows) -> None:
    # A code's system is implied by its binding, so it is indexed without one.
    if isinstance(value, str) and value:
        out.tokens.append(TokenRow(param, "", value, ""))


def _boolean(param: str, value: Any, out: IndexRows) -> None:
    if isinstance(value, bool):
        out.tokens.append(TokenRow(param, "", "true" if value else "false", ""))


# --- dates -----------------------------------------------------------------------------------


def _instant_text(utc: datetime) -> str:
    """`painfhir.store._time.instant_text` of a UTC datetime (a test holds them equal);
    importing it would import the store package, which imports this module."""
    return utc.replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def _instant_range(value: Any) -> tuple[str, str] | None:
    return _text_range(value) if isinstance(value, str) else None


# The same dates recur across a write's resources and across writes (every version's
# lastUpdated in a transaction, a patient's birth date, a referral's dates in its package).
@lru_cache(maxsize=4096)
def _text_range(value: str) -> tuple[str, str] | None:
    try:
        low, high = _range_of(value)
    except (ValueError, OverflowError):  # not a date (validation's business), or past 9999
        return None
    return _instant_text(low), _instant_text(high)


def _date(param: str, value: Any, out: IndexRows) -> None:
    found = _instant_range(value)
    if found is not None:
        out.dates.append(DateRow(param, *found))


def _period(param: str, value: dict[str, Any], out: IndexRows) -> None:
    start, end = value.get("start"), value.get("end")
    low, high = MIN_INSTANT, MAX_INSTANT  # an open end reaches as far as time does
    if start is not None:
        found = _instant_range(start)
        if found is None:
            return
        low = found[0]
    if end is not None:
        found = _instant_range(end)
        if found is None:
            return
        high = found[1]
    if start is not None or end is not None:
        out.dates.append(DateRow(param, low, high))


def _timing(param: str, value: dict[str, Any], out: IndexRows) -> None:
    for event in value.get("event", ()):
        _date(param, event, out)
    bounds = value.get("repeat", {}).get("boundsPeriod")
    if bounds is not None:
        _period(param, bounds, out)


# --- numbers and quantities ------------------------------------------------------------------


def _precise(value: Any) -> tuple[Decimal, Decimal, Decimal] | None:
    """The value and the range its written precision implies: 100 → [99.5, 100.5),
    1.10 → [1.095, 1.105)."""
    if type(value) is bool or not isinstance(value, int | float | Decimal):
        return None
    # A float (a resource built in Python, not parsed by the codec) by its shortest text.
    number = Decimal(repr(value)) if type(value) is float else Decimal(value)
    exponent = number.as_tuple().exponent
    if not isinstance(exponent, int):
        return None  # NaN or infinity: never valid JSON, so never stored
    half = Decimal(5).scaleb(exponent - 1)
    return number, number - half, number + half


def _decimal(param: str, value: Any, out: IndexRows) -> None:
    found = _precise(value)
    if found is not None:
        out.numbers.append(NumberRow(param, *found))


def _integer(param: str, value: Any, out: IndexRows) -> None:
    # An integer is exact: R4 compares searches against it without any implied range.
    if type(value) is int:
        number = Decimal(value)
        out.numbers.append(NumberRow(param, number, number, number))


def _quantity(param: str, value: dict[str, Any], out: IndexRows) -> None:
    found = _precise(value.get("value"))
    if found is not None:
        system, code, unit = value.get("system", ""), value.get("code", ""), value.get("unit", "")
        out.quantities.append(QuantityRow(param, *found, system, code, unit))


def _money(param: str, value: dict[str, Any], out: IndexRows) -> None:
    found = _precise(value.get("value"))
    if found is not None:
        currency = value.get("currency", "")
        out.quantities.append(QuantityRow(param, *found, CURRENCY_SYSTEM, currency, ""))


# --- references and uris ---------------------------------------------------------------------


def _reference(param: str, value: dict[str, Any], out: IndexRows) -> None:
    text = value.get("reference")
    if isinstance(text, str) and text and not text.startswith("#"):
        # Only a resource of this server is indexed by type and id (found by `Type/id`,
        # compartments, _include, chains); another server's by its URL alone.
        target = local_target(text)
        if target is None:
            out.references.append(ReferenceRow(param, "", "", text))
        else:
            out.references.append(ReferenceRow(param, *target, text if is_absolute(text) else ""))
    identifier = value.get("identifier")
    if identifier is not None:
        row = _identifier_row(f"{param}:identifier", identifier)
        if row is not None:
            out.tokens.append(row)


def _canonical(param: str, value: Any, out: IndexRows) -> None:
    """A canonical or uri reference is searched by URL: `url|version` matches that version,
    the bare URL every version, so a versioned one is indexed both ways."""
    if isinstance(value, str) and value:
        out.references.append(ReferenceRow(param, "", "", value))
        url, bar, _ = value.partition("|")
        if bar:
            out.references.append(ReferenceRow(param, "", "", url))


def _attachment(param: str, value: dict[str, Any], out: IndexRows) -> None:
    _canonical(param, value.get("url"), out)


def _inline_resource(param: str, value: dict[str, Any], out: IndexRows) -> None:
    # Bundle `composition` / `message`: the first entry's resource itself, not a Reference.
    if value.get("id"):
        out.references.append(ReferenceRow(param, value["resourceType"], value["id"], ""))


def _uri(param: str, value: Any, out: IndexRows) -> None:
    if isinstance(value, str) and value:
        out.uris.append(UriRow(param, value))


# --- what each parameter type indexes --------------------------------------------------------

_STRINGS = ("string", "markdown", "code", "id")
_URIS = ("uri", "url", "canonical", "oid", "uuid")
_BUILDERS: dict[str, dict[str, _Build]] = {
    "string": {
        **dict.fromkeys(_STRINGS, _string),
        "HumanName": _string_parts("family", "given", "prefix", "suffix", "text"),
        "Address": _string_parts(
            "line", "city", "district", "state", "postalCode", "country", "text"
        ),
    },
    "token": {
        **dict.fromkeys(_STRINGS + _URIS, _code),
        "boolean": _boolean,
        "Coding": _coding,
        "CodeableConcept": _codeable_concept,
        "Identifier": _identifier,
        "ContactPoint": _contact_point,
    },
    "date": {
        **dict.fromkeys(("date", "dateTime", "instant"), _date),
        "Period": _period,
        "Timing": _timing,
    },
    "number": {
        "decimal": _decimal,
        **dict.fromkeys(("integer", "positiveInt", "unsignedInt"), _integer),
    },
    "quantity": {
        **dict.fromkeys(("Quantity", "Age", "Count", "Distance", "Duration"), _quantity),
        "Money": _money,
    },
    "reference": {
        **dict.fromkeys(_URIS, _canonical),
        "Reference": _reference,
        "Attachment": _attachment,
    },
    "uri": dict.fromkeys(_URIS, _uri),
}

INDEXED_NODE_TYPES: Mapping[str, frozenset[str]] = MappingProxyType(
    {kind: frozenset(builders) for kind, builders in _BUILDERS.items()}
)
"""Parameter type → the FHIR types of the nodes that give rows for it. A reference parameter
also indexes a whole resource of one of its target types (Bundle `composition`)."""


# --- the plan for one resource type ----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Indexed:
    code: str
    kind: str
    expression: Expression
    builders: Mapping[str, _Build]  # node type → builder


@dataclass(frozen=True, slots=True)
class _Composite:
    code: str
    expression: Expression
    components: tuple[_Indexed, ...]  # expressions relative to each composite node


def _builders(parameter: SearchParameter) -> dict[str, _Build]:
    builders = dict(_BUILDERS[parameter.type])
    if parameter.type == "reference":
        builders.update(dict.fromkeys(parameter.targets, _inline_resource))
    return builders


def _composite(res_type: str, parameter: SearchParameter) -> _Composite:
    context = compile_expression(parameter.expression, res_type)
    focus = tuple(sorted(context.result_types))
    params = parameters_for(res_type)
    components = tuple(
        _Indexed(
            code,
            params[code].type,
            compile_expression(expression, res_type, focus),
            _builders(params[code]),
        )
        for code, expression in parameter.components
    )
    return _Composite(parameter.code, context, components)


@cache
def _plan(res_type: str) -> tuple[tuple[_Indexed, ...], tuple[_Composite, ...]]:
    if res_type not in RESOURCE_TYPES:
        raise ValueError(f"{res_type!r} is not an R4 resource type")
    plain, composites = [], []
    for code, parameter in parameters_for(res_type).items():
        if code in _TABLE_COLUMNS or parameter.type == "special":
            continue
        if parameter.type == "composite":
            composites.append(_composite(res_type, parameter))
        else:
            expression = compile_expression(parameter.expression, res_type)
            plain.append(_Indexed(code, parameter.type, expression, _builders(parameter)))
    return tuple(plain), tuple(composites)


# --- extraction ------------------------------------------------------------------------------


def _build(indexed: _Indexed, nodes: list[Node], out: IndexRows) -> None:
    builders = indexed.builders
    for node_type, value in nodes:
        build = builders.get(node_type)
        if build is not None:
            build(indexed.code, value, out)


def _component_rows(component: _Indexed, node: Node, root: Node, scratch: IndexRows) -> list[Row]:
    """The component's own rows (not a reference's `:identifier` tokens nor an identifier's
    `:of-type` ones), built in `scratch`, which is left empty again."""
    _build(component, component.expression.evaluate_on([node], root), scratch)
    name = _ROWS_OF[component.kind]
    built: list[Row] = getattr(scratch, name)
    setattr(scratch, name, [])
    scratch.tokens.clear()
    rows = [row for row in built if row.param == component.code and not _text_only(row)]
    return list(dict.fromkeys(rows))


def _text_only(row: Row) -> bool:
    # A composite value names a code, so a CodeableConcept.text row could never match.
    return isinstance(row, TokenRow) and not (row.system or row.code)


def _composite_rows(
    composite: _Composite, root: Node, scratch: IndexRows
) -> Iterator[CompositeRow]:
    """One row per combination of component values, within each node of the composite."""
    for node in composite.expression.evaluate_on([root], root):
        parts: list[list[Row]] = []
        # The value components come last and are the ones often absent: trying them first
        # skips building the code's rows for an Observation that has no value of that kind.
        for component in reversed(composite.components):
            rows = _component_rows(component, node, root, scratch)
            if not rows:
                break
            parts.append(rows)
        else:
            for combination in product(*reversed(parts)):
                yield CompositeRow(composite.code, combination)


def index_rows(resource: dict[str, Any]) -> IndexRows:
    """The rows of every search parameter of the resource's type, in parameter-code order,
    without duplicates."""
    plain, composites = _plan(resource["resourceType"])
    root: Node = (resource["resourceType"], resource)
    focus = [root]  # shared: evaluation never changes the lists it is given
    out = IndexRows()
    for indexed in plain:
        nodes = indexed.expression.evaluate_on(focus, root)
        if nodes:
            _build(indexed, nodes, out)
    if composites:
        scratch = IndexRows()
        for composite in composites:
            out.composites.extend(_composite_rows(composite, root, scratch))
    for name in _ROW_LISTS:
        rows = getattr(out, name)
        if len(rows) > 1:
            setattr(out, name, list(dict.fromkeys(rows)))
    return out
