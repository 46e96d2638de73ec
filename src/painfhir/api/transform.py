"""`POST /$transform`: what `painfhir map` does, over HTTP; nothing is stored or logged.

    POST /$transform[?module=M][&client=C][&trace=true]
        Content-Type: x-application/hl7-v2+er7 | application/fhir+json

Without `trace`, the answer is the mapped transaction Bundle when it is valid, else the
validation OperationOutcome (422). With `trace=true` it is always a Parameters resource:
`bundle` (the mapped Bundle), `outcome` (its validation issues) and `trace` (one part per
source field used, `use`, and per source field no rule read, `unused`). Input no module
takes is a 400, input its module cannot map a 422, each with an OperationOutcome.
"""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from painfhir.api.exchange import fhir_response, read_raw_body
from painfhir.api.negotiation import FHIR_JSON, answer_format
from painfhir.fhir.codec import dump_json
from painfhir.fhir.outcome import FhirError, Issue, operation_outcome
from painfhir.ingress import HL7_V2_ER7, Receivers
from painfhir.mapping import (
    MappingError,
    MappingResult,
    NoModuleError,
    Trace,
    UnreadableMessageError,
)


async def transform(request: Request) -> Response:
    answer = answer_format(request)
    raw = await read_raw_body(request, HL7_V2_ER7, FHIR_JSON, "application/json")
    receivers: Receivers = request.app.state.receivers
    params = request.query_params
    traced = params.get("trace") == "true"
    try:
        result = await run_in_threadpool(
            lambda: receivers.mappings.map(
                raw,
                module=params.get("module") or None,
                client=params.get("client") or None,
                content_type=request.headers.get("content-type"),
                trace=traced,
            )
        )
    except MappingError as error:
        rejected = isinstance(error, UnreadableMessageError | NoModuleError)
        raise FhirError(400 if rejected else 422, [error.issue()]) from error
    if traced:
        return fhir_response(dump_json(_parameters(result)), answer)
    if any(issue.severity in ("error", "fatal") for issue in result.issues):
        return fhir_response(dump_json(operation_outcome(result.issues)), answer, 422)
    return fhir_response(dump_json(result.bundle), answer)


def _parameters(result: MappingResult) -> dict[str, Any]:
    issues = result.issues or [Issue("information", "informational", "No issues found")]
    parameters = [
        {"name": "bundle", "resource": result.bundle},
        {"name": "outcome", "resource": operation_outcome(issues)},
        {"name": "module", "valueString": result.module},
    ]
    if result.trace is not None:
        parameters.append({"name": "trace", "part": _trace_parts(result.trace)})
    return {"resourceType": "Parameters", "parameter": parameters}


def _trace_parts(trace: Trace) -> list[dict[str, Any]]:
    def part(name: str, values: dict[str, str]) -> dict[str, Any]:
        fields = [{"name": key, "valueString": value} for key, value in values.items() if value]
        return {"name": name, "part": fields}

    uses = [
        part("use", {"source": u.source, "target": u.target, "value": u.value}) for u in trace.uses
    ]
    unused = [part("unused", {"source": u.source, "value": u.value}) for u in trace.unused]
    return uses + unused


routes = [Route("/$transform", transform, methods=["POST"])]
