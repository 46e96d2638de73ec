"""What makes a ServiceRequest a referral to the clinic, and the Task it starts.

A ServiceRequest is a referral to this clinic when it is an active order (`intent` order,
`status` active) and either claims painfhir's referral profile, or is categorised as a
patient referral (SNOMED CT 3457005) and names the clinic's Organization among its
performers. A draft becomes a referral when it is made active; the clinic's own orders (a
physical therapy request of a care plan) claim other profiles and do not qualify.
"""

from __future__ import annotations

from typing import Any

from painfhir.workflow.referral._lookup import local_reference
from painfhir.workflow.referral._machine import TASK_CODE_SYSTEM, business_status_concept
from painfhir.workflow.referral._states import BusinessStatus

Json = dict[str, Any]
REFERRAL_PROFILE = "http://painfhir.org/fhir/StructureDefinition/pain-referral"
REFERRAL_TASK_PROFILE = "http://painfhir.org/fhir/StructureDefinition/pain-referral-task"
_SNOMED = "http://snomed.info/sct"
_PATIENT_REFERRAL = "3457005"
_IDENTIFIER_TYPES = "http://terminology.hl7.org/CodeSystem/v2-0203"
# The types the referral Task profile allows as requester.
_TASK_REQUESTERS = ("Practitioner", "PractitionerRole", "Organization")


def _claims(resource: Json, profile: str) -> bool:
    return profile in ((resource.get("meta") or {}).get("profile") or [])


def is_referral(request: Json, clinic: str) -> bool:
    """Whether a ServiceRequest is a referral to the clinic whose Organization is `clinic`."""
    if request.get("intent") != "order" or request.get("status") != "active":
        return False
    if _claims(request, REFERRAL_PROFILE):
        return True
    categorised = any(
        coding.get("system") == _SNOMED and coding.get("code") == _PATIENT_REFERRAL
        for category in request.get("category") or []
        for coding in category.get("coding") or []
    )
    performers = {(p or {}).get("reference") for p in request.get("performer") or []}
    return categorised and clinic in performers


def _requester_allowed(request: Json) -> bool:
    target = local_reference(request.get("requester"))
    return target is not None and target[0] in _TASK_REQUESTERS


def _placer_and_filler(request: Json) -> list[Json]:
    """The referral's placer and filler identifiers, which the Task carries too."""
    return [
        identifier
        for identifier in request.get("identifier") or []
        if any(
            c.get("system") == _IDENTIFIER_TYPES and c.get("code") in ("PLAC", "FILL")
            for c in (identifier.get("type") or {}).get("coding") or []
        )
    ]


def arrival_task(request_id: str, request: Json, clinic: str, received: str) -> Json:
    """The referral Task of a referral received at instant `received`: 2.0, owned by the clinic.

    It claims the referral Task profile when the referral claims the referral profile and its
    requester is one the Task profile allows (a patient referring themselves is not)."""
    task: Json = {"resourceType": "Task"}
    if _claims(request, REFERRAL_PROFILE) and _requester_allowed(request):
        task["meta"] = {"profile": [REFERRAL_TASK_PROFILE]}
    identifiers = _placer_and_filler(request)
    if identifiers:
        task["identifier"] = identifiers
    task["status"] = BusinessStatus.RECEIVED.task_status
    task["businessStatus"] = business_status_concept(BusinessStatus.RECEIVED)
    task["intent"] = "order"
    if request.get("priority"):
        task["priority"] = request["priority"]
    task["code"] = {
        "coding": [
            {"system": TASK_CODE_SYSTEM, "code": "fulfill", "display": "Fulfill the focal request"}
        ]
    }
    task["focus"] = {"reference": f"ServiceRequest/{request_id}"}
    if request.get("subject"):
        task["for"] = request["subject"]
    task["authoredOn"] = received
    task["lastModified"] = received
    if request.get("requester"):
        task["requester"] = request["requester"]
    task["owner"] = {"reference": clinic}
    return task
