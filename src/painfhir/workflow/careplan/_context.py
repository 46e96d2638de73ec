"""What applying a pathway needs to know about the patient, resolved beforehand by the service
layer, so that making the plan itself stays pure."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Json = dict[str, Any]


def reference_to(resource: Json) -> Json:
    return {"reference": f"{resource['resourceType']}/{resource['id']}"}


@dataclass(frozen=True, slots=True)
class PlanContext:
    """The patient and the MDT a pathway is applied for; resources carry their ids."""

    patient: Json
    conditions: tuple[Json, ...]  # the chronic pain Conditions the plan addresses
    care_team: Json
    today: str  # the date the plan is made (YYYY-MM-DD)
    new_id: Callable[[], str]  # ids of the resources the plan creates
    referral: Json | None = None  # the referral ServiceRequest the plan answers
    practitioner: Json | None = None  # Reference: who applies the pathway (author, requester)
    encounter: Json | None = None  # Reference: the initial consultation

    @property
    def subject(self) -> Json:
        return reference_to(self.patient)

    @property
    def addresses(self) -> list[Json]:
        return [reference_to(condition) for condition in self.conditions]
