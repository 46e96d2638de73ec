"""`PlanDefinition/{id}/$apply` on the store: resolve the patient's context, apply the pathway
(pure), validate everything it made, and write it all in the caller's write session — one
database transaction, so a refusal leaves nothing half-written."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from painfhir.fhir.outcome import FhirError
from painfhir.interactions import reactions, writes
from painfhir.interactions._resources import new_id
from painfhir.store import WriteSession
from painfhir.validation.validator import write_refusal
from painfhir.workflow.careplan._apply import apply_pathway
from painfhir.workflow.careplan._conditions import addressed_conditions
from painfhir.workflow.careplan._context import PlanContext
from painfhir.workflow.careplan._parameters import ApplyParameters
from painfhir.workflow.careplan._templates import stored_pathway
from painfhir.workflow.referral._lookup import local_reference, resolve, search

Json = dict[str, Any]


def _stored(session: WriteSession, reference: Json, res_type: str, what: str) -> Json:
    target = local_reference(reference)
    found = resolve(session, reference) if target and target[0] == res_type else None
    if found is None:
        raise FhirError.of(
            422, "not-found", f"{what} {reference.get('reference')!r} is not a {res_type} here"
        )
    return found


def _of_patient(resource: Json, element: str, patient_id: str, what: str) -> Json:
    if (resource.get(element) or {}).get("reference") != f"Patient/{patient_id}":
        raise FhirError.of(422, "business-rule", f"{what} is not about Patient/{patient_id}")
    return resource


def _care_team(session: WriteSession, given: Json | None, patient_id: str) -> Json:
    if given is not None:
        team = _stored(session, given, "CareTeam", "careTeam")
        return _of_patient(team, "subject", patient_id, f"CareTeam/{team['id']}")
    teams = search(
        session, "CareTeam", [("subject", f"Patient/{patient_id}"), ("status", "active")], 2
    )
    if len(teams) != 1:
        found = "no active CareTeam" if not teams else "several active CareTeams"
        raise FhirError.of(
            422, "business-rule", f"Patient/{patient_id} has {found}: give `careTeam`"
        )
    return teams[0]


def plan_context(
    session: WriteSession, parameters: ApplyParameters, today: str, new_id: Callable[[], str]
) -> PlanContext:
    patient = _stored(session, parameters.subject, "Patient", "subject")
    referral = None
    if parameters.referral is not None:
        referral = _stored(session, parameters.referral, "ServiceRequest", "referral")
        _of_patient(referral, "subject", patient["id"], f"ServiceRequest/{referral['id']}")
    return PlanContext(
        patient=patient,
        conditions=tuple(addressed_conditions(session, patient["id"], referral)),
        care_team=_care_team(session, parameters.care_team, patient["id"]),
        today=today,
        new_id=new_id,
        referral=referral,
        practitioner=parameters.practitioner,
        encounter=parameters.encounter,
    )


def run_apply(
    session: WriteSession, plan_id: str, body: Any, *, lenient: bool = False
) -> writes.Written:
    """Apply PlanDefinition `plan_id`; the CarePlan's write, with the requests and Goals as
    its related versions and the unassigned activities as its issues."""
    pathway = stored_pathway(session, plan_id)
    parameters = ApplyParameters.of(body)
    context = plan_context(session, parameters, session.now.date().isoformat(), new_id)
    applied = apply_pathway(pathway, context)
    made = [applied.care_plan, *applied.goals, *applied.requests]
    for resource in made:
        refusal = write_refusal(resource, lenient=lenient)
        if refusal is not None:
            raise refusal
    with reactions.deferred():
        care_plan = writes.create(session, applied.care_plan, res_id=applied.care_plan["id"])
        others = [writes.create(session, r, res_id=r["id"]).version for r in made[1:]]
    reacted = reactions.Reacted(issues=list(applied.issues), related=others)
    return writes.Written(care_plan.status, care_plan.version, reacted)
