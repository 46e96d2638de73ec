"""FHIR operations (`POST /{type}/$name`, `POST /{type}/{id}/$name`), looked up by name.

An operation the server does not know is a 404 OperationOutcome, like an unknown type.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response

from painfhir.api.convertors import fhir_route
from painfhir.api.exchange import known_type
from painfhir.api.validate import validate_operation
from painfhir.fhir.outcome import FhirError

Handler = Callable[[Request, str, str | None], Awaitable[Response]]


@dataclass(frozen=True, slots=True)
class Operation:
    handler: Handler  # (request, resource type, resource id or None for type level)
    definition: str  # the OperationDefinition's canonical, for the CapabilityStatement


OPERATIONS = {
    "validate": Operation(
        validate_operation, "http://hl7.org/fhir/OperationDefinition/Resource-validate"
    ),
}


def _operation(name: str) -> Handler:
    found = OPERATIONS.get(name)
    if found is None:
        raise FhirError.of(404, "not-supported", f"painfhir has no operation ${name}")
    return found.handler


async def type_operation(request: Request) -> Response:
    res_type = known_type(request.path_params["res_type"])
    return await _operation(request.path_params["operation"])(request, res_type, None)


async def instance_operation(request: Request) -> Response:
    res_type = known_type(request.path_params["res_type"])
    operation = _operation(request.path_params["operation"])
    return await operation(request, res_type, request.path_params["res_id"])


routes = [
    fhir_route("/{res_type:type}/${operation}", type_operation, "POST"),
    fhir_route("/{res_type:type}/{res_id:id}/${operation}", instance_operation, "POST"),
]
