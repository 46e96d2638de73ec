"""Orders: ORC + OBR as a ServiceRequest (the referral of an OMG^O19, or a plain order of
ORM^O01 / OML^O21), ORC + RXE as a MedicationRequest (RDE^O11), each with the patient, visit
and insurance of its message's PATIENT group."""

from __future__ import annotations

from dataclasses import dataclass

from painfhir.mapping._context import Hl7v2Context
from painfhir.mapping._errors import MissingSourceError
from painfhir.mapping.hl7v2 import Group, Segment, Terser
from painfhir.mapping.v2fhir._clinical import allergy, condition, notes, observation
from painfhir.mapping.v2fhir._coverage import coverage, encounter
from painfhir.mapping.v2fhir._dosage import dispense_request, dosage, encoded_timing, texts
from painfhir.mapping.v2fhir._people import patient, practitioner
from painfhir.mapping.v2fhir._referral import (
    Referral,
    placer_identifier,
    receiving_facility,
    referral_key,
    sending_facility,
)
from painfhir.mapping.v2fhir._types import (
    IDENTIFIER_TYPES,
    Json,
    clean,
    codeable_concept,
    date_time_at,
    message_time,
    own_segments,
    put,
    table_coding,
)

_REQUEST_STATUS = "http://hl7.org/fhir/request-status"
_MEDICATION_REQUEST_STATUS = "http://hl7.org/fhir/CodeSystem/medicationrequest-status"
_REQUEST_PRIORITY = "http://hl7.org/fhir/request-priority"
# an order's placer number: ORC-2, else OBR-2, else the placer part of ORC-4's group number
_PLACER_NUMBERS = (
    ("ORC-2.1", "ORC-2.2", "ORC-2.3", "ORC-2.4"),
    ("OBR-2.1", "OBR-2.2", "OBR-2.3", "OBR-2.4"),
    ("ORC-4.1.1", "ORC-4.1.2", "ORC-4.1.3", "ORC-4.1.4"),
)
# groups whose OBX are not the order's own observations
_NOT_THE_ORDERS = frozenset({"PRIOR_RESULT", "SPECIMEN"})


@dataclass(frozen=True)
class PatientContext:
    subject: Json
    encounter: Json | None
    insurance: list[Json]


def patient_context(ctx: Hl7v2Context, group: Group, key: str) -> PatientContext:
    """The Patient, Encounter, Coverages and allergies of a PATIENT group."""
    read = ctx.read.within(group)
    subject = patient(ctx, read, own_segments(group, "NK1"))
    visit = group.group("PATIENT_VISIT")
    found_encounter = None if visit is None else encounter(ctx, read.within(visit), subject, key)
    insurance = [coverage(ctx, read.within(g), subject) for g in group.groups("INSURANCE")]
    for al1 in own_segments(group, "AL1"):
        allergy(ctx, read.within(al1), subject, key)
    return PatientContext(subject, found_encounter, [c for c in insurance if c])


def order_placer(ctx: Hl7v2Context, read: Terser) -> Json:
    for paths in _PLACER_NUMBERS:
        if clean(read.value(paths[0])):
            return placer_identifier(ctx, read, paths)
    return placer_identifier(ctx, read, _PLACER_NUMBERS[0])


def order_referral(ctx: Hl7v2Context, patient_group: Group, order: Group) -> Referral:
    """An OMG^O19 ORDER as the canonical referral."""
    read = ctx.read.within(order)
    placer = order_placer(ctx, read)
    key = referral_key(placer)
    context = patient_context(ctx, patient_group, key)
    requester = _requester(ctx, read) or sending_facility(ctx)
    owner = receiving_facility(ctx)
    if requester is None or owner is None:
        ctx.require(ctx.read, "MSH-4" if requester is None else "MSH-6")
    assert requester is not None and owner is not None  # require() raised otherwise
    code = codeable_concept(ctx, read, "OBR-4") or {"text": ctx.require(read, "OBR-4.2")}
    status = _status(ctx, read, _REQUEST_STATUS)
    referral = Referral(
        placer=placer,
        patient=context.subject,
        requester=requester,
        owner=owner,
        code=code,
        authored_on=_authored_on(ctx, read),
        status=status or "active",
        encounter=context.encounter,
        insurance=context.insurance,
    )
    referral.priority = _priority(ctx, read)
    _order_details(ctx, order, read, referral, key)
    return referral


def _order_details(
    ctx: Hl7v2Context, order: Group, read: Terser, referral: Referral, key: str
) -> None:
    """Diagnoses, observations and notes of an order."""
    for dg1 in order.segments("DG1"):
        found = condition(ctx, read.within(dg1), referral.patient, key)
        diagnosis = codeable_concept(ctx, read.within(dg1), "DG1-3")
        if found and diagnosis:
            referral.reason_codes.append(diagnosis)
            referral.supporting_info.append(found)
    study_reason = codeable_concept(ctx, read, "OBR-31")
    if study_reason:
        referral.reason_codes.append(study_reason)
    for group in _observation_groups(order):
        for obx in group.segments("OBX"):
            obx_key = f"{key}|{group.path}|{obx.number}"
            found = observation(ctx, read.within(obx), referral.patient, obx_key)
            if found:
                referral.supporting_info.append(found)
    obr = order.segments("OBR")
    holder = _holder(order, obr[0]) if obr else order
    referral.notes = notes(read, own_segments(holder, "NTE"))


def add_orders(ctx: Hl7v2Context) -> None:
    """Every ORDER of an ORM^O01, OML^O21 or RDE^O11."""
    patient_group = ctx.tree.group("PATIENT")
    if patient_group is None:
        ctx.require(ctx.read, "PID-3")
    assert patient_group is not None
    for order in order_groups(ctx):
        read = ctx.read.within(order)
        key = referral_key(order_placer(ctx, read))
        if order.segments("RXE"):
            context = patient_context(ctx, patient_group, key)
            ctx.add(medication_request(ctx, order, context, key))
        else:
            ctx.add(service_request(ctx, order, patient_group, key))


def order_groups(ctx: Hl7v2Context) -> list[Group]:
    """The message's ORDER groups. Each begins with its ORC, so a message without one has
    none, and would map to an empty Bundle: the ORC is what is missing."""
    orders = ctx.tree.groups("ORDER")
    if not orders:
        raise MissingSourceError("an ORC segment is required and missing", segment="ORC")
    return orders


def service_request(ctx: Hl7v2Context, order: Group, patient_group: Group, key: str) -> Json:
    """A plain order: what the referral of the same ORDER would say, without the referral
    profile and its Task."""
    read = ctx.read.within(order)
    found = order_referral(ctx, patient_group, order)
    request: Json = {
        "resourceType": "ServiceRequest",
        "id": ctx.resource_id("ServiceRequest", key),
        "identifier": [found.placer, *_filler(ctx, read)],
        "status": found.status,
        "intent": "order",
    }
    put(request, "priority", found.priority)
    request["code"] = found.code
    request["subject"] = found.patient
    put(request, "encounter", found.encounter)
    put(request, "occurrenceDateTime", date_time_at(ctx, read, "OBR-7"))
    request["authoredOn"] = found.authored_on
    put(request, "requester", _requester(ctx, read))
    put(request, "reasonCode", found.reason_codes)
    put(request, "insurance", found.insurance)
    put(request, "supportingInfo", found.supporting_info)
    put(request, "note", found.notes)
    return request


def medication_request(ctx: Hl7v2Context, order: Group, context: PatientContext, key: str) -> Json:
    read = ctx.read.within(order)
    status = _status(ctx, read, _MEDICATION_REQUEST_STATUS)
    tq1 = encoded_timing(order)
    priority = _priority(ctx, read.within(tq1)) if tq1 else None
    medication = codeable_concept(ctx, read, "RXE-2") or {"text": ctx.require(read, "RXE-2.2")}
    request: Json = {
        "resourceType": "MedicationRequest",
        "id": ctx.resource_id("MedicationRequest", key),
        "identifier": [order_placer(ctx, read), *_filler(ctx, read)],
        "status": status or "unknown",
        "intent": "order",
    }
    # the priority of the RXE's own timing, else that of the order as placed
    put(request, "priority", priority or _priority(ctx, read))
    request["medicationCodeableConcept"] = medication
    request["subject"] = context.subject
    put(request, "encounter", context.encounter)
    request["authoredOn"] = _authored_on(ctx, read)
    put(request, "requester", _requester(ctx, read))
    put(request, "insurance", context.insurance)
    # the special dispensing instructions are for the pharmacy, not how to take it; R4 has
    # no element of dispenseRequest for them (R5's dispenserInstruction), so they are notes
    put(request, "note", [{"text": text} for text in texts(read, "RXE-21")])
    found_dosage = dosage(ctx, order, read)
    put(request, "dosageInstruction", [found_dosage] if found_dosage else [])
    put(request, "dispenseRequest", dispense_request(ctx, read))
    return request


def _filler(ctx: Hl7v2Context, read: Terser) -> list[Json]:
    value = clean(read.value("ORC-3.1")) or clean(read.value("OBR-3.1"))
    if value is None:
        return []
    return [{"type": {"coding": [{"system": IDENTIFIER_TYPES, "code": "FILL"}]}, "value": value}]


def _requester(ctx: Hl7v2Context, read: Terser) -> Json | None:
    return practitioner(ctx, read, "ORC-12") or practitioner(ctx, read, "OBR-16")


def _status(ctx: Hl7v2Context, read: Terser, target: str) -> str | None:
    """The status `target` gives ORC-5, the order status (table 0038), else ORC-1, the order
    control (table 0119): as in v2-to-FHIR the status comes first, since an order control
    like SC (status changed) only says that ORC-5 changed."""
    for table, path in (("0038", "ORC-5"), ("0119", "ORC-1")):
        coding = table_coding(ctx, table, read.value(path), target)
        if coding:
            return str(coding["code"])
    return None


def _priority(ctx: Hl7v2Context, read: Terser) -> str | None:
    coding = table_coding(ctx, "0485", read.value("TQ1-9.1"), _REQUEST_PRIORITY)
    return coding["code"] if coding else None


def _authored_on(ctx: Hl7v2Context, read: Terser) -> str:
    return date_time_at(ctx, read, "ORC-9") or message_time(ctx)


def _observation_groups(group: Group) -> list[Group]:
    found = []
    for child in group.children:
        if isinstance(child, Group) and child.name not in _NOT_THE_ORDERS:
            if child.name == "OBSERVATION":
                found.append(child)
            found.extend(_observation_groups(child))
    return found


def _holder(group: Group, segment: Segment) -> Group:
    """The group (`group` or one within it) that holds `segment` itself."""
    if segment in group.children:
        return group
    for child in group.children:
        if isinstance(child, Group) and segment in child.segments():
            return _holder(child, segment)
    return group
