"""The closed-loop referral: the referral Task's states and moves, the operations that make
them, the Task started when a referral arrives and the clinic's intake check.

Pure parts (resources in, resources out): `BusinessStatus`, `MOVES`, `check_move`,
`moved_task`, `intake_findings`, `arrival_task`. The service parts run inside a write
session: `run_referral_operation` and the reactions in `REFERRAL_REACTIONS`.
"""

from painfhir.interactions.reactions import BeforeStoring, OncePer, Reaction
from painfhir.workflow.referral._actor import ACTOR_HEADER, Actor, actor_from_header
from painfhir.workflow.referral._arrival import (
    REFERRAL_PROFILE,
    REFERRAL_TASK_PROFILE,
    arrival_task,
    is_referral,
)
from painfhir.workflow.referral._findings import findings_on, with_findings
from painfhir.workflow.referral._intake import INTAKE_FINDING_SYSTEM, IntakeFinding, intake_findings
from painfhir.workflow.referral._machine import (
    TaskChange,
    check_move,
    is_referral_task,
    moved_task,
    refusal,
    state_of,
)
from painfhir.workflow.referral._operations import (
    REFERRAL_OPERATIONS,
    ReferralCall,
    run_referral_operation,
)
from painfhir.workflow.referral._parameters import OperationInput
from painfhir.workflow.referral._plain_writes import on_task_written
from painfhir.workflow.referral._reactions import (
    on_package_written,
    on_referral_written,
    patient_of,
)
from painfhir.workflow.referral._referral_package import ReferralPackage
from painfhir.workflow.referral._settled import keep_settled_status
from painfhir.workflow.referral._states import (
    BUSINESS_STATUS_SYSTEM,
    MOVES,
    BusinessStatus,
    Move,
    Side,
    business_status,
    may_follow,
    possible_moves,
)

# A referral's package: what the intake check reads besides the ServiceRequest itself.
_PACKAGE_TYPES = (
    "Coverage",
    "Condition",
    "DiagnosticReport",
    "ImagingStudy",
    "Procedure",
    "MedicationStatement",
    "MedicationRequest",
)
_PACKAGE_WRITTEN = OncePer(patient_of, on_package_written)
REFERRAL_REACTIONS: dict[str, tuple[Reaction, ...]] = {
    # A settled referral's update keeps its final status (checked before it is stored).
    "ServiceRequest": (BeforeStoring(keep_settled_status), on_referral_written),
    "Task": (on_task_written,),
    # One reaction for every package type, so that a Bundle with the referral and its
    # package rechecks each patient's referrals once, not once per type.
    **{res_type: (_PACKAGE_WRITTEN,) for res_type in _PACKAGE_TYPES},
}

__all__ = [
    "ACTOR_HEADER",
    "BUSINESS_STATUS_SYSTEM",
    "INTAKE_FINDING_SYSTEM",
    "MOVES",
    "REFERRAL_OPERATIONS",
    "REFERRAL_PROFILE",
    "REFERRAL_REACTIONS",
    "REFERRAL_TASK_PROFILE",
    "Actor",
    "BusinessStatus",
    "IntakeFinding",
    "Move",
    "OperationInput",
    "ReferralCall",
    "ReferralPackage",
    "Side",
    "TaskChange",
    "actor_from_header",
    "arrival_task",
    "business_status",
    "check_move",
    "findings_on",
    "intake_findings",
    "is_referral",
    "is_referral_task",
    "may_follow",
    "moved_task",
    "possible_moves",
    "refusal",
    "run_referral_operation",
    "state_of",
    "with_findings",
]
