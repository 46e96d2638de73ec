"""The people and organisations of a message: Patient (PID, NK1), Practitioner,
PractitionerRole and Organization (PRD, XCN and XON fields, MSH facilities)."""

from __future__ import annotations

from painfhir.mapping._context import Hl7v2Context
from painfhir.mapping.hl7v2 import Segment, Terser
from painfhir.mapping.v2fhir._types import (
    Json,
    addresses,
    authority_system,
    clean,
    codeable_concept,
    date_at,
    human_names,
    identifiers,
    person_name,
    put,
    table_coding,
    telecoms,
)

_GENDER = "http://hl7.org/fhir/administrative-gender"


def patient(ctx: Hl7v2Context, read: Terser, contacts: list[Segment]) -> Json:
    """The Patient of PID (in `read`'s scope) with its NK1 contacts; a Reference to it."""
    ids = identifiers(ctx, read, "PID-3")
    if not ids:
        ctx.require(read, "PID-3.1")
    first = ids[0]
    key = first.get("system") or first.get("assigner", {}).get("display", "")
    resource: Json = {
        "resourceType": "Patient",
        "id": ctx.resource_id("Patient", key, first["value"]),
        "identifier": ids,
    }
    put(resource, "name", human_names(read, "PID-5"))
    put(resource, "telecom", telecoms(ctx, read, "PID-13") + telecoms(ctx, read, "PID-14"))
    gender = table_coding(ctx, "0001", read.value("PID-8"), _GENDER)
    if gender:
        resource["gender"] = gender["code"]
    put(resource, "birthDate", date_at(ctx, read, "PID-7"))
    put(resource, "address", addresses(read, "PID-11"))
    put(resource, "contact", [_contact(ctx, read.within(nk1)) for nk1 in contacts])
    return ctx.add(resource)


def _contact(ctx: Hl7v2Context, read: Terser) -> Json:
    contact: Json = {}
    relationship = codeable_concept(ctx, read, "NK1-3")
    if relationship:
        contact["relationship"] = [relationship]
    names = human_names(read, "NK1-2")
    if names:
        contact["name"] = names[0]
    put(contact, "telecom", telecoms(ctx, read, "NK1-5") + telecoms(ctx, read, "NK1-6"))
    found = addresses(read, "NK1-4")
    if found:
        contact["address"] = found[0]
    organization = clean(read.value("NK1-13.1"))
    if organization:
        contact["organization"] = {"display": organization}
    return contact


def practitioner(ctx: Hl7v2Context, read: Terser, path: str) -> Json | None:
    """The Practitioner of an XCN at `path` (id in .1, authority in .9); a Reference."""
    value = clean(read.value(f"{path}.1"))
    name = person_name(read, path)
    if value is None and name is None:
        return None
    resource: Json = {"resourceType": "Practitioner"}
    system = authority_system(ctx, read, f"{path}.9.1", f"{path}.9.2", f"{path}.9.3")
    if value is not None:
        found: Json = {"system": system, "value": value} if system else {"value": value}
        resource["identifier"] = [found]
    if name is not None:
        resource["name"] = [name]
    key = (system or "", value) if value else ("name", str(name))
    resource["id"] = ctx.resource_id("Practitioner", *key)
    return ctx.add(resource)


def organization(ctx: Hl7v2Context, read: Terser, path: str, kind: str = "XON") -> Json | None:
    """The Organization of an XON (name .1, id .10 or .3, authority .6) or of an HD (a
    facility: namespace .1, universal id .2); a Reference."""
    resource: Json = {"resourceType": "Organization"}
    if kind == "HD":
        name = clean(read.value(f"{path}.1"))
        system = authority_system(ctx, read, f"{path}.1", f"{path}.2", f"{path}.3")
        value = clean(read.value(f"{path}.2")) if system else None
    else:
        name = clean(read.value(f"{path}.1"))
        value = clean(read.value(f"{path}.10")) or clean(read.value(f"{path}.3"))
        system = authority_system(ctx, read, f"{path}.6.1", f"{path}.6.2", f"{path}.6.3")
    if name is None and value is None:
        return None
    if value is not None:
        resource["identifier"] = [
            {"system": system, "value": value} if system else {"value": value}
        ]
    if name is not None:
        resource["name"] = name
    resource["id"] = ctx.resource_id("Organization", system or "", value or name or "")
    return ctx.add(resource)


def provider(ctx: Hl7v2Context, read: Terser) -> tuple[str, Json]:
    """A PRD: its role code (table 0286, `RP`, `RT`) and a Reference to the PractitionerRole
    tying the Practitioner to the Organization it acts for."""
    role = clean(read.value("PRD-1.1")) or ""
    person: Json = {"resourceType": "Practitioner"}
    # PRD-7 is a PLN: number, type of number (table 0338), state, expiry; no authority
    ids = [{"value": v} for v in (clean(x) for x in read.values("PRD-7")) if v]
    names = human_names(read, "PRD-2")
    put(person, "identifier", ids)
    put(person, "name", names)
    put(person, "telecom", telecoms(ctx, read, "PRD-5"))
    put(person, "address", addresses(read, "PRD-3"))
    key = (ids[0].get("system", ""), ids[0]["value"]) if ids else ("name", str(names))
    person["id"] = ctx.resource_id("Practitioner", *key)
    person_ref = ctx.add(person)
    facility = clean(read.value("PRD-10.1")) or clean(read.value("PRD-4.4.1"))
    practitioner_role: Json = {
        "resourceType": "PractitionerRole",
        "id": ctx.resource_id("PractitionerRole", *key, facility or ""),
        "practitioner": person_ref,
    }
    org = organization(ctx, read, "PRD-10") or organization(ctx, read, "PRD-4.4", "HD")
    if org is not None:
        practitioner_role["organization"] = org
    code = codeable_concept(ctx, read, "PRD-1")
    if code:
        practitioner_role["code"] = [code]
    return role, ctx.add(practitioner_role)
