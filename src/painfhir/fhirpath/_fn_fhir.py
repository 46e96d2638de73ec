"""The functions FHIR adds to FHIRPath (R4 fhirpath.html §2.5): extension(), hasValue(),
getValue(), resolve(), conformsTo(), memberOf(), htmlChecks()."""

from __future__ import annotations

from typing import Any

from painfhir.fhir.definitions import RESOURCE_TYPES
from painfhir.fhir.structure import check_resource
from painfhir.fhirpath._context import Context
from painfhir.fhirpath._errors import FhirPathUnanswerableError
from painfhir.fhirpath._model import (
    FHIR_TYPE_NAMES,
    PRIMITIVE_TYPES,
    fhir_is,
    navigate,
    resource_node,
    system_value,
)
from painfhir.fhirpath._narrative import check_narrative
from painfhir.fhirpath._references import contained
from painfhir.fhirpath._registry import FALSE, TRUE, boolean, function, single
from painfhir.fhirpath._terminology import member_of

_BASE_PROFILE = "http://hl7.org/fhir/StructureDefinition/"


@function("extension", 1, arguments="values")
def _extension(items: list[Any], args: list[list[Any]], context: Context) -> list[Any]:
    url = system_value(single(args[0], "extension()"))
    if url is None:
        return []
    return [
        found
        for found in navigate(items, "extension")
        if type(found[1]) is dict and found[1].get("url") == url
    ]


def _primitive_with_value(items: list[Any]) -> Any:
    if len(items) != 1 or type(items[0]) is not tuple:
        return None
    kind, value, _ = items[0]
    return items[0] if kind in PRIMITIVE_TYPES and value is not None else None


@function("hasValue")
def _has_value(items: list[Any], context: Context) -> list[Any]:
    return TRUE if _primitive_with_value(items) is not None else FALSE


@function("getValue")
def _get_value(items: list[Any], context: Context) -> list[Any]:
    node = _primitive_with_value(items)
    return [] if node is None else [system_value(node)]


def _reference_text(item: Any) -> str | None:
    """The reference of a Reference, or a uri/canonical/String that is one."""
    if type(item) is tuple and item[0] == "Reference":
        found = item[1].get("reference") if type(item[1]) is dict else None
        return found if isinstance(found, str) else None
    value = system_value(item)
    return value if isinstance(value, str) else None


def resolve_reference(reference: str, context: Context) -> Any:
    if reference.startswith("#"):
        root = context.root_resource[0][1] if context.root_resource else None
        return contained(root, reference)
    if context.bundle is not None:
        referrer = context.resource[0][1] if context.resource else None
        found = context.bundle.find(reference, referrer)
        if found is not None:
            return found
    services = context.services
    if services is not None and services.resolve is not None:
        return services.resolve(reference)
    return None


@function("resolve")
def _resolve(items: list[Any], context: Context) -> list[Any]:
    """The resources the references point to, where they can be found (an unresolvable
    reference gives nothing, as FHIRPath says)."""
    out = []
    for item in items:
        reference = _reference_text(item)
        found = resolve_reference(reference, context) if reference else None
        if type(found) is dict:
            out.append(resource_node(found))
    return out


@function("conformsTo", 1, arguments="values")
def _conforms_to(items: list[Any], args: list[list[Any]], context: Context) -> list[Any]:
    item = single(items, "conformsTo()")
    url = system_value(single(args[0], "conformsTo()"))
    if item is None or url is None:
        return []
    base = url.removeprefix(_BASE_PROFILE) if isinstance(url, str) else ""
    if base != url and base in FHIR_TYPE_NAMES and type(item) is tuple:
        return boolean(fhir_is(item[0], base) and _structurally_valid(item))
    services = context.services
    answer = None
    if services is not None and services.conforms_to is not None:
        answer = services.conforms_to(item[1] if type(item) is tuple else item, url)
    if answer is None:
        raise FhirPathUnanswerableError(f"conformsTo(): no checker for the profile {url}")
    return boolean(answer)


def _structurally_valid(item: Any) -> bool:
    if item[0] not in RESOURCE_TYPES:
        return True  # the base definition of a datatype: its type is what it asks
    return not check_resource(item[1])


@function("memberOf", 1, arguments="values")
def _member_of(items: list[Any], args: list[list[Any]], context: Context) -> list[Any]:
    item = single(items, "memberOf()")
    url = system_value(single(args[0], "memberOf()"))
    if item is None or not isinstance(url, str):
        return []
    return boolean(member_of(item, url, context.services))


@function("htmlChecks")
def _html_checks(items: list[Any], context: Context) -> list[Any]:
    item = single(items, "htmlChecks()")
    div = system_value(item)
    if not isinstance(div, str):
        return []
    return boolean(check_narrative(div).valid)
