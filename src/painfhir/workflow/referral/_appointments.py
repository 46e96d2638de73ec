"""The initial consultation's Appointment: booked by `$schedule`, marked by `$no-show` and
`$appointment-cancelled`. It is linked to the referral by Appointment.basedOn, which is how
the later moves find it."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from painfhir.fhir.outcome import FhirError

Json = dict[str, Any]
_SNOMED = "http://snomed.info/sct"
_PARTICIPATION = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"


def _moment(name: str, value: str) -> datetime:
    """A dateTime with a time and a time zone: a booked Appointment's `start` and `end`."""
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise FhirError.of(400, "value", f"{name} {value!r} is not a dateTime") from None
    if moment.tzinfo is None or "T" not in value:
        raise FhirError.of(400, "value", f"{name} {value!r} needs a time and a time zone")
    return moment


def consultation_end(start: str, minutes: int) -> str:
    """`minutes` after `start`, in the same offset; a booked Appointment needs both (app-3).
    A start so late that its end falls past year 9999 is refused (400): no dateTime holds it."""
    try:
        return (_moment("start", start) + timedelta(minutes=minutes)).isoformat()
    except OverflowError:
        raise FhirError.of(
            400, "value", f"start {start!r} leaves no room for a {minutes}-minute consultation"
        ) from None


def check_period(start: str, end: str) -> None:
    """Refuse (400) a consultation that ends before it starts, or as it starts."""
    if _moment("end", end) <= _moment("start", start):
        raise FhirError.of(400, "value", f"end {end!r} must be after start {start!r}")


def _participant(actor: Json, role: str, display: str) -> Json:
    return {
        "type": [{"coding": [{"system": _PARTICIPATION, "code": role, "display": display}]}],
        "actor": actor,
        "required": "required",
        "status": "accepted",
    }


def initial_consultation(
    referral_id: str, task: Json, start: str, end: str, practitioner: Json | None
) -> Json:
    """A booked Appointment for the referral's initial consultation."""
    participants = [_participant(task["for"], "SBJ", "subject")] if task.get("for") else []
    if practitioner is not None:
        participants.append(_participant(practitioner, "PPRF", "primary performer"))
    return {
        "resourceType": "Appointment",
        "status": "booked",
        "serviceType": [
            {
                "coding": [
                    {
                        "system": _SNOMED,
                        "code": "408957008",
                        "display": "Chronic pain control management",
                    }
                ]
            }
        ],
        "description": "Initial pain clinic consultation",
        "start": start,
        "end": end,
        "basedOn": [{"reference": f"ServiceRequest/{referral_id}"}],
        "participant": participants,
    }


def linked_to(appointment: Json, referral_id: str) -> Json:
    """The Appointment, based on the referral (unchanged if it already is)."""
    reference = f"ServiceRequest/{referral_id}"
    based_on = appointment.get("basedOn") or []
    if any(b.get("reference") == reference for b in based_on):
        return appointment
    return {**appointment, "basedOn": [*based_on, {"reference": reference}]}


# Why `$schedule` cancels the referral's earlier booking: R4's example cancellation reasons
# (appointment-cancellation-reason) have no code for a rebooking, so it is said in text.
REBOOKED = {"text": "Rescheduled: replaced by the appointment $schedule booked for the referral"}


def with_status(appointment: Json, status: str, reason: Json | None = None) -> Json:
    """The Appointment as not attended (`noshow`) or `cancelled`, with the reason if given."""
    changed = {**appointment, "status": status}
    if reason is not None and status == "cancelled":
        changed["cancelationReason"] = reason
    return changed
