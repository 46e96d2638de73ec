"""The write reaction of Subscription: criteria painfhir cannot run are refused (422) when the
Subscription is written, rather than accepted and then matching nothing, change after change.
They are read exactly as dispatch reads them (`search_criteria`), unknown parameters refused.
"""

from __future__ import annotations

from typing import Any

from painfhir.fhir.outcome import FhirError, Issue
from painfhir.interactions.reactions import Reaction
from painfhir.notify._subscribers import criteria_parts, search_criteria
from painfhir.store import StoredVersion, WriteSession

_WHERE = "Subscription.criteria"


def check_subscription(
    session: WriteSession, version: StoredVersion, resource: dict[str, Any]
) -> list[Issue]:
    """The write reaction of Subscription (see painfhir.interactions.reactions)."""
    criteria = str(resource.get("criteria", ""))
    try:
        search_criteria(*criteria_parts(criteria), version.res_id)
    except FhirError as error:
        problem = f"Subscription.criteria {criteria!r} cannot be run: {error}"
        raise FhirError.of(422, "invalid", problem, _WHERE) from error
    return []


NOTIFY_REACTIONS: dict[str, tuple[Reaction, ...]] = {"Subscription": (check_subscription,)}
