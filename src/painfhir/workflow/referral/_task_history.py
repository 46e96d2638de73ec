"""Earlier versions of a referral Task, read inside the write session: refusing a
cancellation returns the Task to where it was before the request."""

from __future__ import annotations

from typing import Any

from painfhir.fhir.codec import parse_json
from painfhir.store import WriteSession
from painfhir.workflow.referral._machine import state_of
from painfhir.workflow.referral._states import BusinessStatus

Json = dict[str, Any]


def task_version(session: WriteSession, task_id: str, number: int) -> Json | None:
    found = session.version("Task", task_id, number)
    if found is None or found.content is None:
        return None
    task: Json = parse_json(found.content)
    return task


def before_cancellation_request(session: WriteSession, task_id: str, version: int) -> Json | None:
    """The latest version before `version` that is not in 5.2 (intake re-checks may have
    added versions while the request was pending)."""
    for number in range(version - 1, 0, -1):
        earlier = task_version(session, task_id, number)
        if earlier is None:
            continue
        state = state_of(earlier)
        if state is not None and state is not BusinessStatus.CANCELLATION_REQUESTED:
            return earlier
    return None


def last_state(session: WriteSession, task_id: str, version: int) -> BusinessStatus | None:
    """The state of the latest version before `version` that has one we know."""
    for number in range(version - 1, 0, -1):
        earlier = task_version(session, task_id, number)
        state = state_of(earlier) if earlier is not None else None
        if state is not None:
            return state
    return None
