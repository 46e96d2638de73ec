"""A chronic low back pain referral package, as a referring EHR sends it: a transaction
Bundle with the patient, the referring physician, the condition, prior imaging and
treatments, and the referral on painfhir's profile. Each call makes new identifiers, so
tests on one server never see each other's referrals."""

from __future__ import annotations

import uuid
from typing import Any

Json = dict[str, Any]
CLINIC = "Organization/painfhir-clinic"
SNOMED = "http://snomed.info/sct"
REFERRAL_PROFILE = "http://painfhir.org/fhir/StructureDefinition/pain-referral"


def _concept(system: str, code: str, display: str) -> Json:
    return {"coding": [{"system": system, "code": code, "display": display}]}


def _entry(key: str, resource: Json) -> Json:
    return {
        "fullUrl": f"urn:uuid:{key}",
        "resource": resource,
        "request": {"method": "POST", "url": resource["resourceType"]},
    }


def referral_request(key: str, patient: str, practitioner: str, **changes: Any) -> Json:
    request: Json = {
        "resourceType": "ServiceRequest",
        "meta": {"profile": [REFERRAL_PROFILE]},
        "identifier": [
            {
                "type": _concept(
                    "http://terminology.hl7.org/CodeSystem/v2-0203", "PLAC", "Placer Identifier"
                ),
                "system": "https://riverbend.example/fhir/sid/referral",
                "value": key,
            }
        ],
        "status": "active",
        "intent": "order",
        "category": [_concept(SNOMED, "3457005", "Patient referral")],
        "code": _concept(SNOMED, "408957008", "Chronic pain control management"),
        "subject": {"reference": patient},
        "authoredOn": "2026-11-02",
        "requester": {"reference": practitioner},
        "performer": [{"reference": CLINIC}],
        "note": [{"text": "Low back pain radiating to the left leg for two years."}],
    }
    request.update(changes)
    return request


def referral_bundle(*, with_coverage: bool = False, with_records: bool = True) -> Json:
    """The package; its entries' fullUrls are urn:uuid:<key>-<what>."""
    key = uuid.uuid4().hex
    patient, doctor = f"urn:uuid:{key}-patient", f"urn:uuid:{key}-doctor"
    entries = [
        _entry(f"{key}-patient", {"resourceType": "Patient", "name": [{"family": "Okafor"}]}),
        _entry(
            f"{key}-doctor",
            {
                "resourceType": "Practitioner",
                "name": [{"family": "Raman"}],
                "telecom": [{"system": "phone", "value": "303-555-0101"}],
            },
        ),
        _entry(
            f"{key}-condition",
            {
                "resourceType": "Condition",
                "clinicalStatus": _concept(
                    "http://terminology.hl7.org/CodeSystem/condition-clinical", "active", "Active"
                ),
                "category": [
                    _concept(
                        "http://terminology.hl7.org/CodeSystem/condition-category",
                        "problem-list-item",
                        "Problem List Item",
                    )
                ],
                "code": _concept(SNOMED, "278860009", "Chronic low back pain"),
                "subject": {"reference": patient},
                "onsetDateTime": "2024-09-01",
                "recordedDate": "2025-02-01",
            },
        ),
    ]
    supporting = []
    if with_records:
        entries += [
            _entry(
                f"{key}-mri",
                {
                    "resourceType": "DiagnosticReport",
                    "status": "final",
                    "category": [
                        _concept(
                            "http://terminology.hl7.org/CodeSystem/v2-0074", "RAD", "Radiology"
                        )
                    ],
                    "code": _concept("http://loinc.org", "24531-6", "MR Lumbar spine"),
                    "subject": {"reference": patient},
                },
            ),
            _entry(
                f"{key}-pt",
                {
                    "resourceType": "Procedure",
                    "status": "completed",
                    "code": _concept(SNOMED, "91251008", "Physical therapy procedure"),
                    "subject": {"reference": patient},
                },
            ),
            _entry(
                f"{key}-meds",
                {
                    "resourceType": "MedicationStatement",
                    "status": "active",
                    "medicationCodeableConcept": {"text": "naproxen 500 mg twice daily"},
                    "subject": {"reference": patient},
                },
            ),
        ]
        supporting = [{"reference": f"urn:uuid:{key}-{what}"} for what in ("mri", "pt", "meds")]
    if with_coverage:
        entries.append(_entry(f"{key}-coverage", coverage(patient)))
    request = referral_request(
        key,
        patient,
        doctor,
        reasonReference=[{"reference": f"urn:uuid:{key}-condition"}],
        **({"supportingInfo": supporting} if supporting else {}),
    )
    entries.append(_entry(f"{key}-referral", request))
    return {"resourceType": "Bundle", "type": "transaction", "entry": entries}


def coverage(patient: str) -> Json:
    return {
        "resourceType": "Coverage",
        "status": "active",
        "beneficiary": {"reference": patient},
        "payor": [{"display": "Sunrise Health Plan"}],
        "period": {"start": "2025-01-01"},
    }
