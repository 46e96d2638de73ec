"""`POST Patient/{id}/$assemble-care-team`: the patient's MDT (docs/workflow.md#the-mdt-care-team),
answered like a create (201, Location) or, when it revises the patient's team, an update."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from painfhir.api.exchange import read_body, settings_of, store_of, written_response
from painfhir.api.negotiation import FHIR_JSON
from painfhir.fhir.outcome import FhirError
from painfhir.interactions.writes import Written
from painfhir.workflow.careteam import AssembleCall, assemble_care_team


async def assemble_care_team_operation(
    request: Request, res_type: str, res_id: str | None
) -> Response:
    if res_id is None:
        raise FhirError.of(
            400,
            "required",
            "$assemble-care-team is for one patient: Patient/{id}/$assemble-care-team",
        )
    call = AssembleCall(
        patient_id=res_id,
        body=await read_body(request, FHIR_JSON, "application/json"),
        clinic=settings_of(request).clinic_organization,
    )
    store = store_of(request)

    def run() -> Written:
        with store.write() as session:
            return assemble_care_team(session, call)

    written = await run_in_threadpool(run)
    return written_response(request, written, f"Assembled {written.version.reference}")
