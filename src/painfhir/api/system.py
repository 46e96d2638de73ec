"""System-level routes: the CapabilityStatement, batch / transaction, system history."""

from __future__ import annotations

from functools import lru_cache

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from painfhir.api.capability import capability_statement
from painfhir.api.exchange import (
    base_url,
    fhir_response,
    lenient,
    read_resource,
    return_preference,
    store_of,
)
from painfhir.api.negotiation import answer_format
from painfhir.fhir.codec import dump_json
from painfhir.interactions import bundles, reads
from painfhir.store._time import instant_text, utc_now

_STARTED = instant_text(utc_now())


@lru_cache(maxsize=16)
def _capability_bytes(base: str) -> bytes:
    return dump_json(capability_statement(base, _STARTED))


async def metadata(request: Request) -> Response:
    return fhir_response(_capability_bytes(base_url(request)), answer_format(request))


async def batch_or_transaction(request: Request) -> Response:
    answer = answer_format(request)
    bundle = await read_resource(request)
    representation = return_preference(request) == "representation" and (
        "return=" in request.headers.get("prefer", "")
    )
    store, base = store_of(request), base_url(request)
    response = await run_in_threadpool(
        lambda: bundles.process(store, bundle, base, representation, lenient=lenient(request))
    )
    return fhir_response(response, answer)


async def system_history(request: Request) -> Response:
    answer = answer_format(request)
    params = dict(request.query_params)
    base = base_url(request)
    bundle = reads.history_bundle(
        store_of(request), reads.history_query(params), base, f"{base}/_history", params
    )
    return fhir_response(bundle, answer)


routes = [
    Route("/metadata", metadata, methods=["GET"]),
    Route("/", batch_or_transaction, methods=["POST"]),
    Route("/_history", system_history, methods=["GET"]),
]
