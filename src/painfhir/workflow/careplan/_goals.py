"""A pathway's goals made the patient's own: proposed Goals, with their due dates counted from
the day the plan is made. Pathways aim at function (walking, work, sleep, pacing) as much as
at pain scores."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from painfhir.workflow.careplan._context import PlanContext

Json = dict[str, Any]

_DAYS_PER_UNIT = {"d": 1, "wk": 7, "mo": 30, "a": 365}


def _due_date(due: Any, today: str) -> str | None:
    """PlanDefinition.goal.target.due is a Duration after the plan's start."""
    if not isinstance(due, dict) or due.get("code") not in _DAYS_PER_UNIT:
        return None
    days = int(due.get("value", 0)) * _DAYS_PER_UNIT[str(due["code"])]
    return (date.fromisoformat(today) + timedelta(days=days)).isoformat()


def _target(target: Json, today: str) -> Json:
    made = {key: value for key, value in target.items() if key != "due"}
    due = _due_date(target.get("due"), today)
    if due is not None:
        made["dueDate"] = due
    return made


def proposed_goal(definition: Json, context: PlanContext) -> Json:
    """The Goal for one PlanDefinition.goal, proposed for the clinician and patient to agree."""
    goal: Json = {
        "resourceType": "Goal",
        "id": context.new_id(),
        "lifecycleStatus": "proposed",
        "category": [definition["category"]] if "category" in definition else [],
        "description": definition["description"],
        "subject": context.subject,
        "startDate": context.today,
        "target": [_target(target, context.today) for target in definition.get("target") or []],
        "addresses": context.addresses,
    }
    if "priority" in definition:
        goal["priority"] = definition["priority"]
    if context.practitioner is not None:
        goal["expressedBy"] = context.practitioner
    return {key: value for key, value in goal.items() if value != []}
