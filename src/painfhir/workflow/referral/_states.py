"""The closed-loop referral's states (BSeR STU2 business statuses) and the moves between them.

The transitions are those of the clinic's domain notes (§2): 2.0→3.0|4.0; 3.0→5.1.1|4.0|5.2|7.0;
5.1.x→5.1.1|5.1.2|5.1.3|5.1.4|4.0|5.2|7.0; 5.2→6.0, or back to the state before when the clinic
refuses the cancellation; 4.0, 6.0 and 7.0 are final. Each move belongs to one side.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

BUSINESS_STATUS_SYSTEM = "http://hl7.org/fhir/us/bser/CodeSystem/TaskBusinessStatusCS"


class BusinessStatus(StrEnum):
    RECEIVED = "2.0"
    ACCEPTED = "3.0"
    DECLINED = "4.0"
    SCHEDULED = "5.1.1"
    NOT_ATTENDED = "5.1.2"
    APPOINTMENT_CANCELLED = "5.1.3"
    INTERIM_NOTE = "5.1.4"
    CANCELLATION_REQUESTED = "5.2"
    CANCELLED = "6.0"
    COMPLETED = "7.0"

    @property
    def task_status(self) -> str:
        """The Task.status that goes with it (the referral Task profile's rtk-1)."""
        if self.value.startswith("5."):
            return "in-progress"
        return _TASK_STATUS[self]

    @property
    def display(self) -> str:
        return _DISPLAY[self]

    @property
    def final(self) -> bool:
        return not _NEXT[self]

    @property
    def in_fulfilment(self) -> bool:
        """One of the 5.1.x states: the initial consultation is under way."""
        return self.value.startswith("5.1.")


_TASK_STATUS = {
    BusinessStatus.RECEIVED: "received",
    BusinessStatus.ACCEPTED: "accepted",
    BusinessStatus.DECLINED: "rejected",
    BusinessStatus.CANCELLED: "cancelled",
    BusinessStatus.COMPLETED: "completed",
}

# The displays of TaskBusinessStatusCS, as the ValueSet referral-business-status lists them.
_DISPLAY = {
    BusinessStatus.RECEIVED: "Service Request Created",
    BusinessStatus.ACCEPTED: "Service Request Accepted",
    BusinessStatus.DECLINED: "Service Request Declined",
    BusinessStatus.SCHEDULED: "Service Request Event Scheduled",
    BusinessStatus.NOT_ATTENDED: "Scheduled Service Request Event Unattended",
    BusinessStatus.APPOINTMENT_CANCELLED: "Scheduled Service Request Event Cancelled",
    BusinessStatus.INTERIM_NOTE: "Service Request Event Completed",
    BusinessStatus.CANCELLATION_REQUESTED: "Service Request Cancellation Requested",
    BusinessStatus.CANCELLED: "Service Request Fulfillment Cancelled",
    BusinessStatus.COMPLETED: "Service Request Fulfillment Completed",
}

_IN_FULFILMENT = frozenset(s for s in BusinessStatus if s.in_fulfilment)
_AFTER_ACCEPTANCE = frozenset(
    {
        BusinessStatus.SCHEDULED,
        BusinessStatus.DECLINED,
        BusinessStatus.CANCELLATION_REQUESTED,
        BusinessStatus.COMPLETED,
    }
)
# Where each state may go; 5.2 may also go back to the state it came from (see Move.back).
_NEXT: dict[BusinessStatus, frozenset[BusinessStatus]] = {
    BusinessStatus.RECEIVED: frozenset({BusinessStatus.ACCEPTED, BusinessStatus.DECLINED}),
    BusinessStatus.ACCEPTED: _AFTER_ACCEPTANCE,
    **{state: _IN_FULFILMENT | _AFTER_ACCEPTANCE for state in _IN_FULFILMENT},
    BusinessStatus.CANCELLATION_REQUESTED: frozenset({BusinessStatus.CANCELLED}),
    BusinessStatus.DECLINED: frozenset(),
    BusinessStatus.CANCELLED: frozenset(),
    BusinessStatus.COMPLETED: frozenset(),
}


def may_follow(current: BusinessStatus, wanted: BusinessStatus) -> bool:
    """Whether `wanted` may follow `current` (going back from 5.2 aside)."""
    return wanted in _NEXT[current]


# BSeR STU1 codes accepted on input (ConceptMap bser-business-status-stu1-to-stu2): 5.4 is
# the cancellation request; 5.x, STU1's one in-progress state, keeps a 5.1.x state the Task is
# already in and otherwise means 5.1.1.
_STU1_CANCELLATION_REQUESTED = "5.4"
_STU1_IN_PROGRESS = "5.x"


def business_status(code: str, current: BusinessStatus | None = None) -> BusinessStatus | None:
    """The STU2 state a business status code means (STU1 codes translated); None if unknown."""
    if code == _STU1_CANCELLATION_REQUESTED:
        return BusinessStatus.CANCELLATION_REQUESTED
    if code == _STU1_IN_PROGRESS:
        return (
            current if current is not None and current.in_fulfilment else BusinessStatus.SCHEDULED
        )
    try:
        return BusinessStatus(code)
    except ValueError:
        return None


class Side(StrEnum):
    """The two parties of a referral: the clinic is the Task's owner, the referring side its
    requester."""

    CLINIC = "clinic"
    REFERRER = "referrer"

    @property
    def described(self) -> str:
        return "the clinic (owner)" if self is Side.CLINIC else "the referring side (requester)"


@dataclass(frozen=True, slots=True)
class Move:
    """One step of the workflow, as the operation that makes it (`$accept` …)."""

    operation: str
    target: BusinessStatus
    side: Side
    back: bool = False  # True: back to the state before the cancellation request

    def allowed_from(self, current: BusinessStatus) -> bool:
        if self.back:
            return current is BusinessStatus.CANCELLATION_REQUESTED
        return may_follow(current, self.target)

    @property
    def described(self) -> str:
        goes_to = "the state before the request" if self.back else self.target.value
        return f"${self.operation} → {goes_to} (by {self.side.described})"


def _move(operation: str, target: BusinessStatus, side: Side = Side.CLINIC) -> Move:
    return Move(operation, target, side)


MOVES: dict[str, Move] = {
    move.operation: move
    for move in (
        _move("accept", BusinessStatus.ACCEPTED),
        _move("decline", BusinessStatus.DECLINED),
        _move("schedule", BusinessStatus.SCHEDULED),
        _move("no-show", BusinessStatus.NOT_ATTENDED),
        _move("appointment-cancelled", BusinessStatus.APPOINTMENT_CANCELLED),
        _move("interim-note", BusinessStatus.INTERIM_NOTE),
        _move("cancel-request", BusinessStatus.CANCELLATION_REQUESTED, Side.REFERRER),
        _move("confirm-cancel", BusinessStatus.CANCELLED),
        # The target is a placeholder: the Task goes back to where it was before 5.2.
        Move("refuse-cancel", BusinessStatus.CANCELLATION_REQUESTED, Side.CLINIC, back=True),
        _move("complete", BusinessStatus.COMPLETED),
    )
}


def possible_moves(current: BusinessStatus) -> list[Move]:
    return [move for move in MOVES.values() if move.allowed_from(current)]
