"""The canonical referral every module produces, whatever it read: the codes painfhir's
referral profiles fix, and the referral Task as the clinic starts it."""

from __future__ import annotations

from typing import Any

Json = dict[str, Any]

REFERRAL_PROFILE = "http://painfhir.org/fhir/StructureDefinition/pain-referral"
REFERRAL_TASK_PROFILE = "http://painfhir.org/fhir/StructureDefinition/pain-referral-task"
CHRONIC_PAIN_CONDITION_PROFILE = (
    "http://painfhir.org/fhir/StructureDefinition/chronic-pain-condition"
)
BUSINESS_STATUS = "http://hl7.org/fhir/us/bser/CodeSystem/TaskBusinessStatusCS"
IDENTIFIER_TYPES = "http://terminology.hl7.org/CodeSystem/v2-0203"
# the profiles' fixed patterns
REFERRAL_CATEGORY = {"coding": [{"system": "http://snomed.info/sct", "code": "3457005"}]}
FULFILL = {"coding": [{"system": "http://hl7.org/fhir/CodeSystem/task-code", "code": "fulfill"}]}
PLACER = {"coding": [{"system": IDENTIFIER_TYPES, "code": "PLAC"}]}


def received_referral_task(
    task_id: str,
    placer: Json,
    focus: Json,
    patient: Json,
    authored_on: str,
    requester: Json,
    owner: Json,
) -> Json:
    """The referral Task as the clinic starts it: received (BSeR 2.0), owned by the clinic,
    its focus the referral ServiceRequest."""
    return {
        "resourceType": "Task",
        "id": task_id,
        "meta": {"profile": [REFERRAL_TASK_PROFILE]},
        "identifier": [placer],
        "status": "received",
        "businessStatus": {"coding": [{"system": BUSINESS_STATUS, "code": "2.0"}]},
        "intent": "order",
        "code": FULFILL,
        "focus": focus,
        "for": patient,
        "authoredOn": authored_on,
        "requester": requester,
        "owner": owner,
    }


def referral_task_criteria(placer: Json) -> str:
    """The referral Task's search by the placer identifier it carries: how a mapping adds
    the Task only when the referral has none yet, and finds it again (REF^I14)."""
    return f"identifier={placer['system']}|{placer['value']}"
