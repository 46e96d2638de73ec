"""The referral operations over HTTP: `POST Task/{id}/$accept` and the others of
painfhir.workflow.referral, each with a Parameters body (or none) and answering with the
updated Task. Who acts comes from the `X-Painfhir-Actor` header (docs/workflow.md)."""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from painfhir.api.exchange import (
    fhir_response,
    lenient,
    read_body,
    settings_of,
    store_of,
    version_headers,
)
from painfhir.api.negotiation import FHIR_JSON, answer_format
from painfhir.fhir.outcome import FhirError
from painfhir.store import StoredVersion
from painfhir.validation.validator import write_refusal
from painfhir.workflow.referral import (
    ACTOR_HEADER,
    ReferralCall,
    actor_from_header,
    run_referral_operation,
)

Json = dict[str, Any]


def _has_body(request: Request) -> bool:
    return request.headers.get("content-length", "0") != "0" or (
        "transfer-encoding" in request.headers
    )


async def _parameters(request: Request, is_lenient: bool) -> Any:
    if not _has_body(request):
        return None
    body = await read_body(request, FHIR_JSON, "application/json")
    if isinstance(body, dict) and body.get("resourceType") == "Parameters":
        refusal = write_refusal(body, lenient=is_lenient)
        if refusal is not None:
            raise FhirError(400, refusal.issues)
    return body


async def referral_operation(request: Request, res_type: str, res_id: str | None) -> Response:
    operation = request.path_params["operation"]
    if res_id is None:
        raise FhirError.of(
            400,
            "not-supported",
            f"${operation} acts on one referral Task: POST Task/{{id}}/${operation}",
        )
    answer = answer_format(request)
    settings = settings_of(request)
    call = ReferralCall(
        operation=operation,
        task_id=res_id,
        body=await _parameters(request, lenient(request)),
        actor=actor_from_header(request.headers.get(ACTOR_HEADER)),
        if_match=request.headers.get("if-match"),
        consultation_minutes=settings.initial_consultation_minutes,
        lenient=lenient(request),
    )
    store = store_of(request)

    def run() -> StoredVersion:
        with store.write() as session:
            return run_referral_operation(session, call)

    version = await run_in_threadpool(run)
    assert version.content is not None
    return fhir_response(version.content, answer, 200, version_headers(version))
