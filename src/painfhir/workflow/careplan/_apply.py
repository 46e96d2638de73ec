"""`$apply` without the I/O: a pathway (PlanDefinition and its ActivityDefinitions) and the
patient's context in, a draft CarePlan with its requests and Goals out.

The CarePlan follows the pain-care-plan profile: categories assess-plan and chronic pain
control management, the MDT, the chronic pain Conditions, the Goals, and one activity per
request with its modality (the code of the pathway's action group) — in the pathway's order,
so within medication management non-opioid medicines come first.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from html import escape
from typing import Any

from painfhir.fhir.outcome import FhirError, Issue
from painfhir.workflow.careplan._applicability import applies
from painfhir.workflow.careplan._codes import (
    CARE_PLAN_PROFILE,
    MODALITY_EXTENSION,
    MODALITY_SYSTEM,
    SNOMED,
)
from painfhir.workflow.careplan._context import PlanContext, reference_to
from painfhir.workflow.careplan._goals import proposed_goal
from painfhir.workflow.careplan._requests import planned_request
from painfhir.workflow.careplan._sequence import hold_dependents

Json = dict[str, Any]

_CATEGORIES = [
    {
        "coding": [
            {
                "system": "http://hl7.org/fhir/us/core/CodeSystem/careplan-category",
                "code": "assess-plan",
                "display": "Assessment and Plan of Treatment",
            }
        ]
    },
    {
        "coding": [
            {"system": SNOMED, "code": "408957008", "display": "Chronic pain control management"}
        ]
    },
]


@dataclass(frozen=True, slots=True)
class Pathway:
    """A PlanDefinition and the ActivityDefinitions its actions name, by canonical url."""

    plan: Json
    activities: Mapping[str, Json]


@dataclass(slots=True)
class AppliedPlan:
    care_plan: Json
    requests: list[Json] = field(default_factory=list)
    goals: list[Json] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)  # e.g. activities left unassigned


def _modality(group: Json) -> Json | None:
    for concept in group.get("code") or []:
        for coding in concept.get("coding") or []:
            if coding.get("system") == MODALITY_SYSTEM:
                return {"coding": [coding]}
    return None


def _definition(pathway: Pathway, action: Json) -> Json:
    url = action.get("definitionCanonical")
    found = pathway.activities.get(str(url).partition("|")[0])
    if found is None:
        raise FhirError.of(422, "not-found", f"The pathway's ActivityDefinition {url} is not here")
    return found


def _activity(request: Json, modality: Json, title: str) -> Json:
    return {
        "extension": [{"url": MODALITY_EXTENSION, "valueCodeableConcept": modality}],
        "reference": {"reference": f"{request['resourceType']}/{request['id']}", "display": title},
    }


def _add_group(
    applied: AppliedPlan, pathway: Pathway, group: Json, context: PlanContext
) -> list[tuple[Json, Json]]:
    """Add the group's applicable actions to the plan; each with its request."""
    modality = _modality(group)
    if modality is None:
        raise FhirError.of(
            422, "invalid", f"Action group '{group.get('title')}' names no pain modality (code)"
        )
    conditions = list(context.conditions)
    done = []
    for action in group.get("action") or []:
        if not applies(action, context.patient, conditions):
            continue
        planned = planned_request(
            _definition(pathway, action), context, modality, applied.care_plan["id"]
        )
        applied.requests.append(planned.request)
        done.append((action, planned.request))
        applied.issues.extend(planned.issues)
        applied.care_plan["activity"].append(
            _activity(planned.request, modality, str(action.get("title")))
        )
    return done


def _titles(actions: list[Json]) -> dict[str, str]:
    """Every action of the pathway, nested ones too, its title by id."""
    titles = {}
    for action in actions:
        if "id" in action:
            titles[str(action["id"])] = str(action.get("title") or action["id"])
        titles |= _titles(action.get("action") or [])
    return titles


def _narrative(plan: Json, goals: list[Json], care_plan: Json) -> Json:
    goal_items = "".join(f"<li>{escape(g['description']['text'])}</li>" for g in goals)
    activity_items = "".join(
        f"<li>{escape(a['reference']['display'])}</li>" for a in care_plan["activity"]
    )
    div = (
        f'<div xmlns="http://www.w3.org/1999/xhtml"><p><b>{escape(str(plan.get("title")))}'
        f"</b> (draft, from the pathway)</p><p>Goals:</p><ul>{goal_items}</ul>"
        f"<p>Activities:</p><ul>{activity_items}</ul></div>"
    )
    return {"status": "generated", "div": div}


def _draft_care_plan(pathway: Pathway, context: PlanContext) -> Json:
    plan = pathway.plan
    care_plan: Json = {
        "resourceType": "CarePlan",
        "id": context.new_id(),
        "meta": {"profile": [CARE_PLAN_PROFILE]},
        "instantiatesCanonical": [plan["url"]],
        "status": "draft",
        "intent": "plan",
        "category": _CATEGORIES,
        "title": plan.get("title") or plan.get("name"),
        "description": plan.get("description"),
        "subject": context.subject,
        "period": {"start": context.today},
        "created": context.today,
        "careTeam": [reference_to(context.care_team)],
        "addresses": context.addresses,
        "supportingInfo": [reference_to(context.referral)] if context.referral else [],
        "goal": [],
        "activity": [],
    }
    if context.encounter is not None:
        care_plan["encounter"] = context.encounter
    if context.practitioner is not None:
        care_plan["author"] = context.practitioner
    return care_plan


def apply_pathway(pathway: Pathway, context: PlanContext) -> AppliedPlan:
    """The draft CarePlan, its requests and Goals; refuses (FhirError 422) a pathway that
    cannot be applied: an unknown ActivityDefinition, an opioid, no prescriber."""
    if not context.conditions:
        raise FhirError.of(
            422, "business-rule", "A pain care plan addresses a chronic pain Condition"
        )
    applied = AppliedPlan(_draft_care_plan(pathway, context))
    applied.goals = [proposed_goal(goal, context) for goal in pathway.plan.get("goal") or []]
    applied.care_plan["goal"] = [reference_to(goal) for goal in applied.goals]
    done = []
    for group in pathway.plan.get("action") or []:
        done += _add_group(applied, pathway, group, context)
    hold_dependents(done, _titles(pathway.plan.get("action") or []))
    if not applied.care_plan["activity"]:
        raise FhirError.of(422, "business-rule", "No action of the pathway applies to the patient")
    applied.care_plan = {k: v for k, v in applied.care_plan.items() if v not in ([], None)}
    applied.care_plan["text"] = _narrative(pathway.plan, applied.goals, applied.care_plan)
    return applied
