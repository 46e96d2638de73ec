"""What each referral operation does besides moving the Task: one function per operation,
from the operation's inputs to a `Step` (the Task's changes and the writes that go with it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from painfhir.fhir.outcome import FhirError
from painfhir.interactions import writes
from painfhir.store import StoredVersion, WriteSession
from painfhir.workflow.referral._appointments import (
    REBOOKED,
    check_period,
    consultation_end,
    initial_consultation,
    linked_to,
    with_status,
)
from painfhir.workflow.referral._linked import BOOKABLE, check_bookable, check_patients
from painfhir.workflow.referral._lookup import local_reference, resolve, search
from painfhir.workflow.referral._machine import TaskChange, state_of, task_parameter
from painfhir.workflow.referral._parameters import OperationInput
from painfhir.workflow.referral._states import BusinessStatus
from painfhir.workflow.referral._task_history import before_cancellation_request

Json = dict[str, Any]
# Writes that go with a move, made after the Task's; each returns the version it wrote.
FollowUp = Callable[[WriteSession], StoredVersion]
_CONSULT_NOTE_TYPES = ("DocumentReference", "Composition")
# A referral seldom has more appointments than this; the moves read at most these.
_REFERRAL_APPOINTMENTS = 20


@dataclass(slots=True)
class Step:
    change: TaskChange = field(default_factory=TaskChange)
    reason: Json | None = None  # why, for the Provenance
    follow_ups: list[FollowUp] = field(default_factory=list)
    back_to: BusinessStatus | None = None  # refusing a cancellation: the state to return to


@dataclass(frozen=True, slots=True)
class MoveContext:
    """A move under way: the Task as it is, its referral and the inputs."""

    session: WriteSession
    task_id: str
    task: Json
    version: int
    referral_id: str
    inputs: OperationInput
    consultation_minutes: int
    checked: Callable[[Json], Json]  # a resource built from inputs, validated (or refused)


def _existing(ctx: MoveContext, reference: Json, types: tuple[str, ...], name: str) -> Json:
    target = local_reference(reference)
    if target is None or target[0] not in types:
        raise FhirError.of(
            400, "value", f"${ctx.inputs.operation}: {name} must reference a {' or '.join(types)}"
        )
    found = resolve(ctx.session, reference)
    if found is None:
        raise FhirError.of(422, "not-found", f"{'/'.join(target)} ({name}) is not here")
    return {**found, "id": target[1]}


def _created(resource: Json) -> FollowUp:
    return lambda session: writes.create(session, resource).version


def _updated(resource: Json) -> FollowUp:
    return lambda session: writes.update(session, resource["id"], resource).version


def accept_referral(ctx: MoveContext) -> Step:
    return Step(TaskChange(note=ctx.inputs.text("note")))


def decline_referral(ctx: MoveContext) -> Step:
    reason = ctx.inputs.required("reason", ctx.inputs.concept("reason"))
    return Step(TaskChange(status_reason=reason, note=ctx.inputs.text("note")), reason)


def _appointment(ctx: MoveContext, reference: Json) -> Json:
    """The named Appointment: the referral patient's, and still to take place."""
    appointment = _existing(ctx, reference, ("Appointment",), "appointment")
    check_patients(ctx.task, appointment, "appointment")
    check_bookable(appointment)
    return appointment


def _rebooked(ctx: MoveContext, keeping: str | None) -> list[FollowUp]:
    """Cancel the referral's earlier bookings: a rescheduled consultation replaces them, and
    a later `$no-show` or `$appointment-cancelled` must not mark them too."""
    earlier = search(
        ctx.session,
        "Appointment",
        [("based-on", f"ServiceRequest/{ctx.referral_id}"), ("status", ",".join(BOOKABLE))],
        _REFERRAL_APPOINTMENTS,
    )
    return [
        _updated(ctx.checked(with_status(appointment, "cancelled", REBOOKED)))
        for appointment in earlier
        if appointment["id"] != keeping
    ]


def _practitioner(ctx: MoveContext) -> Json | None:
    """The `practitioner` input, a Practitioner or PractitionerRole stored here: the
    Appointment's performer is someone the clinic can reach, not any text given."""
    reference = ctx.inputs.reference("practitioner")
    if reference is None:
        return None
    _existing(ctx, reference, ("Practitioner", "PractitionerRole"), "practitioner")
    return reference


def schedule_consultation(ctx: MoveContext) -> Step:
    """Book the initial consultation (`start`, optional `end` and `practitioner`), or link an
    existing `appointment` to the referral; either replaces the referral's earlier booking."""
    inputs = ctx.inputs
    existing, start = inputs.reference("appointment"), inputs.date_time("start")
    if (existing is None) == (start is None):
        raise FhirError.of(400, "required", "$schedule takes either 'start' or 'appointment'")
    if existing is not None:
        appointment = _appointment(ctx, existing)
        linked = linked_to(appointment, ctx.referral_id)
        kept = [_updated(linked)] if linked is not appointment else []
        return Step(follow_ups=[*_rebooked(ctx, appointment["id"]), *kept])
    assert start is not None
    if not ctx.task.get("for"):
        raise FhirError.of(
            422,
            "business-rule",
            "The referral Task names no patient (Task.for) to book",
            "Task.for",
        )
    end = inputs.date_time("end") or consultation_end(start, ctx.consultation_minutes)
    check_period(start, end)
    practitioner = _practitioner(ctx)
    booked = initial_consultation(ctx.referral_id, ctx.task, start, end, practitioner)
    return Step(follow_ups=[*_rebooked(ctx, None), _created(ctx.checked(booked))])


def _booked(ctx: MoveContext) -> list[Json]:
    """The appointment named by the `appointment` input, or the referral's booked ones."""
    named = ctx.inputs.reference("appointment")
    if named is not None:
        return [_appointment(ctx, named)]
    based_on = [("based-on", f"ServiceRequest/{ctx.referral_id}"), ("status", "booked")]
    return search(ctx.session, "Appointment", based_on, _REFERRAL_APPOINTMENTS)


def record_no_show(ctx: MoveContext) -> Step:
    marked = [with_status(a, "noshow") for a in _booked(ctx)]
    follow_ups = [_updated(ctx.checked(a)) for a in marked]
    return Step(TaskChange(note=ctx.inputs.text("note")), follow_ups=follow_ups)


def record_appointment_cancelled(ctx: MoveContext) -> Step:
    reason = ctx.inputs.concept("reason")
    marked = [with_status(a, "cancelled", reason) for a in _booked(ctx)]
    return Step(reason=reason, follow_ups=[_updated(ctx.checked(a)) for a in marked])


def _consult_note_output(reference: Json) -> Json:
    return {
        "type": task_parameter("consult-note", "Consultation note"),
        "valueReference": reference,
    }


def add_interim_note(ctx: MoveContext) -> Step:
    note = ctx.inputs.required("note", ctx.inputs.reference("note"))
    check_patients(ctx.task, _existing(ctx, note, ("DocumentReference",), "note"), "note")
    return Step(TaskChange(outputs=[_consult_note_output(note)]))


def request_cancellation(ctx: MoveContext) -> Step:
    """The referring side says why, as the clinic must when it declines: the clinic confirms
    or refuses the request on its reason, which stays on the Task (statusReason)."""
    reason = ctx.inputs.required("reason", ctx.inputs.concept("reason"))
    return Step(TaskChange(status_reason=reason), reason)


def _referral_with_status(ctx: MoveContext, status: str) -> FollowUp:
    referral = _existing(
        ctx, {"reference": f"ServiceRequest/{ctx.referral_id}"}, ("ServiceRequest",), "focus"
    )
    return _updated({**referral, "status": status})


def confirm_cancellation(ctx: MoveContext) -> Step:
    """The referral is cancelled: its ServiceRequest is revoked."""
    change = TaskChange(note=ctx.inputs.text("note"))
    return Step(change, follow_ups=[_referral_with_status(ctx, "revoked")])


def refuse_cancellation(ctx: MoveContext) -> Step:
    """Back to the state before the cancellation request, with the reason it had then."""
    earlier = before_cancellation_request(ctx.session, ctx.task_id, ctx.version)
    state = state_of(earlier) if earlier is not None else None
    if earlier is None or state is None:
        raise FhirError.of(
            409, "business-rule", "The Task has no state before the cancellation request"
        )
    reason = earlier.get("statusReason")
    note = ctx.inputs.text("note")
    change = TaskChange(status_reason=reason, clear_status_reason=reason is None, note=note)
    return Step(change, back_to=state)


def _has_consult_note(task: Json) -> bool:
    return any(
        c.get("code") == "consult-note"
        for output in task.get("output") or []
        for c in (output.get("type") or {}).get("coding") or []
    )


def complete_referral(ctx: MoveContext) -> Step:
    """The consult note and the care plan go in Task.output, the referral is completed.

    A referral is never completed without a consult note: one given now, or the interim
    note already on the Task."""
    outputs = []
    for reference in ctx.inputs.references("output"):
        found = _existing(ctx, reference, (*_CONSULT_NOTE_TYPES, "CarePlan"), "output")
        check_patients(ctx.task, found, "output")
        if found["resourceType"] == "CarePlan":
            kind = task_parameter("care-plan", "Care plan")
            outputs.append({"type": kind, "valueReference": reference})
        else:
            outputs.append(_consult_note_output(reference))
    notes = [o for o in outputs if o["type"]["coding"][0]["code"] == "consult-note"]
    if len(notes) > 1 or len(outputs) - len(notes) > 1:
        raise FhirError.of(400, "invalid", "$complete takes one consult note and one care plan")
    if not notes and not _has_consult_note(ctx.task):
        raise FhirError.of(
            422,
            "business-rule",
            "A referral is completed with its consult note: give an output referencing the "
            "DocumentReference (or Composition) of the consultation",
        )
    change = TaskChange(outputs=outputs, note=ctx.inputs.text("note"))
    return Step(change, follow_ups=[_referral_with_status(ctx, "completed")])
