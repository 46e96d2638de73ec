"""An ActivityDefinition of a pathway made concrete for one patient: a draft ServiceRequest
(procedures, therapy, psychological support) or a MedicationRequest proposal, with its
performer from the MDT. Opioids are never proposed: a prescriber writes them, under the
opioid safety checks."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from painfhir.fhir.outcome import FhirError, Issue
from painfhir.validation.profile import default_guide
from painfhir.workflow.careplan._codes import (
    MEDICATION_REQUEST_PROFILE,
    OPIOID_ANALGESICS,
    RXNORM,
    TREATMENT_REQUEST_PROFILE,
)
from painfhir.workflow.careplan._context import PlanContext, reference_to
from painfhir.workflow.careplan._performers import PAIN_PHYSICIAN, nucc_codes, team_member
from painfhir.workflow.opioids import PRODUCTS

Json = dict[str, Any]


@dataclass(frozen=True, slots=True)
class PlannedRequest:
    request: Json  # with its id
    issues: tuple[Issue, ...]  # an activity no member of the MDT can take


def is_opioid(product: Any) -> bool:
    """An RxNorm opioid product painfhir knows, or a code of the opioid analgesics value set."""
    opioids = default_guide().value_set(OPIOID_ANALGESICS)
    for coding in (product or {}).get("coding") or []:
        code = (coding.get("system"), coding.get("code"))
        if (code[0] == RXNORM and code[1] in PRODUCTS) or (opioids and code in opioids.codings):
            return True
    return False


def _role(definition: Json) -> Json | None:
    for participant in definition.get("participant") or []:
        if nucc_codes(participant.get("role")):
            role: Json = participant["role"]
            return role
    return None


def _performer(definition: Json, context: PlanContext) -> tuple[Json | None, list[Issue]]:
    role = _role(definition)
    if role is None:
        return None, []
    member = team_member(context.care_team, nucc_codes(role)[0], context.today)
    if member is not None:
        return member, []
    team = f"CareTeam/{context.care_team['id']}"
    message = (
        f"No member of {team} has the role {nucc_codes(role)[0]} for "
        f"'{definition.get('title')}': it is left unassigned"
    )
    return None, [Issue("warning", "incomplete", message)]


def requester(context: PlanContext) -> Json | None:
    """Who orders: the practitioner applying the pathway, else the MDT's pain physician."""
    return context.practitioner or team_member(context.care_team, PAIN_PHYSICIAN, context.today)


def _common(definition: Json, context: PlanContext, care_plan_id: str) -> Json:
    based_on = [{"reference": f"CarePlan/{care_plan_id}"}]
    if context.referral is not None:
        based_on.append(reference_to(context.referral))
    common: Json = {
        "instantiatesCanonical": [definition["url"]],
        "basedOn": based_on,
        "status": "draft",
        "intent": definition.get("intent") or "plan",
        "subject": context.subject,
    }
    if context.encounter is not None:
        common["encounter"] = context.encounter
    return common


def _service_request(definition: Json, context: PlanContext, modality: Json, base: Json) -> Json:
    request: Json = {
        "resourceType": "ServiceRequest",
        "meta": {"profile": [TREATMENT_REQUEST_PROFILE]},
        **base,
        "category": [modality],
        "code": definition["code"],
    }
    if "timingTiming" in definition:
        request["occurrenceTiming"] = definition["timingTiming"]
    request["authoredOn"] = context.today
    ordering = requester(context)
    if ordering is not None:
        request["requester"] = ordering
    if _role(definition) is not None:
        request["performerType"] = _role(definition)
    if "bodySite" in definition:
        request["bodySite"] = definition["bodySite"]
    return request


def _medication_request(definition: Json, context: PlanContext, base: Json) -> Json:
    product = definition.get("productCodeableConcept")
    if is_opioid(product):
        raise FhirError.of(
            422,
            "business-rule",
            f"{definition['url']} proposes an opioid: pathways propose non-opioid medicines only",
        )
    prescriber = requester(context)
    if prescriber is None:
        raise FhirError.of(
            422,
            "required",
            "A medication proposal needs a prescriber: give `practitioner`, or put a pain "
            "medicine physician in the CareTeam",
        )
    request: Json = {
        "resourceType": "MedicationRequest",
        "meta": {"profile": [MEDICATION_REQUEST_PROFILE]},
        **base,
        "medicationCodeableConcept": product,
        "authoredOn": context.today,
        "requester": prescriber,
    }
    if "dosage" in definition:
        request["dosageInstruction"] = definition["dosage"]
    return request


def planned_request(
    definition: Json, context: PlanContext, modality: Json, care_plan_id: str
) -> PlannedRequest:
    """The request carrying out `definition` for the patient, in the modality of its group."""
    base = _common(definition, context, care_plan_id)
    base["reasonReference"] = context.addresses
    if definition.get("kind") == "MedicationRequest":
        request = _medication_request(definition, context, base)
        issues: list[Issue] = []
    elif definition.get("kind") == "ServiceRequest":
        request = _service_request(definition, context, modality, base)
        performer, issues = _performer(definition, context)
        if performer is not None:
            request["performer"] = [performer]
        else:
            request["note"] = [{"text": issue.diagnostics} for issue in issues]
    else:
        raise FhirError.of(
            422,
            "not-supported",
            f"{definition.get('url')} makes a {definition.get('kind')}: painfhir's pathways "
            "make ServiceRequests and MedicationRequests",
        )
    ordered = {"resourceType": request.pop("resourceType"), "id": context.new_id(), **request}
    return PlannedRequest(ordered, tuple(issues))
