"""HL7 v2 data types to FHIR data types: XPN → HumanName, XAD → Address, XTN → ContactPoint,
CX/EI → Identifier, CWE → CodeableConcept, DTM → dateTime, NM → decimal.

Each reader takes the Terser path of one field repetition (`PID-5[2]`) or of every
repetition (`PID-5`) and gives None or [] when the source is empty, so rules can leave an
element out instead of writing an empty one. Code systems named in CWE-3 (`LN`, `SCT`,
`HL70078`) and assigning authorities named in CX-4 / EI-2 become FHIR systems through the
module's ConceptMaps; an OID given as universal id becomes `urn:oid:`.
"""

from __future__ import annotations

import datetime
import re
from typing import Any

from painfhir.mapping._context import Hl7v2Context
from painfhir.mapping.hl7v2 import Group, Segment, Terser

# the HL7 tables' FHIR code systems, and the systems of the names they use
CODING_SYSTEM_NAMES = "http://terminology.hl7.org/CodeSystem/v2-0396"
ASSIGNING_AUTHORITIES = "http://terminology.hl7.org/CodeSystem/v2-0363"
IDENTIFIER_TYPES = "http://terminology.hl7.org/CodeSystem/v2-0203"
_CONTACT_SYSTEM = "http://hl7.org/fhir/contact-point-system"
_CONTACT_USE = "http://hl7.org/fhir/contact-point-use"

# HL7 NM: an optional sign, digits and an optional decimal point
_NM = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)")
_OID = re.compile(r"[0-2](\.(0|[1-9]\d*))+")
_DTM = re.compile(
    r"(?P<y>\d{4})(?P<m>\d{2})?(?P<d>\d{2})?(?P<h>\d{2})?(?P<min>\d{2})?(?P<s>\d{2})?"
    r"(?P<frac>\.\d{1,4})?(?P<tz>[+-]\d{4})?"
)

Json = dict[str, Any]


def clean(value: str) -> str | None:
    """A read value as FHIR wants it: None for empty or HL7's explicit null, else stripped."""
    value = value.strip()
    return None if not value or value == '""' else value


def repetitions(read: Terser, field: str) -> list[str]:
    """The paths of each repetition of a field: `PID-5[1]`, `PID-5[2]`, ..."""
    return [f"{field}[{n}]" for n in range(1, read.count(field) + 1)]


def date_time(value: str) -> str | None:
    """A DTM as a FHIR dateTime. A time without a time zone offset is cut to its date,
    since FHIR requires the offset whenever there is a time and guessing one would be
    wrong twice a year."""
    match = _DTM.fullmatch(value.strip())
    if match is None:
        return None
    parts = match.groupdict()
    text = parts["y"] + (f"-{parts['m']}" if parts["m"] else "")
    text += f"-{parts['d']}" if parts["d"] and parts["m"] else ""
    if not (parts["h"] and parts["d"] and parts["tz"]):
        return text
    seconds = (parts["s"] or "00") + (parts["frac"] or "")
    tz = parts["tz"]
    return f"{text}T{parts['h']}:{parts['min'] or '00'}:{seconds}{tz[:3]}:{tz[3:]}"


def date(value: str) -> str | None:
    """A DT or DTM as a FHIR date (its date part)."""
    found = date_time(value)
    return None if found is None else found[:10]


def date_time_at(ctx: Hl7v2Context, read: Terser, path: str) -> str | None:
    """The DTM at `path` as a FHIR dateTime, None when the field is empty. A value that is
    no date (seven digits, a month 13) is an `InvalidValueError` naming segment and field:
    dropping it would lose what the sender meant, and guessing could be wrong."""
    value = clean(read.value(path))
    if value is None:
        return None
    found = date_time(value)
    if found is None or not _is_calendar_date(found):
        reason = f"{path} {value!r} is not an HL7 date/time (YYYY[MM[DD[HHMM[SS]]]][+ZZZZ])"
        raise ctx.invalid(read, path, reason)
    return found


def date_at(ctx: Hl7v2Context, read: Terser, path: str) -> str | None:
    """The DT or DTM at `path` as a FHIR date (its date part); see `date_time_at`."""
    found = date_time_at(ctx, read, path)
    return None if found is None else found[:10]


def number_at(ctx: Hl7v2Context, read: Terser, path: str) -> int | float | None:
    """The NM at `path`, None when the field is empty: an int when it has no decimal point,
    as HL7 says it then is one. Anything else (`2,5`, `1e3`) is an `InvalidValueError`
    naming segment and field, since a dose read wrongly or dropped is worse than a message
    sent back."""
    value = clean(read.value(path))
    if value is None:
        return None
    if _NM.fullmatch(value) is None:
        reason = f"{path} {value!r} is not an HL7 number ([+|-]digits[.digits])"
        raise ctx.invalid(read, path, reason)
    return float(value) if "." in value else int(value)


def message_time(ctx: Hl7v2Context) -> str:
    """MSH-7, the time of the message: required, and a valid date/time."""
    ctx.require(ctx.read, "MSH-7")
    found = date_time_at(ctx, ctx.read, "MSH-7")
    assert found is not None  # require() raised when it is empty
    return found


def _is_calendar_date(found: str) -> bool:
    parts = [int(part) for part in found[:10].split("-")]
    try:
        datetime.date(*(parts + [1] * (3 - len(parts))))
    except ValueError:
        return False
    return True


def coding_system(ctx: Hl7v2Context, name: str) -> str | None:
    coding = ctx.translate(CODING_SYSTEM_NAMES, name)
    return None if coding is None else coding["code"]


def codeable_concept(ctx: Hl7v2Context, read: Terser, path: str) -> Json | None:
    """A CWE / CE / CNE at `path`: its code and alternate code as codings, CWE-9 (else the
    text of a code-less value) as text."""
    codings = []
    for first in (1, 4):
        code = clean(read.value(f"{path}.{first}"))
        display = clean(read.value(f"{path}.{first + 1}"))
        system_name = clean(read.value(f"{path}.{first + 2}"))
        if code is None:
            continue
        coding: Json = {}
        system = coding_system(ctx, system_name) if system_name else None
        if system:
            coding["system"] = system
        coding["code"] = code
        if display:
            coding["display"] = display
        codings.append(coding)
    text = clean(read.value(f"{path}.9"))
    if not codings and text is None:
        text = clean(read.value(f"{path}.2"))
    concept: Json = {}
    if codings:
        concept["coding"] = codings
    if text:
        concept["text"] = text
    return concept or None


def table_coding(ctx: Hl7v2Context, table: str, code: str, target: str) -> Json | None:
    """The FHIR Coding a module's ConceptMap gives an HL7 table value (`0001`, `F`)."""
    value = clean(code)
    if value is None:
        return None
    return ctx.translate(f"http://terminology.hl7.org/CodeSystem/v2-{table}", value, target)


def authority_system(
    ctx: Hl7v2Context, read: Terser, namespace: str, universal: str, universal_type: str
) -> str | None:
    """The FHIR system of an assigning authority given as its parts' paths: the namespace
    through the ConceptMaps, else the universal id when it is an OID."""
    name = clean(read.value(namespace))
    if name is not None:
        mapped = ctx.translate(ASSIGNING_AUTHORITIES, name)
        if mapped is not None:
            return mapped["code"]
    oid = clean(read.value(universal))
    kind = (clean(read.value(universal_type)) or "").upper()
    if oid and kind == "ISO" and _OID.fullmatch(oid):
        return f"urn:oid:{oid}"
    return None


def identifier(ctx: Hl7v2Context, read: Terser, path: str, kind: str = "CX") -> Json | None:
    """A CX (value, authority in .4, type in .5) or EI (value, authority in .2-.4)."""
    value = clean(read.value(f"{path}.1"))
    if value is None:
        return None
    found: Json = {}
    if kind == "CX":
        type_code = clean(read.value(f"{path}.5"))
        type_coding = table_coding(ctx, "0203", type_code or "", IDENTIFIER_TYPES)
        if type_coding:
            found["type"] = {"coding": [type_coding]}
        system = authority_system(ctx, read, f"{path}.4.1", f"{path}.4.2", f"{path}.4.3")
        namespace = clean(read.value(f"{path}.4.1"))
    else:
        system = authority_system(ctx, read, f"{path}.2", f"{path}.3", f"{path}.4")
        namespace = clean(read.value(f"{path}.2"))
    if system:
        found["system"] = system
    found["value"] = value
    if namespace and not system:
        found["assigner"] = {"display": namespace}
    return found


def identifiers(ctx: Hl7v2Context, read: Terser, field: str) -> list[Json]:
    found = (identifier(ctx, read, path) for path in repetitions(read, field))
    return [i for i in found if i is not None]


def human_name(read: Terser, path: str) -> Json | None:
    """An XPN (or the name part of an XCN, starting at `first`)."""
    return _name(read, path, first=1)


def _name(read: Terser, path: str, *, first: int) -> Json | None:
    family = clean(read.value(f"{path}.{first}.1"))
    given = [g for g in (clean(read.value(f"{path}.{first + n}")) for n in (1, 2)) if g is not None]
    suffix = clean(read.value(f"{path}.{first + 3}"))
    prefix = clean(read.value(f"{path}.{first + 4}"))
    degree = clean(read.value(f"{path}.{first + 5}"))
    name: Json = {}
    if family:
        name["family"] = family
    if given:
        name["given"] = given
    if prefix:
        name["prefix"] = [prefix]
    suffixes = [s for s in (suffix, degree) if s]
    if suffixes:
        name["suffix"] = suffixes
    return name or None


def human_names(read: Terser, field: str) -> list[Json]:
    found = (human_name(read, path) for path in repetitions(read, field))
    return [n for n in found if n is not None]


def person_name(read: Terser, path: str) -> Json | None:
    """The name in an XCN (id in .1, family name from .2)."""
    return _name(read, path, first=2)


def address(read: Terser, path: str) -> Json | None:
    street = clean(read.value(f"{path}.1.1"))
    other = clean(read.value(f"{path}.2"))
    parts = {
        "city": clean(read.value(f"{path}.3")),
        "state": clean(read.value(f"{path}.4")),
        "postalCode": clean(read.value(f"{path}.5")),
        "country": clean(read.value(f"{path}.6")),
    }
    found: Json = {}
    lines = [line for line in (street, other) if line]
    if lines:
        found["line"] = lines
    found.update({key: value for key, value in parts.items() if value})
    return found or None


def addresses(read: Terser, field: str) -> list[Json]:
    found = (address(read, path) for path in repetitions(read, field))
    return [a for a in found if a is not None]


def telecom(ctx: Hl7v2Context, read: Terser, path: str) -> Json | None:
    """An XTN: the number as sent in .1, else its unformatted parts (.6 area, .7 local, .8
    extension) or the e-mail in .4; system and use from tables 0202 and 0201."""
    value = clean(read.value(f"{path}.1"))
    email = clean(read.value(f"{path}.4"))
    unformatted = clean(read.value(f"{path}.12"))
    if value is None:
        area, local = clean(read.value(f"{path}.6")), clean(read.value(f"{path}.7"))
        # the number's own parts, joined as the sender would dial them
        value = email or unformatted or (f"{area}{local}" if area and local else local)
    if value is None:
        return None
    point: Json = {}
    system = table_coding(ctx, "0202", read.value(f"{path}.3"), _CONTACT_SYSTEM)
    if system:
        point["system"] = system["code"]
    point["value"] = value
    use = table_coding(ctx, "0201", read.value(f"{path}.2"), _CONTACT_USE)
    if use:
        point["use"] = use["code"]
    return point


def telecoms(ctx: Hl7v2Context, read: Terser, field: str) -> list[Json]:
    found = (telecom(ctx, read, path) for path in repetitions(read, field))
    return [t for t in found if t is not None]


def put(resource: Json, key: str, value: object) -> None:
    """Set `key` only when there is something to set: FHIR forbids empty elements."""
    if value:
        resource[key] = value


def own_segments(group: Group, segment_id: str) -> list[Segment]:
    """The group's own segments with this id, not those of the groups within it."""
    return [s for s in group.children if isinstance(s, Segment) and s.id == segment_id]
