"""What a move links to the referral must be the referral's: a note, a care plan or an
appointment of its patient (Task.for), and an appointment that can still take place. Else
the referring EHR would be told of another patient's consult note, or of a cancelled visit.
"""

from __future__ import annotations

from typing import Any

from painfhir.fhir.outcome import FhirError
from painfhir.workflow.referral._lookup import local_reference

Json = dict[str, Any]
# An appointment a referral can be scheduled for, or marked not attended or cancelled.
BOOKABLE = ("booked", "pending")


def _patient_of_task(task: Json) -> tuple[str, str]:
    patient = local_reference(task.get("for"))
    if patient is None:
        raise FhirError.of(
            422,
            "business-rule",
            "The referral Task names no patient (Task.for) to link its records to",
            "Task.for",
        )
    return patient


def _appointment_patients(appointment: Json) -> list[tuple[str, str] | None]:
    actors = [local_reference(p.get("actor")) for p in appointment.get("participant") or []]
    return [actor for actor in actors if actor is not None and actor[0] == "Patient"]


def check_patients(task: Json, linked: Json, name: str) -> None:
    """Refuse (422) `linked` — a subject's DocumentReference, Composition or CarePlan, or an
    Appointment with the patient among its participants — unless it is the Task's patient's."""
    patient = _patient_of_task(task)
    if linked["resourceType"] == "Appointment":
        patients = _appointment_patients(linked)
        element = "participant"
    else:
        patients = [local_reference(linked.get("subject"))]
        element = "subject"
    if patient in patients:
        return
    reference = f"{linked['resourceType']}/{linked['id']}"
    raise FhirError.of(
        422,
        "business-rule",
        f"{reference} ({name}) is not about the referral's patient {'/'.join(patient)} "
        f"(its {element} must name the patient of Task.for)",
    )


def check_bookable(appointment: Json) -> None:
    """Refuse (422) an appointment that is no longer (or not yet) going to take place."""
    status = appointment.get("status")
    if status in BOOKABLE:
        return
    raise FhirError.of(
        422,
        "business-rule",
        f"Appointment/{appointment['id']} is {status!r}: a referral's appointment must be "
        f"{' or '.join(BOOKABLE)}",
    )
