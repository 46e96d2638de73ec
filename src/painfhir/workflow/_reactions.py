"""Which reactions each resource type's writes trigger (see painfhir.interactions.reactions).

Each part of the workflow lists its own reactions; a type several parts react to runs them
all, in the order the parts are given to `_merged`."""

from __future__ import annotations

from painfhir.interactions.reactions import Reaction
from painfhir.notify import NOTIFY_REACTIONS
from painfhir.workflow.careplan import CARE_PLAN_REACTIONS
from painfhir.workflow.careteam import CARE_TEAM_REACTIONS
from painfhir.workflow.consultation import CONSULTATION_REACTIONS
from painfhir.workflow.opioids import OPIOID_REACTIONS
from painfhir.workflow.referral import REFERRAL_REACTIONS

Reactions = dict[str, tuple[Reaction, ...]]


def _merged(*parts: Reactions) -> Reactions:
    merged: Reactions = {}
    for part in parts:
        for res_type, reactions in part.items():
            merged[res_type] = merged.get(res_type, ()) + reactions
    return merged


REACTIONS = _merged(
    REFERRAL_REACTIONS,
    OPIOID_REACTIONS,
    CONSULTATION_REACTIONS,
    CARE_TEAM_REACTIONS,
    CARE_PLAN_REACTIONS,
    NOTIFY_REACTIONS,
)


def reactions_for(res_type: str) -> tuple[Reaction, ...]:
    return REACTIONS.get(res_type, ())
