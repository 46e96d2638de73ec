"""Insurance: Coverage and its payer Organization from IN1 (+ IN2), the payer's prior
authorization of the referral from AUT, and the Encounter of PV1 / PV2."""

from __future__ import annotations

from painfhir.mapping._context import Hl7v2Context, reference_to
from painfhir.mapping.hl7v2 import Terser
from painfhir.mapping.v2fhir._people import practitioner
from painfhir.mapping.v2fhir._types import (
    Json,
    addresses,
    clean,
    codeable_concept,
    date_at,
    date_time_at,
    identifier,
    message_time,
    put,
    table_coding,
    telecoms,
)

_ENCOUNTER_CLASS = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
_CLAIM_TYPE = "http://terminology.hl7.org/CodeSystem/claim-type"
_REFERRAL_TYPES = "http://terminology.hl7.org/CodeSystem/v2-0281"


def coverage(ctx: Hl7v2Context, read: Terser, beneficiary: Json) -> Json | None:
    """IN1 with its IN2 in `read`'s scope (one INSURANCE group)."""
    payer = _payer(ctx, read)
    if payer is None:
        return None
    policy = clean(read.value("IN1-36")) or clean(read.value("IN2-8"))
    plan = clean(read.value("IN1-2.1")) or ""
    resource: Json = {
        "resourceType": "Coverage",
        "id": ctx.resource_id("Coverage", payer["reference"], plan, policy or ""),
    }
    if policy:
        resource["identifier"] = [{"value": policy}]
    # a Coverage sent with a referral is the one the referral is to be paid by
    resource["status"] = "active"
    put(resource, "type", codeable_concept(ctx, read, "IN1-15"))
    subscriber = clean(read.value("IN1-49.1")) or clean(read.value("IN2-1.1"))
    put(resource, "subscriberId", subscriber)
    resource["beneficiary"] = beneficiary
    relationship = codeable_concept(ctx, read, "IN1-17")
    if relationship:
        resource["relationship"] = relationship
    period = {"start": date_at(ctx, read, "IN1-12"), "end": date_at(ctx, read, "IN1-13")}
    put(resource, "period", {key: value for key, value in period.items() if value})
    resource["payor"] = [payer]
    return ctx.add(resource)


def _payer(ctx: Hl7v2Context, read: Terser) -> Json | None:
    name = clean(read.value("IN1-4.1"))
    company = identifier(ctx, read, "IN1-3")
    if name is None and company is None:
        return None
    resource: Json = {"resourceType": "Organization"}
    if company:
        company.pop("type", None)  # IN1-3's type is the company's id type, not the payer's
        resource["identifier"] = [company]
    put(resource, "name", name)
    put(resource, "telecom", telecoms(ctx, read, "IN1-7"))
    put(resource, "address", addresses(read, "IN1-5"))
    key = (company.get("system", ""), company["value"]) if company else ("name", name or "")
    resource["id"] = ctx.resource_id("Organization", *key)
    return ctx.add(resource)


def authorization(ctx: Hl7v2Context, read: Terser, message: Terser, patient: Json) -> Json | None:
    """AUT in `read`'s scope: the payer's prior authorization (AUT-6) of the referral, as a
    preauthorization ClaimResponse, with the payer (AUT-2, AUT-3) as its insurer. Its type
    comes from the referral's type (RF1-3, read through `message`) through the ConceptMap;
    it was created at AUT-10 (process date), else when the message was sent.

    Without its number, its payer or a claim type an AUT makes nothing: not even the payer,
    which would be left in the Bundle with nothing referring to it."""
    payer = _authorizing_payer(ctx, read)
    number = identifier(ctx, read, "AUT-6", "EI")
    claim_type = _claim_type(ctx, message)
    if payer is None or number is None or claim_type is None:
        return None
    insurer = reference_to(payer)
    resource: Json = {
        "resourceType": "ClaimResponse",
        "id": ctx.resource_id("ClaimResponse", insurer["reference"], number["value"]),
        "identifier": [number],
        "status": "active",
        "type": {"coding": [claim_type]},
        "use": "preauthorization",
        "patient": patient,
        "created": date_time_at(ctx, read, "AUT-10") or message_time(ctx),
        "insurer": insurer,
        "outcome": "complete",
        "preAuthRef": number["value"],
    }
    period = {"start": date_at(ctx, read, "AUT-4"), "end": date_at(ctx, read, "AUT-5")}
    put(resource, "preAuthPeriod", {key: value for key, value in period.items() if value})
    ctx.add_together(payer, resource)
    return reference_to(resource)


def _claim_type(ctx: Hl7v2Context, message: Terser) -> dict[str, str] | None:
    code = clean(message.value("RF1-3.1"))
    if code is None:
        # No referral type is a type the map does not list: its `unmapped` rule decides.
        return ctx.concept_maps.translate(_REFERRAL_TYPES, "", _CLAIM_TYPE)
    return ctx.translate(_REFERRAL_TYPES, code, _CLAIM_TYPE)


def _authorizing_payer(ctx: Hl7v2Context, read: Terser) -> Json | None:
    """AUT-2 (the payer's company id) and AUT-3 (its name): the same Organization as an IN1
    payer with that id and no assigning authority."""
    company = clean(read.value("AUT-2.1"))
    name = clean(read.value("AUT-3"))
    if company is None and name is None:
        return None
    resource: Json = {"resourceType": "Organization"}
    if company:
        resource["identifier"] = [{"value": company}]
    put(resource, "name", name)
    key = ("", company) if company else ("name", name or "")
    resource["id"] = ctx.resource_id("Organization", *key)
    return resource


def encounter(ctx: Hl7v2Context, read: Terser, subject: Json, owner_key: str) -> Json | None:
    """PV1 (+ PV2) in `read`'s scope."""
    visit_class = table_coding(ctx, "0004", read.value("PV1-2"), _ENCOUNTER_CLASS)
    if visit_class is None:
        return None
    visit_number = identifier(ctx, read, "PV1-19")
    key = visit_number["value"] if visit_number else owner_key
    resource: Json = {
        "resourceType": "Encounter",
        "id": ctx.resource_id("Encounter", key),
    }
    if visit_number:
        resource["identifier"] = [visit_number]
    end = date_time_at(ctx, read, "PV1-45")
    resource["status"] = "finished" if end else "in-progress"
    resource["class"] = visit_class
    resource["subject"] = subject
    participants = [practitioner(ctx, read, f"PV1-{field}") for field in (7, 8, 17)]
    put(resource, "participant", [{"individual": p} for p in participants if p])
    period = {"start": date_time_at(ctx, read, "PV1-44"), "end": end}
    put(resource, "period", {key: value for key, value in period.items() if value})
    reason = codeable_concept(ctx, read, "PV2-3")
    if reason:
        resource["reasonCode"] = [reason]
    return ctx.add(resource)
