"""The operations' steps inside a write session: every Appointment a move rewrites is
validated before it is written, as the move's Task is."""

from __future__ import annotations

from typing import Any

import pytest

from painfhir.fhir.outcome import FhirError
from painfhir.interactions import writes
from painfhir.store import Store
from painfhir.workflow.referral import OperationInput
from painfhir.workflow.referral._steps import (
    MoveContext,
    record_appointment_cancelled,
    record_no_show,
    schedule_consultation,
)

Json = dict[str, Any]
PATIENT = {"reference": "Patient/p1"}
TASK = {"resourceType": "Task", "for": PATIENT}


def _refused(resource: Json) -> Json:
    raise FhirError.of(422, "invariant", f"{resource['resourceType']} {resource['status']}")


@pytest.mark.parametrize(
    ("operation", "step", "accepted", "written"),
    [
        pytest.param("no-show", record_no_show, {"note"}, "noshow", id="$no-show"),
        pytest.param(
            "appointment-cancelled", record_appointment_cancelled, {"reason"}, "cancelled",
            id="$appointment-cancelled",
        ),
        pytest.param(
            "schedule", schedule_consultation, {"start"}, "cancelled",
            id="$schedule cancelling the earlier booking",
        ),
    ],
)  # fmt: skip
def test_the_appointments_a_move_rewrites_are_validated(
    operation: str, step: Any, accepted: set[str], written: str, store: Store
) -> None:
    booked = {
        "resourceType": "Appointment",
        "status": "booked",
        "start": "2026-12-01T09:00:00Z",
        "end": "2026-12-01T10:00:00Z",
        "basedOn": [{"reference": "ServiceRequest/r1"}],
        "participant": [{"actor": PATIENT, "status": "accepted"}],
    }
    start = {"name": "start", "valueDateTime": "2026-12-08T09:00:00Z"}
    body = {"resourceType": "Parameters", "parameter": [start] if "start" in accepted else []}
    with store.write() as session:
        writes.create(session, booked)
        context = MoveContext(
            session=session,
            task_id="t1",
            task=TASK,
            version=1,
            referral_id="r1",
            inputs=OperationInput.of(operation, body, frozenset(accepted)),
            consultation_minutes=60,
            checked=_refused,
        )
        with pytest.raises(FhirError, match=f"Appointment {written}"):
            step(context)
