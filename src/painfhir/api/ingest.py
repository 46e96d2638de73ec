"""`POST /$ingest`: a sender's FHIR dialect in, canonical R4 stored.

    POST /$ingest[?module=M][&client=C]   Content-Type: application/fhir+json

The body is what the sender's EHR sends — a transaction or message Bundle, or one
resource — in its own codes and identifiers. It is logged raw, mapped by the module named,
or the one configured for the client or sender (PAINFHIR_MAPPING_CLIENTS), or the one its
content calls for; validated; stored in one transaction. The answer is the
transaction-response Bundle, or an OperationOutcome (400: no module takes it; 422: it
cannot be mapped or its mapping is not valid) — nothing is half-written, and the input
stays in the message log (`GET /hl7v2/messages?status=failed`) for a replay.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from painfhir.api.exchange import fhir_response, read_raw_body
from painfhir.api.negotiation import FHIR_JSON, answer_format
from painfhir.ingress import FhirReceipt, Receivers


def _peer(request: Request) -> str | None:
    return f"{request.client.host}:{request.client.port}" if request.client else None


async def ingest(request: Request) -> Response:
    answer = answer_format(request)
    raw = await read_raw_body(request, FHIR_JSON, "application/json")
    receivers: Receivers = request.app.state.receivers
    params = request.query_params
    receipt: FhirReceipt = await run_in_threadpool(
        lambda: receivers.fhir.receive(
            raw,
            _peer(request),
            request.headers.get("content-type"),
            module=params.get("module") or None,
            client=params.get("client") or None,
        )
    )
    headers = {"X-Painfhir-Message-Id": str(receipt.message_id)}  # the log entry, to look up
    return fhir_response(receipt.body, answer, receipt.status, headers)


routes = [Route("/$ingest", ingest, methods=["POST"])]
