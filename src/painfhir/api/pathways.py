"""`PlanDefinition/{id}/$apply` over HTTP: a Parameters body in, the draft CarePlan out.

R4's $apply returns a CarePlan; painfhir also stores it with the requests and Goals it
references, so the answer is a create's: 201, `Location` the CarePlan, a `Link` to each
request and Goal, and with `Prefer: return=OperationOutcome` the activities left unassigned.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from painfhir.api.exchange import lenient, read_body, store_of, written_response
from painfhir.api.negotiation import FHIR_JSON
from painfhir.fhir.outcome import FhirError
from painfhir.interactions.writes import Written
from painfhir.workflow.careplan import run_apply


async def apply_operation(request: Request, res_type: str, res_id: str | None) -> Response:
    if res_id is None:
        raise FhirError.of(
            400, "not-supported", "$apply applies one pathway: PlanDefinition/{id}/$apply"
        )
    body = await read_body(request, FHIR_JSON, "application/json")
    store = store_of(request)
    is_lenient = lenient(request)

    def run() -> Written:
        with store.write() as session:
            return run_apply(session, res_id, body, lenient=is_lenient)

    written = await run_in_threadpool(run)
    return written_response(request, written, f"Applied PlanDefinition/{res_id}")
