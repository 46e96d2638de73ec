"""FHIR operations (`POST /{type}/$name`, `POST /{type}/{id}/$name`), looked up by name.

An operation the server does not know is a 404 OperationOutcome, like an unknown type; one it
knows, asked of a resource type it does not apply to, is a 404 too. Operations that change
nothing may also be invoked with GET (https://hl7.org/fhir/R4/operations.html#request).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response

from painfhir.api.care_team import assemble_care_team_operation
from painfhir.api.convertors import fhir_route
from painfhir.api.exchange import known_type
from painfhir.api.mme import mme_operation
from painfhir.api.pathways import apply_operation
from painfhir.api.referral import referral_operation
from painfhir.api.validate import validate_operation
from painfhir.fhir.outcome import FhirError
from painfhir.workflow.referral import REFERRAL_OPERATIONS

Handler = Callable[[Request, str, str | None], Awaitable[Response]]


@dataclass(frozen=True, slots=True)
class Operation:
    handler: Handler  # (request, resource type, resource id or None for type level)
    definition: str  # the OperationDefinition's canonical, for the CapabilityStatement
    types: frozenset[str] | None = None  # the resource types it applies to; None: every type
    affects_state: bool = True  # False: GET may invoke it too

    def applies_to(self, res_type: str) -> bool:
        return self.types is None or res_type in self.types


OPERATIONS = {
    "validate": Operation(
        validate_operation,
        "http://hl7.org/fhir/OperationDefinition/Resource-validate",
        affects_state=False,
    ),
    # Opioid safety: morphine milligram equivalents per day (docs/opioid-safety.md).
    "mme": Operation(
        mme_operation,
        "http://painfhir.org/fhir/OperationDefinition/patient-mme",
        types=frozenset({"Patient"}),
        affects_state=False,
    ),
    # The patient's multidisciplinary team (docs/workflow.md#the-mdt-care-team).
    "assemble-care-team": Operation(
        assemble_care_team_operation,
        "http://painfhir.org/fhir/OperationDefinition/patient-assemble-care-team",
        types=frozenset({"Patient"}),
    ),
    # Care plans from pathway templates (docs/workflow.md#care-plans-from-pathways).
    "apply": Operation(
        apply_operation,
        "http://hl7.org/fhir/OperationDefinition/PlanDefinition-apply",
        types=frozenset({"PlanDefinition"}),
    ),
    # The closed-loop referral's moves, on its Task (docs/workflow.md).
    **{
        name: Operation(
            referral_operation,
            f"http://painfhir.org/fhir/OperationDefinition/referral-task-{name}",
            types=frozenset({"Task"}),
        )
        for name in REFERRAL_OPERATIONS
    },
}


def operations_of(res_type: str) -> dict[str, Operation]:
    return {name: op for name, op in OPERATIONS.items() if op.applies_to(res_type)}


def _operation(request: Request, res_type: str) -> Handler:
    name = request.path_params["operation"]
    found = OPERATIONS.get(name)
    if found is None or not found.applies_to(res_type):
        raise FhirError.of(404, "not-supported", f"painfhir has no operation ${name} on {res_type}")
    if request.method == "GET" and found.affects_state:
        raise FhirError.of(405, "not-supported", f"${name} changes data: invoke it with POST")
    return found.handler


async def type_operation(request: Request) -> Response:
    res_type = known_type(request.path_params["res_type"])
    return await _operation(request, res_type)(request, res_type, None)


async def instance_operation(request: Request) -> Response:
    res_type = known_type(request.path_params["res_type"])
    operation = _operation(request, res_type)
    return await operation(request, res_type, request.path_params["res_id"])


routes = [
    fhir_route("/{res_type:type}/${operation}", type_operation, "GET", "POST"),
    fhir_route("/{res_type:type}/{res_id:id}/${operation}", instance_operation, "GET", "POST"),
]
