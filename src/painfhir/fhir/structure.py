"""Structural validation of R4 resources, and the sites in them that hold references.

`check_resource` checks parsed JSON (from `codec.parse_json`) against the R4 structure model in
`painfhir.fhir.definitions`: element names, cardinality and JSON shape, choice elements,
primitive JSON types and formats, `_x` primitive extensions with their null pairing, nested
resources (contained, Bundle.entry.resource, Parameters.parameter.resource, ...), extensions
(url required, ext-1: a value or nested extensions, not both), the narrative div, and the
required terminology bindings of base R4 (`painfhir.terminology.bindings`: the codes of `code`
elements, a coding of `CodeableConcept`s). It does not evaluate other invariants, weaker
bindings, reference targets or profiles.

It runs on every write, so the model is linked into `_Type` / `_Element` tables once at import
and regexes are compiled once; checking a valid resource costs a dict lookup per member and
builds no strings beyond the paths of nested objects. Bindings ride on the same walk: a bound
code's quick check is a set look-up instead of the regex (a code of the value set is a valid
code), so they add no pass over the resource. Messages and expressions are only made for
problems found. Each problem is reported once: a member of the wrong shape is not looked into
further, and a malformed code is reported as such, not also as outside its value set.

`find_references` lists the places in a resource that may point at other resources, for
rewriting `urn:uuid:` references when a transaction Bundle is stored. It follows the structure
model rather than key names, and descends into every nested resource, a Bundle's own entries
included: a document Bundle stored as a resource gets its references rewritten like any other.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal, cast

from painfhir.fhir.definitions import (
    ANY_RESOURCE,
    PRIMITIVES,
    RESOURCE_TYPE_NAMES,
    TYPES,
    ElementDef,
    PrimitiveDef,
)
from painfhir.fhir.outcome import Issue
from painfhir.terminology.bindings import RequiredBinding, required_binding

SiteKind = Literal["reference", "uri"]

_STRUCTURE = "structure"
_REQUIRED = "required"
_VALUE = "value"
_INVARIANT = "invariant"

_INT_MIN, _INT_MAX = -(2**31), 2**31 - 1  # FHIR integers are 32-bit
_URI_TYPES = frozenset({"uri", "url", "canonical", "oid", "uuid"})
_DATE_TYPES = frozenset({"date", "dateTime", "instant"})
_BLANK = re.compile(r"\s*", re.ASCII).fullmatch  # ASCII whitespace, as Java's trim() sees it
_DAYS_IN_MONTH = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
# A definition regex that backtracks badly on long values, replaced by one matching the same
# strings in linear time: `(\s*X{4}\s*)+` is the same language as `\s*(X{4}\s*)+`.
_LINEAR_REGEX = {"base64Binary": r"\s*(?:[0-9a-zA-Z+/=]{4}\s*)+"}
_TEXT_REGEX = r"[ \r\n\t\S]+"  # string and markdown: see _text_quick


class _Primitive:
    """A primitive type, ready to check values with.

    `quick(value)` is truthy for a value that is certainly valid; a falsy result, or a
    TypeError (a regex given a number), means the full check in `_primitive_problem` decides.
    For string types it is a single compiled regex, so the common case costs one C call
    (string and markdown have a few string scans instead: see `_text_quick`).
    """

    __slots__ = ("calendar", "json", "match", "max_length", "name", "quick")

    def __init__(self, definition: PrimitiveDef) -> None:
        self.name = definition.name
        self.json: str = "xhtml" if definition.name == "xhtml" else definition.json
        self.max_length = definition.max_length
        self.calendar = definition.name in _DATE_TYPES
        regex = _LINEAR_REGEX.get(definition.name, definition.regex)
        # re.ASCII: `\s` and `\S` mean what they mean in the (Java) reference validator,
        # so a no-break space is text, not whitespace.
        self.match: Callable[[str], object] | None = None
        self.quick: Callable[[Any], object] = self._fully_valid
        if regex is not None:
            self.match = re.compile(regex, re.ASCII).fullmatch
        if regex == _TEXT_REGEX:
            self.quick = _text_quick(self.max_length)
        elif regex is not None and self.json == "string":
            self.quick = re.compile(self._quick_pattern(regex), re.ASCII).fullmatch
        elif self.json == "boolean":
            self.quick = _is_boolean

    def _quick_pattern(self, regex: str) -> str:
        parts = [r"(?=\s*\S)"]  # not empty, not only whitespace
        if self.max_length is not None:
            parts.append(f"(?=(?s:.){{0,{self.max_length}}}\\Z)")
        if self.calendar:
            parts.append(r"(?!.{8}(?:29|3))")  # days 29 to 31 are left to the full check
        parts.append(f"(?:{regex})")
        return "".join(parts)

    def _fully_valid(self, value: Any) -> bool:
        return _primitive_problem(value, self) is None


def _text_quick(max_length: int | None) -> Callable[[Any], bool]:
    """The quick check of string and markdown, whose regex allows any character but form feed
    and vertical tab: said in Python, it is a few scans at C speed, where the regex would step
    through the text character by character (a long note costs a microsecond). A value with
    only Unicode whitespace is left to the full check, which tells ASCII whitespace apart."""
    limit = max_length if max_length is not None else sys.maxsize

    def quick(value: Any) -> bool:
        return (
            type(value) is str
            and 0 < len(value) <= limit
            and "\f" not in value
            and "\v" not in value
            and not value.isspace()
        )

    return quick


def _is_boolean(value: Any) -> bool:
    return type(value) is bool


def _never_quick(value: Any) -> bool:
    """The quick check of a complex element: none, it is never reached for one."""
    return False


class _Element:
    """One JSON member a type allows, linked to the table or primitive of its type."""

    __slots__ = (
        "binding",
        "choice",
        "complex",
        "extras",
        "many",
        "min",
        "name",
        "primitive",
        "quick",
        "resource",
        "scalar",
        "site",
    )

    def __init__(self, definition: ElementDef) -> None:
        self.name = definition.name
        self.many = definition.many
        self.min = definition.min
        self.choice = definition.choice
        self.resource = definition.type == ANY_RESOURCE
        self.primitive: _Primitive | None = None
        self.complex: _Type | None = None
        self.extras: str | None = None  # "_name": the member holding a primitive's extensions
        self.site: SiteKind | None = None  # what find_references reports this element as
        self.binding: RequiredBinding | None = None
        # The primitive's quick check, or for a bound code, membership of its value set.
        self.quick: Callable[[Any], object] = _never_quick
        # One primitive value, not an array nor a choice: checked by `quick` first.
        self.scalar = False


class _Type:
    """The members allowed in one kind of JSON object: a resource, datatype or backbone."""

    __slots__ = (
        "elements",
        "extension",
        "name",
        "required",
        "required_choices",
        "resource",
        "whole",
    )

    def __init__(self, name: str, *, resource: bool) -> None:
        self.name = name
        self.resource = resource
        self.extension = name == "Extension"
        self.elements: dict[str, _Element] = {}
        self.required: tuple[_Element, ...] = ()
        self.required_choices: tuple[str, ...] = ()
        self.whole = False  # required elements or ext-1: more to check once the members are


def _link_element(
    owner: str,
    definition: ElementDef,
    primitives: dict[str, _Primitive],
    types: dict[str, _Type],
) -> _Element:
    element = _Element(definition)
    element.binding = required_binding(owner, definition.name)
    if definition.type in primitives:
        element.primitive = primitives[definition.type]
        element.scalar = not definition.many and definition.choice is None
        element.quick = element.primitive.quick
        if element.binding is not None:
            element.quick = element.binding.value_set.codes.__contains__
        if definition.type != "xhtml":  # the narrative div cannot carry extensions
            element.extras = "_" + definition.name
        if definition.type in _URI_TYPES:
            element.site = "uri"
        elif owner == "Reference" and definition.name == "reference":
            element.site = "reference"
    elif not element.resource:
        element.complex = types[definition.type]
    return element


def _build_model() -> tuple[dict[str, _Type], _Type]:
    """The resource tables by type name, and the table of a primitive's `_x` object."""
    primitives = {name: _Primitive(definition) for name, definition in PRIMITIVES.items()}
    resource_names = set(RESOURCE_TYPE_NAMES)
    types = {key: _Type(key, resource=key in resource_names) for key in TYPES}
    for key, rows in TYPES.items():
        type_ = types[key]
        for row in rows:
            type_.elements[row.name] = _link_element(key, row, primitives, types)
        elements = type_.elements.values()
        type_.required = tuple(e for e in elements if e.min and e.choice is None)
        type_.required_choices = tuple(
            dict.fromkeys(e.choice for e in elements if e.min and e.choice is not None)
        )
        type_.whole = bool(type_.required or type_.required_choices or type_.extension)
    return {name: types[name] for name in RESOURCE_TYPE_NAMES}, types["Element"]


_RESOURCES, _PRIMITIVE_EXTRAS = _build_model()


# --- check_resource ---------------------------------------------------------------------------


def check_resource(resource: Any) -> list[Issue]:
    """Structural problems in a parsed R4 resource (JSON from parse_json). Empty list = valid."""
    issues: list[Issue] = []
    _check_resource(resource, None, issues)
    return issues


Where = str | tuple[Any, str, int | None]
"""Where a value is: a finished expression, or (parent, member, index) made into one only for an
issue (most values never need theirs)."""


def _text(where: Where) -> str:
    if type(where) is str:
        return where
    parent, member, index = cast(tuple[Where, str, int | None], where)
    text = f"{_text(parent)}.{member}"
    return text if index is None else f"{text}[{index}]"


def _issue(issues: list[Issue], code: str, message: str, where: Where | None) -> None:
    issues.append(Issue("error", code, message, None if where is None else _text(where)))


def _check_resource(value: Any, path: Where | None, issues: list[Issue]) -> None:
    """A whole resource; `path` is where it sits in its container, None at the top."""
    if type(value) is not dict:
        _issue(issues, _STRUCTURE, f"A resource must be a JSON object, not {_kind(value)}", path)
        return
    name = value.get("resourceType")
    if name is None:
        _issue(issues, _REQUIRED, "The resource has no resourceType", path)
        return
    type_ = _RESOURCES.get(name) if type(name) is str else None
    if type_ is None:
        message = f"{_show(name)} is not an R4 resource type"
        _issue(issues, _VALUE, message, (path, "resourceType", None) if path else "resourceType")
        return
    _check_object(value, type_, path or name, issues)


def _check_object(obj: dict[str, Any], type_: _Type, path: Where, issues: list[Issue]) -> None:
    elements = type_.elements
    chosen: dict[str, str] | None = None  # choice group -> the member that took it
    for key, value in obj.items():
        element = elements.get(key)
        if element is not None and element.scalar:
            # One primitive value, valid by its quick check: the most frequent step of a check.
            try:
                valid = element.quick(value)
            except TypeError:  # a string pattern given a number, boolean or object
                valid = False
            if valid:
                continue
        if element is None:
            if key[:1] == "_":
                element = _check_extras(obj, key, value, type_, path, issues)
            elif not (key == "resourceType" and type_.resource):
                _issue(
                    issues, _STRUCTURE, f"Unknown element '{key}' in {type_.name}", _at(path, key)
                )
            if element is None or element.choice is None:
                continue
        elif value is None:
            _issue(
                issues, _STRUCTURE, "null is not a value (leave the element out)", _at(path, key)
            )
        elif element.many:
            _check_array(obj, value, element, path, issues)
        elif type(value) is list:
            _issue(issues, _STRUCTURE, "A single value is allowed, not an array", _at(path, key))
        elif element.primitive is not None:
            _check_value(value, element, (path, key, None), issues)  # not valid by its quick check
        elif element.complex is not None and type(value) is dict and value:
            _check_object(value, element.complex, (path, key, None), issues)
            if element.binding is not None:
                _check_concept(value, element.binding, (path, key, None), issues)
        else:
            _check_value(value, element, (path, key, None), issues)
        if element.choice is not None:
            chosen = _choose(chosen, element, path, issues)
    if type_.whole:
        _check_whole(obj, type_, chosen, path, issues)


def _check_whole(
    obj: dict[str, Any],
    type_: _Type,
    chosen: dict[str, str] | None,
    path: Where,
    issues: list[Issue],
) -> None:
    """What is checked on an object as a whole: its required elements, and ext-1."""
    if type_.required:
        _check_required(obj, type_, path, issues)
    for group in type_.required_choices:
        if chosen is None or group not in chosen:
            message = f"One of the {group}[x] elements is required"
            _issue(issues, _REQUIRED, message, _at(path, group + "[x]"))
    if type_.extension:
        _check_extension(obj, chosen, path, issues)


def _at(path: Where, key: str) -> Where:
    return (path, key, None)


def _check_value(value: Any, element: _Element, path: Where, issues: list[Issue]) -> None:
    """One (non-null, non-array) value of an element; `path` is the value's own expression."""
    primitive = element.primitive
    if primitive is not None:
        if _quick_valid(element, value):
            return
        problem = _primitive_problem(value, primitive)
        if problem is not None:
            _issue(issues, problem[0], problem[1], path)
        elif element.binding is not None:  # a well-formed code, so not one of the value set
            issues.append(element.binding.code_issue(value, _text(path)))
    elif element.complex is not None:
        _check_complex(value, element.complex, path, issues)
    else:
        _check_resource(value, path, issues)


def _quick_valid(element: _Element, value: Any) -> object:
    try:
        return element.quick(value)
    except TypeError:  # a string pattern given a number, boolean or object
        return False


def _check_concept(
    concept: dict[str, Any], binding: RequiredBinding, path: Where, issues: list[Issue]
) -> None:
    issue = binding.concept_issue(concept, _text(path))
    if issue is not None:
        issues.append(issue)


def _check_complex(value: Any, type_: _Type, path: Where, issues: list[Issue]) -> None:
    if type(value) is not dict:
        _issue(issues, _STRUCTURE, f"{type_.name} must be a JSON object, not {_kind(value)}", path)
    elif not value:
        _issue(issues, _STRUCTURE, "An empty object is not a value (leave it out)", path)
    else:
        _check_object(value, type_, path, issues)


def _check_array(
    obj: dict[str, Any], values: Any, element: _Element, path: Where, issues: list[Issue]
) -> None:
    name = element.name
    if type(values) is not list:
        _issue(issues, _STRUCTURE, f"'{name}' must be a JSON array", (path, name, None))
        return
    if not values:
        message = "An empty array is not a value (leave it out)"
        _issue(issues, _STRUCTURE, message, (path, name, None))
        return
    complex_ = element.complex
    for index, value in enumerate(values):
        if complex_ is not None and type(value) is dict and value:
            _check_object(value, complex_, (path, name, index), issues)  # the common case, direct
        elif value is not None:
            _check_value(value, element, (path, name, index), issues)
        elif not _has_extras_at(obj, element, index):
            message = "null is only allowed where the _ array has extensions at the same index"
            _issue(issues, _STRUCTURE, message, (path, name, index))


def _has_extras_at(obj: dict[str, Any], element: _Element, index: int) -> bool:
    """Whether a null in a primitive array is paired with a non-null `_x` entry, as JSON allows."""
    extras = obj.get(element.extras) if element.extras is not None else None
    return type(extras) is list and index < len(extras) and extras[index] is not None


def _check_extras(
    obj: dict[str, Any], key: str, value: Any, type_: _Type, path: Where, issues: list[Issue]
) -> _Element | None:
    """A `_x` member: the id and extensions of primitive `x`. Returns `x`, if it is one."""
    element = type_.elements.get(key[1:])
    if element is None or element.extras is None:
        _issue(issues, _STRUCTURE, f"Unknown element '{key}' in {type_.name}", _at(path, key))
        return None
    target = _at(path, element.name)  # FHIRPath sees these extensions on the primitive itself
    if value is None:
        _issue(issues, _STRUCTURE, "null is not a value (leave the element out)", _at(path, key))
    elif not element.many:
        if type(value) is list:
            _issue(issues, _STRUCTURE, "A single value is allowed, not an array", _at(path, key))
        else:
            _check_complex(value, _PRIMITIVE_EXTRAS, target, issues)
    elif type(value) is not list or not value:
        _issue(issues, _STRUCTURE, f"'{key}' must be a non-empty JSON array", _at(path, key))
    else:
        _check_extras_array(obj.get(element.name), value, key, element.name, path, issues)
    return element


def _check_extras_array(
    values: Any, extras: list[Any], key: str, name: str, path: Where, issues: list[Issue]
) -> None:
    if type(values) is list and len(values) != len(extras):
        message = f"'{key}' has {len(extras)} entries but '{key[1:]}' has {len(values)}"
        _issue(issues, _STRUCTURE, message, _at(path, key))
        return
    for index, extra in enumerate(extras):
        if extra is not None:
            # FHIRPath sees these extensions on the primitive itself
            _check_complex(extra, _PRIMITIVE_EXTRAS, (path, name, index), issues)
        elif type(values) is not list:  # a null pair of nulls is reported on the value side
            message = f"null in '{key}' must be paired with a value in '{key[1:]}'"
            _issue(issues, _STRUCTURE, message, (path, key, index))


def _choose(
    chosen: dict[str, str] | None, element: _Element, path: Where, issues: list[Issue]
) -> dict[str, str]:
    group, name = cast(str, element.choice), element.name
    if chosen is None:
        return {group: name}
    taken = chosen.setdefault(group, name)
    if taken != name:
        message = f"Only one {group}[x] element is allowed, but there are '{taken}' and '{name}'"
        _issue(issues, _STRUCTURE, message, _at(path, name))
    return chosen


def _check_required(obj: dict[str, Any], type_: _Type, path: Where, issues: list[Issue]) -> None:
    for element in type_.required:
        if element.name not in obj and (element.extras is None or element.extras not in obj):
            message = f"{type_.name}.{element.name} is required"
            _issue(issues, _REQUIRED, message, _at(path, element.name))


def _check_extension(
    obj: dict[str, Any], chosen: dict[str, str] | None, path: Where, issues: list[Issue]
) -> None:
    """ext-1: an extension has a value or nested extensions, not both (and not neither)."""
    has_value = chosen is not None and "value" in chosen
    if has_value == ("extension" in obj):
        which = "both a value[x] and" if has_value else "neither a value[x] nor"
        message = f"An extension must have a value[x] or nested extensions; this has {which} any"
        _issue(issues, _INVARIANT, message, path)


def _primitive_problem(value: Any, primitive: _Primitive) -> tuple[str, str] | None:
    """(issue code, message) if `value` is not a valid JSON value of the primitive type."""
    kind = primitive.json
    if kind == "string":
        if type(value) is not str:
            return _STRUCTURE, f"A {primitive.name} must be a JSON string, not {_kind(value)}"
        return _string_problem(value, primitive)
    if kind == "boolean":
        if type(value) is bool:
            return None
        return _STRUCTURE, f"A boolean must be JSON true or false, not {_kind(value)}"
    if kind == "integer":
        return _integer_problem(value, primitive)
    if kind == "decimal":
        # Decimal is what parse_json gives; float is allowed for JSON parsed elsewhere.
        if type(value) is not bool and isinstance(value, int | Decimal | float):
            return None
        return _STRUCTURE, f"A decimal must be a JSON number, not {_kind(value)}"
    if type(value) is str and value.startswith("<div"):
        return None
    return _VALUE, "The narrative div must be a string of XHTML starting with <div"


def _string_problem(value: str, primitive: _Primitive) -> tuple[str, str] | None:
    if _BLANK(value):
        return _VALUE, f"A {primitive.name} must not be empty or only whitespace"
    if primitive.max_length is not None and len(value) > primitive.max_length:
        return _VALUE, f"A {primitive.name} must be at most {primitive.max_length} characters"
    if primitive.match is not None and primitive.match(value) is None:
        return _VALUE, f"{_show(value)} is not a valid {primitive.name}"
    if primitive.calendar and len(value) >= 10 and value[8:10] > "28" and not _real_date(value):
        return _VALUE, f"{_show(value)} is not a valid {primitive.name}: no such day"
    return None


def _real_date(value: str) -> bool:
    """Whether the (already well-formed) yyyy-mm-dd at the start of `value` is a real day."""
    year, month, day = int(value[:4]), int(value[5:7]), int(value[8:10])
    if month == 2 and day == 29:
        return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    return day <= _DAYS_IN_MONTH[month - 1]


def _integer_problem(value: Any, primitive: _Primitive) -> tuple[str, str] | None:
    # `type(...) is int` rather than isinstance: True is an int to Python, not to FHIR.
    if type(value) is not int:
        return _STRUCTURE, f"A {primitive.name} must be a JSON integer, not {_kind(value)}"
    if not _INT_MIN <= value <= _INT_MAX:
        return _VALUE, f"{value} is outside the 32-bit range of a {primitive.name}"
    # The definition regexes carry the sign rules (positiveInt >= 1, unsignedInt >= 0).
    if primitive.match is not None and primitive.match(str(value)) is None:
        return _VALUE, f"{value} is not a valid {primitive.name}"
    return None


def _kind(value: Any) -> str:
    """How a JSON value is called in messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float | Decimal):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


# --- find_references --------------------------------------------------------------------------


@dataclass(slots=True)
class ReferenceSite:
    """A place in a resource holding a reference: `container[key]`."""

    container: dict[str, Any] | list[Any]  # the object holding the key, or the list of the item
    key: str | int
    kind: SiteKind  # "reference": Reference.reference; "uri": a uri/url/canonical/oid/uuid value

    @property
    def value(self) -> str:
        # container and key always match (str with dict, int with list); Any says so to mypy.
        value: str = cast(Any, self.container)[self.key]
        return value

    def replace(self, new: str) -> None:
        cast(Any, self.container)[self.key] = new


def find_references(resource: dict[str, Any]) -> list[ReferenceSite]:
    """Every Reference.reference in the resource (in extensions and contained resources too),
    and every uri/url/canonical/oid/uuid-typed value that starts with 'urn:' (these may point at
    Bundle fullUrls)."""
    sites: list[ReferenceSite] = []
    _collect_resource(resource, sites)
    return sites


def _collect_resource(value: Any, sites: list[ReferenceSite]) -> None:
    # Malformed input is skipped rather than reported: check_resource is the one that reports.
    name = value.get("resourceType") if type(value) is dict else None
    type_ = _RESOURCES.get(name) if type(name) is str else None
    if type_ is not None:
        _collect_object(value, type_, sites)


def _collect_object(obj: dict[str, Any], type_: _Type, sites: list[ReferenceSite]) -> None:
    elements = type_.elements
    for key, value in obj.items():
        element = elements.get(key)
        if element is None:
            if key[:1] == "_":  # a primitive's extensions can hold references too
                _collect_each(value, _PRIMITIVE_EXTRAS, sites)
        elif element.site is not None:
            _collect_sites(obj, key, value, element.site, sites)
        elif element.resource:
            for item in value if type(value) is list else (value,):
                _collect_resource(item, sites)
        elif element.complex is not None:
            _collect_each(value, element.complex, sites)


def _collect_each(value: Any, type_: _Type, sites: list[ReferenceSite]) -> None:
    for item in value if type(value) is list else (value,):
        if type(item) is dict:
            _collect_object(item, type_, sites)


def _collect_sites(
    obj: dict[str, Any], key: str, value: Any, kind: SiteKind, sites: list[ReferenceSite]
) -> None:
    if type(value) is list:
        for index, item in enumerate(value):
            if _is_site(item, kind):
                sites.append(ReferenceSite(value, index, kind))
    elif _is_site(value, kind):
        sites.append(ReferenceSite(obj, key, kind))


def _is_site(value: Any, kind: SiteKind) -> bool:
    return type(value) is str and (kind == "reference" or value.startswith("urn:"))
