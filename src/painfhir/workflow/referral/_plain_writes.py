"""Plain writes of a referral Task — an update or patch instead of an operation; an HL7 v2
REF^I14 asks for 5.2 this way — held to the transitions the operations follow. A move they
make gets its Provenance too; its agent is the Task's party whose move it is, since a plain
write does not say who acts."""

from __future__ import annotations

from typing import Any

from painfhir.fhir.outcome import FhirError, Issue
from painfhir.interactions import writes
from painfhir.store import StoredVersion, WriteSession
from painfhir.store._time import instant_text
from painfhir.workflow.referral._actor import Actor
from painfhir.workflow.referral._machine import is_referral_task, state_of, transition_refusal
from painfhir.workflow.referral._operations import MOVE_UNDER_WAY
from painfhir.workflow.referral._provenance import transition_provenance
from painfhir.workflow.referral._states import BusinessStatus, Side, may_follow
from painfhir.workflow.referral._task_history import before_cancellation_request, task_version

Json = dict[str, Any]


def _plain_write_refusal(
    session: WriteSession, task_id: str, was: BusinessStatus, now: BusinessStatus, version: int
) -> FhirError | None:
    if may_follow(was, now):
        return None
    if was is BusinessStatus.CANCELLATION_REQUESTED:
        before = before_cancellation_request(session, task_id, version - 1)
        if before is not None and state_of(before) is now:
            return None  # the clinic refusing the cancellation
    return transition_refusal(was, now)


def on_task_written(session: WriteSession, version: StoredVersion, resource: Json) -> list[Issue]:
    """Refuse (409) a plain write moving a referral Task where no operation could, and
    record the Provenance of one that may."""
    if version.version == 1 or MOVE_UNDER_WAY.get() or not is_referral_task(resource):
        return []
    before = task_version(session, version.res_id, version.version - 1)
    was = state_of(before) if before is not None else None
    now = state_of(resource, was)
    if before is None or was is None or now is None or now is was:
        return []
    refused = _plain_write_refusal(session, version.res_id, was, now, version.version)
    if refused is not None:
        raise refused
    side = Side.REFERRER if now is BusinessStatus.CANCELLATION_REQUESTED else Side.CLINIC
    previous = session.version("Task", version.res_id, version.version - 1)
    assert previous is not None  # read just above
    activity = f"{version.method} {version.reference}"
    reason = resource.get("statusReason")
    at = instant_text(session.now)
    provenance = transition_provenance(
        activity, now, Actor(side), resource, previous, [version], reason, at
    )
    writes.create(session, provenance)
    return []
