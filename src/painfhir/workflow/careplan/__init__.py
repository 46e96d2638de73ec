"""Care plans from pathways: the pathway templates painfhir ships (PlanDefinitions and
ActivityDefinitions, stored at start), `PlanDefinition/{id}/$apply` making a draft CarePlan
with its requests and Goals, and the plan's lifecycle carried to its requests.

Pure parts: `apply_pathway` (a `Pathway` and a `PlanContext` in, an `AppliedPlan` out),
`team_member`, `applies`, `request_status`. Service parts, inside a write session:
`run_apply`, `install_templates`, and the reactions in `CARE_PLAN_REACTIONS`: the plan's
status carried to its requests, and a request completed releasing those that waited for it.
"""

from painfhir.interactions.reactions import Reaction
from painfhir.workflow.careplan._applicability import applies
from painfhir.workflow.careplan._apply import AppliedPlan, Pathway, apply_pathway
from painfhir.workflow.careplan._apply_operation import run_apply
from painfhir.workflow.careplan._context import PlanContext
from painfhir.workflow.careplan._lifecycle import on_care_plan_written, request_status
from painfhir.workflow.careplan._performers import team_member
from painfhir.workflow.careplan._requests import is_opioid
from painfhir.workflow.careplan._sequence import on_request_completed
from painfhir.workflow.careplan._templates import install_templates, shipped_templates

CARE_PLAN_REACTIONS: dict[str, tuple[Reaction, ...]] = {
    "CarePlan": (on_care_plan_written,),
    "ServiceRequest": (on_request_completed,),
    "MedicationRequest": (on_request_completed,),
}

__all__ = [
    "CARE_PLAN_REACTIONS",
    "AppliedPlan",
    "Pathway",
    "PlanContext",
    "applies",
    "apply_pathway",
    "install_templates",
    "is_opioid",
    "request_status",
    "run_apply",
    "shipped_templates",
    "team_member",
]
