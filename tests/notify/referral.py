"""A chronic low back pain referral from Mesa Verde's EHR to the pain clinic, as resources:
the Task at each step of the closed loop, and what the RRI^I12 about it reads."""

from __future__ import annotations

from typing import Any

Json = dict[str, Any]
BSER = "http://hl7.org/fhir/us/bser/CodeSystem/TaskBusinessStatusCS"
V2_0203 = "http://terminology.hl7.org/CodeSystem/v2-0203"
TASK_STATUS = {
    "2.0": "received",
    "3.0": "accepted",
    "4.0": "rejected",
    "6.0": "cancelled",
    "7.0": "completed",
}

PATIENT: Json = {
    "resourceType": "Patient",
    "id": "garcia",
    "identifier": [
        {
            "type": {"coding": [{"system": V2_0203, "code": "MR"}]},
            "system": "urn:oid:2.16.840.1.113883.3.72.5.9.1",
            "value": "MV-448812",
        }
    ],
    "name": [{"family": "Garcia", "given": ["Elena", "María"]}],
    "gender": "female",
    "birthDate": "1971-03-09",
}
REFERRING_DOCTOR: Json = {
    "resourceType": "Practitioner",
    "id": "raman",
    "identifier": [{"system": "http://hl7.org/fhir/sid/us-npi", "value": "1487603921"}],
    "name": [{"family": "Raman", "given": ["Priya"], "prefix": ["Dr."]}],
}
REFERRING_PRACTICE: Json = {
    "resourceType": "Organization",
    "id": "mesaverde",
    "identifier": [{"system": "urn:ietf:rfc:3986", "value": "urn:oid:2.16.840.1.113883.3.72"}],
    "name": "Mesa Verde Family Medicine",
}
CLINIC: Json = {
    "resourceType": "Organization",
    "id": "painfhir-clinic",
    "name": "Desert Pain Clinic",
    "address": [{"line": ["400 Saguaro Way", "Suite 2"], "city": "Tucson", "state": "AZ"}],
}
REFERRAL: Json = {
    "resourceType": "ServiceRequest",
    "id": "garcia-referral",
    "identifier": [
        {
            "type": {"coding": [{"system": V2_0203, "code": "PLAC"}]},
            "system": "urn:oid:2.16.840.1.113883.3.72.7",
            "value": "MVR-2026-0031",
        }
    ],
    "status": "active",
    "intent": "order",
    "priority": "urgent",
    "subject": {"reference": "Patient/garcia"},
}
APPOINTMENT: Json = {
    "resourceType": "Appointment",
    "id": "garcia-consult",
    "status": "booked",
    "start": "2026-11-16T09:00:00-07:00",
    "end": "2026-11-16T10:00:00-07:00",
    "basedOn": [{"reference": "ServiceRequest/garcia-referral"}],
    "participant": [
        {
            "actor": {"reference": "Practitioner/okafor", "display": "Dr. Ada Okafor"},
            "status": "accepted",
        }
    ],
}
CONSULT_NOTE = {
    "type": {
        "coding": [
            {
                "system": "http://painfhir.org/fhir/CodeSystem/referral-task-parameter",
                "code": "consult-note",
            }
        ],
        "text": "Consultation note",
    },
    "valueReference": {
        "reference": "DocumentReference/garcia-consult-note",
        "display": "Pain medicine consultation, 16 November 2026",
    },
}
CARE_PLAN = {
    "type": {"text": "Care plan"},
    "valueReference": {"reference": "CarePlan/garcia-plan"},
}


def task(code: str, version: int = 1, **changes: Any) -> Json:
    """The referral Task at business status `code`, as the store holds it."""
    resource: Json = {
        "resourceType": "Task",
        "id": "garcia-referral-task",
        "meta": {"versionId": str(version), "lastUpdated": "2026-11-03T16:20:05.123456Z"},
        "identifier": [REFERRAL["identifier"][0]],
        "status": TASK_STATUS.get(code, "in-progress"),
        "businessStatus": {"coding": [{"system": BSER, "code": code}]},
        "intent": "order",
        "code": {
            "coding": [{"system": "http://hl7.org/fhir/CodeSystem/task-code", "code": "fulfill"}]
        },
        "focus": {"reference": "ServiceRequest/garcia-referral"},
        "for": {"reference": "Patient/garcia"},
        "requester": {"reference": "PractitionerRole/raman-at-mesaverde"},
        "owner": {"reference": "Organization/painfhir-clinic", "display": "Desert Pain Clinic"},
    }
    resource.update(changes)
    return resource
