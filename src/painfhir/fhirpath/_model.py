"""The bridge between FHIRPath and FHIR JSON: typed nodes, navigation, the type hierarchy.

A FHIR element in a collection is a node, the tuple `(type, value, extras)`:

    ("Quantity", {"value": 7, "unit": "mg"}, None)
    ("code", "final", None)                       # a primitive: its JSON value ...
    ("date", None, {"extension": [...]})          # ... and its `_x` object, if any
    ("Patient", {...}, None)                      # a resource: its resourceType

`type` is a FHIR type, a resource type or the path of a backbone element ("Timing.repeat", the
keys of `painfhir.fhir.definitions.TYPES`). Tuples rather than objects, because navigation makes
one per element visited and a tuple costs a fifth of an instance. Everything else in a
collection is a FHIRPath System value: bool, int, Decimal, str, Temporal, Quantity.

Navigation follows the structure model, so `Observation.value` finds `valueQuantity` with its
type, and a primitive's `id` and `extension` are read from its `_x` object.
"""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache
from typing import Any, NamedTuple

from painfhir.fhir.definitions import ANY_RESOURCE, PRIMITIVES, RESOURCE_TYPES, TYPES
from painfhir.fhirpath._quantity import Quantity, from_fhir
from painfhir.fhirpath._temporal import parse_date, parse_date_time, parse_time

Node = tuple[str, Any, Any]

COMPLEX, PRIMITIVE, RESOURCE = 0, 1, 2


class Child(NamedTuple):
    """An element a type has: its JSON member, the member with a primitive's extras, its type."""

    key: str
    extras_key: str
    type: str
    kind: int


PRIMITIVE_TYPES = frozenset(PRIMITIVES)
QUANTITY_TYPES = frozenset(
    {"Quantity", "Age", "Count", "Distance", "Duration", "MoneyQuantity", "SimpleQuantity"}
)
# R4 datatypes derived from BackboneElement rather than Element.
_BACKBONE_DATATYPES = frozenset(
    {
        "Timing", "Dosage", "ElementDefinition", "MarketingStatus", "Population",
        "ProdCharacteristic", "ProductShelfLife", "SubstanceAmount",
    }
)  # fmt: skip
_NOT_DOMAIN_RESOURCES = frozenset({"Bundle", "Binary", "Parameters"})
_PRIMITIVE_PARENTS = {
    "code": "string", "id": "string", "markdown": "string",
    "url": "uri", "canonical": "uri", "oid": "uri", "uuid": "uri",
    "positiveInt": "integer", "unsignedInt": "integer",
}  # fmt: skip
_CONVERTED = frozenset(
    {"boolean", "integer", "positiveInt", "unsignedInt", "decimal", "date", "dateTime"}
    | {"instant", "time"}
)
_ABSTRACT_TYPES = frozenset({"Resource", "DomainResource", "Element", "BackboneElement"})
FHIR_TYPE_NAMES = (
    frozenset(key for key in TYPES if "." not in key)
    | PRIMITIVE_TYPES
    | _ABSTRACT_TYPES
    | QUANTITY_TYPES
)
SYSTEM_TYPE_NAMES = frozenset(
    {"Boolean", "String", "Integer", "Decimal", "Date", "DateTime", "Time", "Quantity"}
)
STRING_TYPES = frozenset(name for name in PRIMITIVE_TYPES if name not in _CONVERTED)
"""The primitives whose JSON string is their FHIRPath value as it is (not dates or times)."""
# The System type a FHIR primitive's value is, for `is`/`as` with a System type and for
# comparisons (a `code` compares as a String, an `instant` as a DateTime).
SYSTEM_TYPE_OF = {name: "String" for name in PRIMITIVE_TYPES} | {
    "boolean": "Boolean", "integer": "Integer", "positiveInt": "Integer",
    "unsignedInt": "Integer", "decimal": "Decimal", "date": "Date", "dateTime": "DateTime",
    "instant": "DateTime", "time": "Time",
} | {name: "Quantity" for name in QUANTITY_TYPES}  # fmt: skip


def _children_by_name() -> tuple[
    dict[str, dict[str, tuple[Child, ...]]], dict[str, dict[str, Child]]
]:
    """Per type: FHIRPath name -> the elements it selects (a choice name selects each of its
    typed members), and JSON member -> element."""
    by_name: dict[str, dict[str, tuple[Child, ...]]] = {}
    by_key: dict[str, dict[str, Child]] = {}
    for owner, rows in TYPES.items():
        names: dict[str, list[Child]] = {}
        keys: dict[str, Child] = {}
        for row in rows:
            kind = RESOURCE if row.type == ANY_RESOURCE else COMPLEX
            kind = PRIMITIVE if row.type in PRIMITIVE_TYPES else kind
            child = Child(row.name, "_" + row.name, row.type, kind)
            keys[row.name] = child
            names.setdefault(row.name, []).append(child)
            if row.choice is not None:
                names.setdefault(row.choice, []).append(child)
        by_name[owner] = {name: tuple(found) for name, found in names.items()}
        by_key[owner] = keys
    for primitive in PRIMITIVE_TYPES:  # a primitive's id and extensions, in its `_x` object
        by_name[primitive] = by_name["Element"]
        by_key[primitive] = by_key["Element"]
    return by_name, by_key


MEMBERS, KEYS = _children_by_name()


def resource_node(resource: Any) -> Node:
    kind = resource.get("resourceType") if type(resource) is dict else None
    return (kind if isinstance(kind, str) else "Resource", resource, None)


def _collect(source: dict[str, Any], child: Child, out: list[Any]) -> None:
    # The child unpacked once, and loops rather than comprehensions: navigation is most of the
    # time of most constraints.
    key, extras_key, kind, category = child
    found = source.get(key)
    if category == PRIMITIVE:
        extras = source.get(extras_key)
        if type(found) is list or type(extras) is list:
            _collect_primitives(kind, found, extras, out)
        elif found is not None or extras is not None:
            out.append((kind, found, extras))
    elif found is None:
        return
    elif category == RESOURCE:
        for resource in found if type(found) is list else (found,):
            if type(resource) is dict:
                out.append(resource_node(resource))
    elif type(found) is list:
        for item in found:
            if item is not None:
                out.append((kind, item, None))
    else:
        out.append((kind, found, None))


def _collect_primitives(kind: str, values: Any, extras: Any, out: list[Any]) -> None:
    """A primitive array and its `_x` array, paired by index (either may hold nulls)."""
    values = values if type(values) is list else ()
    extras = extras if type(extras) is list else ()
    for index in range(max(len(values), len(extras))):
        value = values[index] if index < len(values) else None
        extra = extras[index] if index < len(extras) else None
        if value is not None or extra is not None:
            out.append((kind, value, extra))


def _owners_by_name() -> dict[str, dict[str, tuple[Child, ...]]]:
    by_name: dict[str, dict[str, tuple[Child, ...]]] = {}
    for owner, names in MEMBERS.items():
        for name, children in names.items():
            by_name.setdefault(name, {})[owner] = children
    return by_name


_OWNERS = _owners_by_name()
"""name -> owner type -> the elements it selects: navigation's one look-up per node."""
_NOTHING: dict[str, tuple[Child, ...]] = {}


def navigate(items: list[Any], name: str) -> list[Any]:
    """The `name` children of every node in `items`, in order."""
    owners = _OWNERS.get(name, _NOTHING)
    out: list[Any] = []
    for item in items:
        if type(item) is not tuple:
            continue
        owner, value, extras = item
        found = owners.get(owner)
        if found is None:
            continue
        source = extras if owner in PRIMITIVE_TYPES else value
        if type(source) is dict:
            for child in found:
                _collect(source, child, out)
    return out


def children(item: Any) -> list[Any]:
    """Every child node of a node, in the order its JSON has them."""
    if type(item) is not tuple:
        return []
    owner, value, extras = item
    source = extras if owner in PRIMITIVE_TYPES else value
    keys = KEYS.get(owner)
    if keys is None or type(source) is not dict:
        return []
    out: list[Any] = []
    for member in source:
        key = member
        if member[:1] == "_":
            if member[1:] in source:
                continue  # collected with its value
            key = member[1:]
        child = keys.get(key)
        if child is not None:
            _collect(source, child, out)
    return out


# --- types -----------------------------------------------------------------------------------


def parent_type(name: str) -> str | None:
    """The FHIR type `name` is derived from (None for Resource and Element)."""
    if name in _PRIMITIVE_PARENTS:
        return _PRIMITIVE_PARENTS[name]
    if name in RESOURCE_TYPES:
        return "Resource" if name in _NOT_DOMAIN_RESOURCES else "DomainResource"
    if name == "DomainResource":
        return "Resource"
    if name in ("Resource", "Element"):
        return None
    if name in QUANTITY_TYPES and name != "Quantity":
        return "Quantity"
    if "." in name or name in _BACKBONE_DATATYPES:
        return "BackboneElement"
    return "Element"


@lru_cache(maxsize=8192)  # few distinct pairs, asked for every node a filter sees
def fhir_is(actual: str, wanted: str) -> bool:
    """Whether FHIR type `actual` is `wanted` or derived from it."""
    current: str | None = actual
    while current is not None:
        if current == wanted:
            return True
        current = parent_type(current)
    return False


def system_type(value: Any) -> str | None:
    """The System type of a System value."""
    if type(value) is bool:
        return "Boolean"
    if type(value) is int:
        return "Integer"
    if isinstance(value, Decimal):
        return "Decimal"
    if type(value) is str:
        return "String"
    if isinstance(value, Quantity):
        return "Quantity"
    kind = getattr(value, "kind", None)
    return kind if isinstance(kind, str) else None


_FHIR_OF_SYSTEM = {
    "Boolean": "boolean", "String": "string", "Integer": "integer", "Decimal": "decimal",
    "Date": "date", "DateTime": "dateTime", "Time": "time", "Quantity": "Quantity",
}  # fmt: skip


def is_of_type(item: Any, namespace: str, name: str) -> bool:
    """`item is namespace.name`. A FHIR primitive also counts as the System type its value is,
    and a System value as the FHIR primitive it would be written as: R4 constraints rely on
    both (`answer is Boolean` on a FHIR boolean), as does the HL7 validator."""
    if type(item) is tuple:
        if namespace == "System":
            return SYSTEM_TYPE_OF.get(item[0]) == name
        return fhir_is(item[0], name)
    kind = system_type(item)
    if kind is None:
        return False
    if namespace == "System":
        return kind == name
    fhir_name = _FHIR_OF_SYSTEM[kind]
    return fhir_name == name or fhir_is(fhir_name, name)


# --- values ----------------------------------------------------------------------------------


def _decimal(value: Any) -> Any:
    if isinstance(value, Decimal):
        return value
    if type(value) is int:
        return Decimal(value)
    if type(value) is float:
        return Decimal(repr(value))
    return value


def _parsed(parse: Any) -> Any:
    def convert(value: Any) -> Any:
        if type(value) is not str:
            return value
        parsed = parse(value)
        return value if parsed is None else parsed

    return convert


def _date_time(text: str) -> Any:
    return parse_date_time(text, "DateTime")


_CONVERTERS = {
    "decimal": _decimal,
    "date": _parsed(parse_date),
    "dateTime": _parsed(_date_time),
    "instant": _parsed(_date_time),
    "time": _parsed(parse_time),
}


def system_value(item: Any) -> Any:
    """What a node means to operators: a primitive's System value (None if it has none), a
    Quantity for FHIR quantities; other nodes and System values unchanged."""
    if type(item) is not tuple:
        return item
    kind, value, _ = item
    if kind in PRIMITIVE_TYPES:
        if value is None:
            return None
        convert = _CONVERTERS.get(kind)
        return value if convert is None else convert(value)
    if kind in QUANTITY_TYPES:
        quantity = from_fhir(value)
        return item if quantity is None else quantity
    return item
