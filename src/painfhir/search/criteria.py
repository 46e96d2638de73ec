"""A search query as typed criteria: AND across criteria, OR across one criterion's values.

Parameters are parsed here, once, against the R4 search-parameter definitions of the type
searched; the store turns the criteria into SQL in one place (store/_search_sql.py).
Forms understood (https://hl7.org/fhir/R4/search.html):
    name=v1,v2          OR of values;  name=a&name=b  AND
    name:modifier=v     missing, exact, contains, text, not, of-type, identifier, [Type],
                        below / above (uri)
    ref:Type.param=v    chained, any depth;  ref.param=v (every target type that has param)
    _has:Type:ref:param=v   reverse chain, nestable
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qsl

from painfhir.fhir.definitions import RESOURCE_TYPES
from painfhir.fhir.outcome import FhirError
from painfhir.search.config import search_config
from painfhir.search.definitions import SearchParameter, parameters_for
from painfhir.search.normalize import normalize_string
from painfhir.search.values import (
    SearchValue,
    TokenValue,
    parse_date,
    parse_number,
    parse_quantity,
    parse_reference,
    parse_string,
    parse_token,
)

# Parameters on the resource table itself rather than in an index table.
ID, LAST_UPDATED = "_id", "_lastUpdated"
_MODIFIERS = {
    "string": {"exact", "contains"},
    "token": {"text", "not", "of-type"},
    "reference": {"identifier"},
    "uri": {"below", "above"},
    "date": set(),
    "number": set(),
    "quantity": set(),
    "composite": set(),
}


@dataclass(frozen=True, slots=True)
class Criterion:
    param: str  # the index rows' param name (`subject:identifier` for :identifier)
    kind: str  # the parameter type, or "id" / "lastUpdated"
    modifier: str | None
    values: tuple[SearchValue | tuple[SearchValue, ...], ...]  # tuples: composite values


@dataclass(frozen=True, slots=True)
class Missing:
    param: str
    kind: str
    missing: bool


@dataclass(frozen=True, slots=True)
class Chain:
    """`ref.inner`: resources whose reference `param` points at a match of `inner`."""

    param: str
    inner: tuple[tuple[str, SearchCriterion], ...]  # (target type, criterion on that type)


@dataclass(frozen=True, slots=True)
class Has:
    """`_has:Type:ref:inner`: resources that a `Type` matching `inner` refers to by `ref`."""

    source_type: str
    ref_param: str
    inner: SearchCriterion


@dataclass(frozen=True, slots=True)
class Compartment:
    """Resources in `owner_type/owner_id`'s compartment: any of `params` refers to the owner
    ("{def}" means the owner itself, e.g. the Patient in its own compartment)."""

    owner_type: str
    owner_id: str
    params: tuple[str, ...]


SearchCriterion = Criterion | Missing | Chain | Has | Compartment


def _unknown(res_type: str, name: str) -> FhirError:
    return FhirError.of(
        400, "not-supported", f"Search parameter '{name}' is not known for {res_type}"
    )


def _split_values(value: str, separator: str = ",") -> list[str]:
    # `\,` is a literal comma inside one value (likewise `\$` and `\|`).
    parts, current, escaped = [], [], False
    for char in value:
        if escaped:
            current.append(char if char in ",$|\\" else "\\" + char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == separator:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return parts


def _parameter(res_type: str, code: str) -> SearchParameter:
    found = parameters_for(res_type).get(code)
    if found is None:
        raise _unknown(res_type, code)
    return found


def _value(res_type: str, kind: str, code: str, modifier: str | None, text: str) -> SearchValue:
    match kind:
        case "number":
            return parse_number(code, text)
        case "quantity":
            return parse_quantity(code, text)
        case "date" | "lastUpdated":
            return parse_date(code, text)
        case "string":
            return parse_string(text, modifier)
        case "token" | "id":
            return parse_token(text) if kind == "token" else text
        case "reference":
            return parse_reference(text)
        case "uri":
            return text
    raise FhirError.of(400, "not-supported", f"'{code}' ({kind}) cannot be searched on {res_type}")


def _of_type(code: str, text: str) -> TokenValue:
    """`type-system|type-code|value`, matched against rows whose code is `type-code|value`."""
    if text.count("|") != 2 or "" in text.split("|"):
        raise FhirError.of(
            400, "value", f"'{code}:of-type' takes type-system|type-code|value, not '{text}'"
        )
    return parse_token(text)


def _composite(res_type: str, parameter: SearchParameter, text: str) -> tuple[SearchValue, ...]:
    parts = _split_values(text, "$")
    if len(parts) != len(parameter.components):
        raise FhirError.of(
            400, "value", f"'{parameter.code}' takes {len(parameter.components)} values joined by $"
        )
    kinds = [_parameter(res_type, code).type for code, _ in parameter.components]
    return tuple(
        _value(res_type, kind, code, None, part)
        for (code, _), kind, part in zip(parameter.components, kinds, parts, strict=True)
    )


def _plain(res_type: str, code: str, modifier: str | None, text: str) -> SearchCriterion:
    if code == ID:
        kind = "id"
    elif code == LAST_UPDATED:
        kind = "lastUpdated"
    else:
        kind = _parameter(res_type, code).type
    if modifier == "missing":
        if text not in ("true", "false"):
            raise FhirError.of(400, "value", f"'{code}:missing' takes true or false")
        return Missing(code, kind, text == "true")
    if modifier is not None and kind == "reference" and modifier in RESOURCE_TYPES:
        values = [parse_reference(v) for v in _split_values(text) if v]
        typed = tuple(
            type(v)(modifier, v.target_id, v.url) if v.target_type is None else v for v in values
        )
        return Criterion(code, kind, None, typed)
    if modifier is not None and modifier not in _MODIFIERS.get(kind, set()):
        raise FhirError.of(
            400, "not-supported", f"Modifier ':{modifier}' is not supported on '{code}' ({kind})"
        )
    raw = [v for v in _split_values(text) if v]
    if not raw:
        raise FhirError.of(400, "value", f"Search parameter '{code}' has no value")
    if kind == "composite":
        parameter = _parameter(res_type, code)
        return Criterion(code, kind, None, tuple(_composite(res_type, parameter, v) for v in raw))
    if modifier == "identifier":
        return Criterion(f"{code}:identifier", "token", None, tuple(parse_token(v) for v in raw))
    if modifier == "of-type":
        return Criterion(f"{code}:of-type", "token", None, tuple(_of_type(code, v) for v in raw))
    if modifier == "text":
        # Compared with the normalized display / text, as a string search would.
        texts = tuple(TokenValue(None, normalize_string(v)) for v in raw)
        return Criterion(code, kind, modifier, texts)
    return Criterion(
        code, kind, modifier, tuple(_value(res_type, kind, code, modifier, v) for v in raw)
    )


def _chain(res_type: str, head: str, rest: str, value: str) -> Chain:
    code, _, type_modifier = head.partition(":")
    parameter = _parameter(res_type, code)
    if parameter.type != "reference":
        raise FhirError.of(400, "invalid", f"'{code}' is not a reference: it cannot be chained")
    targets = (type_modifier,) if type_modifier else parameter.targets
    inner_code = rest.split(".", 1)[0].split(":", 1)[0]
    inner = []
    for target in targets:
        if inner_code in (ID, LAST_UPDATED) or inner_code in parameters_for(target):
            inner.append((target, parse_criterion(target, rest, value)))
    if not inner:
        raise _unknown(" or ".join(targets), inner_code)
    return Chain(code, tuple(inner))


def _has(res_type: str, name: str, value: str) -> Has:
    pieces = name.split(":", 3)
    if len(pieces) != 4 or pieces[1] not in RESOURCE_TYPES:
        raise FhirError.of(400, "invalid", f"'{name}': write _has:Type:reference:parameter")
    _, source_type, ref_param, rest = pieces
    if _parameter(source_type, ref_param).type != "reference":
        raise FhirError.of(400, "invalid", f"'{source_type}.{ref_param}' is not a reference")
    return Has(source_type, ref_param, parse_criterion(source_type, rest, value))


def parse_criterion(res_type: str, name: str, value: str) -> SearchCriterion:
    """One query parameter (`name=value`) searching `res_type`; FhirError 400 if not valid."""
    if name.startswith("_has:"):
        return _has(res_type, name, value)
    head, dot, rest = name.partition(".")
    if dot:
        return _chain(res_type, head, rest, value)
    code, _, modifier = head.partition(":")
    return _plain(res_type, code, modifier or None, value)


def check_size(items: list[tuple[str, str]]) -> None:
    """Refuse (400) criteria past the server's limits (PAINFHIR_SEARCH_MAX_CRITERIA,
    PAINFHIR_SEARCH_MAX_VALUES): each criterion and value is a condition in one SQL
    statement, and past a few thousand SQLite refuses the statement ("Expression tree is
    too large"), PostgreSQL runs out of bind parameters or plans for minutes."""
    config = search_config()
    if len(items) > config.max_criteria:
        raise FhirError.of(
            400,
            "too-costly",
            f"The search has {len(items)} criteria; this server takes at most"
            f" {config.max_criteria} in one search",
        )
    values = sum(len(_split_values(value)) for _, value in items)
    if values > config.max_values:
        raise FhirError.of(
            400,
            "too-costly",
            f"The search has {values} values; this server takes at most {config.max_values}"
            " in one search, across its criteria",
        )


def parse_criteria(res_type: str, query: str | list[tuple[str, str]]) -> list[SearchCriterion]:
    """Criteria of a conditional request (`identifier=sys|val&_id=x`): every parameter counts.

    Conditional create, update and delete must never ignore a parameter they do not know, or
    they would match far more than the client meant.
    """
    items = parse_qsl(query, keep_blank_values=True) if isinstance(query, str) else query
    if not items:
        raise FhirError.of(400, "invalid", "A conditional request needs search criteria")
    check_size(items)
    return [parse_criterion(res_type, name, value) for name, value in items]
