"""Which module takes an input, by its content: how specifically each module's declaration
matches it (0: not at all).

HL7 v2: MSH-9 against `message_types`, and the sending application or facility against
`senders`. FHIR: the resource type, then the marks a sender leaves on what it sends — the
message event and source endpoint of a MessageHeader, the profiles it claims, the systems
of its identifiers — gathered from the resource and, for a Bundle, from every entry.

A sender's JSON may hold any JSON type where FHIR wants an object or an array (a null
profile, a string source): detection reads what has the type FHIR gives it and passes over
the rest, since it runs before anything is logged or mapped and must not fail on content.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from painfhir.mapping._module import FhirMapping, Hl7v2Mapping
from painfhir.mapping.hl7v2 import Message

# How much each mark says about who sent the input, most specific first: an endpoint names
# the sender itself, a profile or a local identifier system its EHR, a message event only
# what kind of message any sender sends. Powers of two, so the most specific kind matched
# decides and two modules tie only when they match the same kinds.
_EVENT_WEIGHT, _IDENTIFIER_WEIGHT, _PROFILE_WEIGHT, _ENDPOINT_WEIGHT = 1, 2, 4, 8


@dataclass(slots=True)
class FhirMarks:
    """What in a FHIR input tells its dialect."""

    profiles: set[str] = field(default_factory=set)
    identifier_systems: set[str] = field(default_factory=set)
    events: set[str] = field(default_factory=set)  # `system|code` of MessageHeader.eventCoding
    senders: set[str] = field(default_factory=set)  # MessageHeader.source.endpoint, meta.source


def score_hl7v2(mapping: Hl7v2Mapping, message: Message) -> int:
    code, event, structure = message.message_type
    if not {f"{code}^{event}", structure} & set(mapping.message_types):
        return 0
    if not mapping.senders:
        return 1
    header = message.header
    senders = {header.tree(3)[0][0], header.tree(4)[0][0]}
    return 2 if senders & set(mapping.senders) else 0


def score_fhir(mapping: FhirMapping, resource: dict[str, Any]) -> int:
    """Every kind of mark a module declares must match; each that does adds its weight."""
    if resource.get("resourceType") not in mapping.resource_types:
        return 0
    marks = fhir_marks(resource)
    score = 1
    for declared, found, weight in (
        (mapping.message_events, marks.events, _EVENT_WEIGHT),
        (mapping.source_endpoints, marks.senders, _ENDPOINT_WEIGHT),
    ):
        if declared:
            if not set(declared) & found:
                return 0
            score += weight
    if mapping.profiles or mapping.identifier_systems:
        by_profile = bool(set(mapping.profiles) & marks.profiles)
        by_identifier = bool(set(mapping.identifier_systems) & marks.identifier_systems)
        if not (by_profile or by_identifier):
            return 0
        score += _PROFILE_WEIGHT * by_profile + _IDENTIFIER_WEIGHT * by_identifier
    return score


def fhir_marks(resource: dict[str, Any]) -> FhirMarks:
    marks = FhirMarks()
    for found in _resources(resource):
        meta = _object(found.get("meta"))
        marks.profiles.update(p for p in _array(meta.get("profile")) if isinstance(p, str))
        if isinstance(meta.get("source"), str):
            marks.senders.add(meta["source"])
        for identifier in _array(found.get("identifier")):
            system = _object(identifier).get("system")
            if isinstance(system, str):
                marks.identifier_systems.add(system)
        if found.get("resourceType") == "MessageHeader":
            _header_marks(found, marks)
    return marks


def message_sender(resource: dict[str, Any]) -> str:
    """Who sent a FHIR input, as far as it says: its MessageHeader's source endpoint, else
    its meta.source; "" when it does not say."""
    header = message_header(resource)
    if header is not None:
        endpoint = _object(header.get("source")).get("endpoint")
        if isinstance(endpoint, str):
            return endpoint
    source = _object(resource.get("meta")).get("source")
    return source if isinstance(source, str) else ""


def message_header(resource: dict[str, Any]) -> dict[str, Any] | None:
    """The MessageHeader of a message Bundle (its first entry), else None."""
    if resource.get("resourceType") != "Bundle" or resource.get("type") != "message":
        return None
    entries = _array(resource.get("entry")) or [{}]
    first = _object(entries[0]).get("resource")
    is_header = isinstance(first, dict) and first.get("resourceType") == "MessageHeader"
    return first if is_header else None


def _header_marks(header: dict[str, Any], marks: FhirMarks) -> None:
    event = _object(header.get("eventCoding"))
    system, code = event.get("system"), event.get("code")
    if isinstance(code, str):
        marks.events.add(f"{system if isinstance(system, str) else ''}|{code}")
    if isinstance(header.get("eventUri"), str):
        marks.events.add(header["eventUri"])
    endpoint = _object(header.get("source")).get("endpoint")
    if isinstance(endpoint, str):
        marks.senders.add(endpoint)


def _resources(resource: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The resource, the resources it contains and, for a Bundle, its entries'."""
    yield resource
    for contained in _array(resource.get("contained")):
        if isinstance(contained, dict):
            yield contained
    if resource.get("resourceType") == "Bundle":
        for entry in _array(resource.get("entry")):
            inner = _object(entry).get("resource")
            if isinstance(inner, dict):
                yield from _resources(inner)


def _object(value: Any) -> dict[str, Any]:
    """A JSON object as such; anything else (null, a string) as an empty one."""
    return value if isinstance(value, dict) else {}


def _array(value: Any) -> list[Any]:
    """A JSON array as such; anything else as an empty one."""
    return value if isinstance(value, list) else []
