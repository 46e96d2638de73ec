"""The multidisciplinary team (MDT): `Patient/{id}/$assemble-care-team` builds a patient's
CareTeam from the clinic's PractitionerRoles, and every CareTeam that claims the
pain-care-team profile is checked against its members' roles when written
(docs/workflow.md#the-mdt-care-team).

Pure parts: the roles (`TEAM_ROLES`, `team_role_of`, `managing_coordinator`). Service parts:
`assemble_care_team` and the write reaction in `CARE_TEAM_REACTIONS`.
"""

from painfhir.interactions.reactions import Reaction
from painfhir.workflow.careteam._assemble import AssembleCall, assemble_care_team
from painfhir.workflow.careteam._checks import PAIN_CARE_TEAM, check_care_team
from painfhir.workflow.careteam._roles import (
    CARE_COORDINATOR,
    TEAM_ROLES,
    managing_coordinator,
    team_role_of,
)

CARE_TEAM_REACTIONS: dict[str, tuple[Reaction, ...]] = {"CareTeam": (check_care_team,)}

__all__ = [
    "CARE_COORDINATOR",
    "CARE_TEAM_REACTIONS",
    "PAIN_CARE_TEAM",
    "TEAM_ROLES",
    "AssembleCall",
    "assemble_care_team",
    "check_care_team",
    "managing_coordinator",
    "team_role_of",
]
