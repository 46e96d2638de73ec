"""One rule per message structure, each putting together the segment rules in the groups
that structure has: REF_I12 / OMG_O19 → the referral, REF_I14 → its cancellation request,
ORM_O01 / OML_O21 → orders, RDE_O11 → medication orders."""

from __future__ import annotations

from painfhir.mapping._context import Hl7v2Context
from painfhir.mapping.hl7v2 import Group, Terser
from painfhir.mapping.v2fhir._clinical import (
    allergy,
    condition,
    diagnostic_report,
    notes,
    observation,
    procedure,
)
from painfhir.mapping.v2fhir._coverage import authorization, coverage, encounter
from painfhir.mapping.v2fhir._orders import add_orders, order_groups, order_referral
from painfhir.mapping.v2fhir._people import patient, provider
from painfhir.mapping.v2fhir._referral import (
    Referral,
    add_referral,
    placer_identifier,
    receiving_facility,
    referral_code,
    referral_key,
    request_cancellation,
    sending_facility,
)
from painfhir.mapping.v2fhir._types import (
    Json,
    codeable_concept,
    date_time_at,
    message_time,
    own_segments,
    table_coding,
)

_REQUEST_STATUS = "http://hl7.org/fhir/request-status"
_REQUEST_PRIORITY = "http://hl7.org/fhir/request-priority"
# RF1-6, the originating referral identifier (EI)
_RF1_PLACER = ("RF1-6.1", "RF1-6.2", "RF1-6.3", "RF1-6.4")


def map_referral_message(ctx: Hl7v2Context) -> None:
    """REF^I12 → the canonical referral."""
    read, tree = ctx.read, ctx.tree
    placer = placer_identifier(ctx, read, _RF1_PLACER)
    key = referral_key(placer)
    subject = patient(ctx, read, own_segments(tree, "NK1"))
    roles = dict(provider(ctx, read.within(g)) for g in tree.groups("PROVIDER_CONTACT"))
    requester = roles.get("RP") or sending_facility(ctx)
    owner = roles.get("RT") or receiving_facility(ctx)
    if requester is None or owner is None:
        ctx.require(read, "MSH-4" if requester is None else "MSH-6")
    assert requester is not None and owner is not None  # require() raised otherwise
    status = table_coding(ctx, "0283", read.value("RF1-1"), _REQUEST_STATUS)
    referral = Referral(
        placer=placer,
        patient=subject,
        requester=requester,
        owner=owner,
        code=referral_code(ctx, read, "RF1-3", "RF1-13"),
        authored_on=_authored_on(ctx, read, "RF1-9", "RF1-7"),
        status=status["code"] if status else "active",
        performer=roles.get("RT"),
    )
    priority = table_coding(ctx, "0280", read.value("RF1-2"), _REQUEST_PRIORITY)
    referral.priority = priority["code"] if priority else None
    reason = codeable_concept(ctx, read, "RF1-10")
    _gather_context(ctx, tree, read, referral, key)
    referral.reason_codes = ([reason] if reason else []) + referral.reason_codes
    referral.notes = notes(read, own_segments(tree, "NTE"))
    add_referral(ctx, referral)


def _gather_context(
    ctx: Hl7v2Context, tree: Group, read: Terser, referral: Referral, key: str
) -> None:
    """The referral package of a REF_I12: insurance, diagnoses, allergies, prior
    procedures and results, the visit."""
    subject = referral.patient
    for group in tree.groups("INSURANCE"):
        found = coverage(ctx, read.within(group), subject)
        if found:
            referral.insurance.append(found)
    # the referral's own authorization; a PROCEDURE group's AUT is a past procedure's
    for group in tree.groups("AUTHORIZATION_CONTACT"):
        found = authorization(ctx, read.within(group), read, subject)
        if found:
            referral.insurance.append(found)
    for dg1 in own_segments(tree, "DG1"):
        found = condition(ctx, read.within(dg1), subject, key)
        diagnosis = codeable_concept(ctx, read.within(dg1), "DG1-3")
        if found and diagnosis:
            referral.reason_codes.append(diagnosis)
            referral.supporting_info.append(found)
    for al1 in own_segments(tree, "AL1"):
        allergy(ctx, read.within(al1), subject, key)
    for group in tree.groups("PROCEDURE"):
        found = procedure(ctx, read.within(group.segments("PR1")[0]), subject, key)
        if found:
            referral.supporting_info.append(found)
    for group in tree.groups("OBSERVATION"):
        report = _results(ctx, group, subject, key)
        if report:
            referral.supporting_info.append(report)
    visit = tree.group("PATIENT_VISIT")
    if visit is not None:
        referral.encounter = encounter(ctx, read.within(visit), subject, key)


def _results(ctx: Hl7v2Context, group: Group, subject: Json, key: str) -> Json | None:
    """A prior result: the OBR's report over its OBX Observations."""
    read = ctx.read
    results = []
    for obx in group.segments("OBX"):
        obx_key = f"{key}|{group.path}|{obx.number}"
        found = observation(ctx, read.within(obx), subject, obx_key)
        if found:
            results.append(found)
    if not group.segments("OBR"):
        return results[0] if len(results) == 1 else None
    return diagnostic_report(ctx, group, subject, f"{key}|{group.path}", results)


def map_cancellation_message(ctx: Hl7v2Context) -> None:
    """REF^I14 → a cancellation request on the referral's Task."""
    request_cancellation(ctx, placer_identifier(ctx, ctx.read, _RF1_PLACER))


def map_order_referral_message(ctx: Hl7v2Context) -> None:
    """OMG^O19 (the 360X referral order) → one canonical referral per ORDER group."""
    patient_group = ctx.tree.group("PATIENT")
    if patient_group is None:
        ctx.require(ctx.read, "PID-3")
    assert patient_group is not None
    for order in order_groups(ctx):
        add_referral(ctx, order_referral(ctx, patient_group, order))


def map_order_message(ctx: Hl7v2Context) -> None:
    """ORM^O01, OML^O21 → ServiceRequests; RDE^O11 → MedicationRequests."""
    add_orders(ctx)


def _authored_on(ctx: Hl7v2Context, read: Terser, *paths: str) -> str:
    for path in paths:
        found = date_time_at(ctx, read, path)
        if found:
            return found
    return message_time(ctx)


# by message type and trigger (MSH-9.1^9.2): REF^I14 shares REF^I12's structure, not its
# meaning
RULES_BY_MESSAGE_TYPE = {
    "REF^I12": map_referral_message,
    "REF^I14": map_cancellation_message,
    "OMG^O19": map_order_referral_message,
    "ORM^O01": map_order_message,
    "OML^O21": map_order_message,
    "RDE^O11": map_order_message,
}


def map_hl7v2(ctx: Hl7v2Context) -> None:
    """The rules of the message's type and trigger."""
    code, event, _ = ctx.message.message_type
    RULES_BY_MESSAGE_TYPE[f"{code}^{event}"](ctx)
