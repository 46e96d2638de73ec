"""The canonical referral: a ServiceRequest on painfhir's referral profile and the referral
Task that tracks it (BSeR: Task.focus is the ServiceRequest), from REF^I12 or OMG^O19; and
the referring side's cancellation request from REF^I14."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field

import orjson

from painfhir.mapping._canonical import (
    BUSINESS_STATUS,
    PLACER,
    REFERRAL_CATEGORY,
    REFERRAL_PROFILE,
    received_referral_task,
    referral_task_criteria,
)
from painfhir.mapping._context import Hl7v2Context
from painfhir.mapping.hl7v2 import Terser
from painfhir.mapping.v2fhir._people import organization
from painfhir.mapping.v2fhir._types import (
    Json,
    authority_system,
    clean,
    message_time,
    put,
)


@dataclass
class Referral:
    """What the rules gathered about one referral, before it becomes resources."""

    placer: Json  # Identifier: system and value
    patient: Json
    requester: Json
    owner: Json
    code: Json
    authored_on: str
    status: str
    priority: str | None = None
    performer: Json | None = None
    encounter: Json | None = None
    reason_codes: list[Json] = field(default_factory=list)
    insurance: list[Json] = field(default_factory=list)
    supporting_info: list[Json] = field(default_factory=list)
    notes: list[Json] = field(default_factory=list)


def placer_identifier(ctx: Hl7v2Context, read: Terser, paths: tuple[str, str, str, str]) -> Json:
    """The referring side's number for the referral: an EI whose value, namespace,
    universal id and its type are at `paths`. Its system is its assigning authority's; a
    number whose authority has no known system is scoped by the sending facility (MSH-4),
    which assigned it."""
    value = ctx.require(read, paths[0])
    system = authority_system(ctx, read, *paths[1:])
    header = ctx.read
    system = system or authority_system(ctx, header, "MSH-4.1", "MSH-4.2", "MSH-4.3")
    if system is None:
        ctx.require(read, paths[2])  # names the field to fix in the acknowledgement
    return {"type": PLACER, "system": system, "value": value}


def referral_key(placer: Json) -> str:
    return f"{placer['system']}|{placer['value']}"


def receiving_facility(ctx: Hl7v2Context) -> Json | None:
    """The clinic the message was sent to (MSH-6), as an Organization."""
    return organization(ctx, ctx.read, "MSH-6", "HD")


def sending_facility(ctx: Hl7v2Context) -> Json | None:
    return organization(ctx, ctx.read, "MSH-4", "HD")


def add_referral(ctx: Hl7v2Context, referral: Referral) -> Json:
    """The ServiceRequest and its Task; a Reference to the ServiceRequest."""
    key = referral_key(referral.placer)
    request: Json = {
        "resourceType": "ServiceRequest",
        "id": ctx.resource_id("ServiceRequest", key),
        "meta": {"profile": [REFERRAL_PROFILE]},
        "identifier": [referral.placer],
        "status": referral.status,
        "intent": "order",
        "category": [REFERRAL_CATEGORY],
    }
    put(request, "priority", referral.priority)
    request["code"] = referral.code
    request["subject"] = referral.patient
    put(request, "encounter", referral.encounter)
    request["authoredOn"] = referral.authored_on
    request["requester"] = referral.requester
    put(request, "performer", [referral.performer] if referral.performer else [])
    put(request, "reasonCode", referral.reason_codes)
    put(request, "insurance", referral.insurance)
    put(request, "supportingInfo", referral.supporting_info)
    put(request, "note", referral.notes)
    request_ref = ctx.add(request)
    # The clinic moves the Task on from 2.0; a resent or updated referral must not put it back.
    ctx.add_if_none_exist(
        _task(ctx, referral, request_ref, key), referral_task_criteria(referral.placer)
    )
    return request_ref


def _task(ctx: Hl7v2Context, referral: Referral, focus: Json, key: str) -> Json:
    """The referral Task, authored when the message was sent (MSH-7)."""
    return received_referral_task(
        ctx.resource_id("Task", key),
        referral.placer,
        focus,
        referral.patient,
        message_time(ctx),
        referral.requester,
        referral.owner,
    )


def request_cancellation(ctx: Hl7v2Context, placer: Json) -> None:
    """REF^I14: the referring side asks to cancel (BSeR 5.2) the referral's Task. Only the
    Task's status changes, so the entry is a PATCH: the clinic's own data on the Task
    (owner, notes, outputs) stays as it is. Whether 5.2 may follow the Task's current
    state is the workflow's decision when the PATCH is applied."""
    operations = [
        {"op": "replace", "path": "/status", "value": "in-progress"},
        {
            "op": "replace",
            "path": "/businessStatus",
            "value": {"coding": [{"system": BUSINESS_STATUS, "code": "5.2"}]},
        },
    ]
    patch: Json = {
        "resourceType": "Binary",
        "id": ctx.resource_id("Binary", referral_key(placer), "cancellation"),
        "contentType": "application/json-patch+json",
        "data": base64.b64encode(orjson.dumps(operations)).decode("ascii"),
    }
    ctx.add_entry(patch, method="PATCH", url=f"Task?{referral_task_criteria(placer)}")


def referral_code(ctx: Hl7v2Context, read: Terser, type_path: str, text_path: str) -> Json:
    """The service asked for: the referral type (table 0281) through the ConceptMaps, with
    the sender's words as text."""
    # To SNOMED CT only: table 0281 is mapped to other systems too (the claim type of the
    # referral's prior authorization), which are no kind of service.
    coding = ctx.translate(
        "http://terminology.hl7.org/CodeSystem/v2-0281",
        read.value(f"{type_path}.1"),
        "http://snomed.info/sct",
    )
    code: Json = {}
    if coding:
        code["coding"] = [coding]
    text = clean(read.value(text_path)) or clean(read.value(f"{type_path}.2"))
    put(code, "text", text)
    if not code:
        ctx.require(read, type_path)
    return code
