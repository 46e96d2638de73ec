"""HL7 v2.5.1 data types written from FHIR elements, for outbound messages.

Every value that comes from a resource is escaped here, so a name or a note holding `|` or
`^` cannot break the segment it goes into. Components are joined with the default encoding
characters (`|^~\\&`), the ones painfhir's outbound messages declare in MSH-2. Trailing
empty components are dropped, as HL7 asks.
"""

from __future__ import annotations

from typing import Any

from painfhir.mapping.hl7v2 import Delimiters, escape

Json = dict[str, Any]
DELIMITERS = Delimiters()
_OID = "urn:oid:"


def text(value: object) -> str:
    """A plain value, escaped; "" for None."""
    return escape(str(value), DELIMITERS) if value is not None else ""


def components(*parts: str) -> str:
    """Already-escaped parts joined as one field's components, trailing empties dropped."""
    return DELIMITERS.component.join(parts).rstrip(DELIMITERS.component)


def repetitions(values: list[str]) -> str:
    return DELIMITERS.repetition.join(value for value in values if value)


def timestamp(fhir_time: str | None) -> str:
    """A FHIR date, dateTime or instant as an HL7 TS: `2026-11-16T09:00:00-07:00` →
    `20261116090000-0700`; fractions of a second are dropped, the offset is kept (`Z` is
    +0000)."""
    if not fhir_time:
        return ""
    day, _, time = fhir_time.partition("T")
    digits = day.replace("-", "")
    if not time:
        return digits
    if time.endswith("Z"):
        clock, offset = time[:-1], "+0000"
    else:
        sign_at = max(time.rfind("+"), time.rfind("-"))
        clock, offset = (time[:sign_at], time[sign_at:]) if sign_at > 0 else (time, "")
    return digits + clock.split(".")[0].replace(":", "") + offset.replace(":", "")


def authority(system: str | None) -> tuple[str, str]:
    """An identifier system as an assigning authority's universal id and its type (table
    0301): an OID as ISO, any other URI as URI."""
    if not system:
        return "", ""
    if system.startswith(_OID):
        return text(system.removeprefix(_OID)), "ISO"
    return text(system), "URI"


def entity_identifier(identifier: Json, namespace: str = "") -> str:
    """An Identifier as an EI: value ^ namespace ^ universal id ^ its type."""
    universal_id, id_type = authority(identifier.get("system"))
    return components(text(identifier.get("value")), text(namespace), universal_id, id_type)


def _identifier_type(identifier: Json) -> str:
    for coding in identifier.get("type", {}).get("coding", []):
        if coding.get("system") == "http://terminology.hl7.org/CodeSystem/v2-0203":
            return text(coding.get("code"))
    return ""


def extended_identifier(identifier: Json) -> str:
    """An Identifier as a CX: value ^^^ assigning authority (an HD) ^ identifier type."""
    universal_id, id_type = authority(identifier.get("system"))
    sub = DELIMITERS.subcomponent
    hd = sub.join(["", universal_id, id_type]).rstrip(sub) if universal_id else ""
    return components(text(identifier.get("value")), "", "", hd, _identifier_type(identifier))


def person_name(name: Json) -> str:
    """A HumanName as an XPN: family ^ given ^ further given names ^ suffix ^ prefix."""
    given = name.get("given", [])
    return components(
        text(name.get("family")),
        text(given[0]) if given else "",
        text(" ".join(given[1:])),
        text(" ".join(name.get("suffix", []))),
        text(" ".join(name.get("prefix", []))),
    )


def address(fhir_address: Json) -> str:
    """An Address as an XAD: street ^ other ^ city ^ state ^ postal code ^ country."""
    lines = fhir_address.get("line", [])
    return components(
        text(lines[0]) if lines else "",
        text(", ".join(lines[1:])),
        text(fhir_address.get("city")),
        text(fhir_address.get("state")),
        text(fhir_address.get("postalCode")),
        text(fhir_address.get("country")),
    )


def coded(code: str, display: str, table: str) -> str:
    """A CE of an HL7 table: identifier ^ text ^ `HL7nnnn`."""
    return components(text(code), text(display), f"HL7{table}")


def organization_hd(organization: Json | None, fallback: str = "") -> str:
    """An Organization as an HD (a facility): name ^ OID ^ ISO, when it has an OID."""
    if organization is None:
        return text(fallback)
    name = text(organization.get("name") or fallback)
    for identifier in organization.get("identifier", []):
        value = identifier.get("value") or ""
        if value.startswith(_OID):  # system urn:ietf:rfc:3986, as FHIR writes OIDs of things
            return components(name, text(value.removeprefix(_OID)), "ISO")
    return name
