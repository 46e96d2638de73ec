"""Type- and instance-level FHIR REST routes, for every R4 resource type alike.

Reads answer inline on the event loop: a primary-key look-up in the local store costs less
than a hop to a worker thread. Writes run in the thread pool, since they may wait for the
database's write lock.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from painfhir.api.convertors import fhir_route
from painfhir.api.exchange import (
    base_url,
    fhir_response,
    known_type,
    lenient,
    not_modified,
    read_body,
    read_resource,
    return_preference,
    store_of,
    strict_handling,
    version_headers,
    written_response,
)
from painfhir.api.negotiation import FORM, JSON_PATCH, answer_format, check_content_type
from painfhir.fhir.codec import dump_json
from painfhir.fhir.outcome import information
from painfhir.interactions import reads, writes
from painfhir.interactions._resources import accept
from painfhir.interactions.search import (
    compartment_everything,
    compartment_search,
    search_bundle,
)
from painfhir.search.criteria import SearchCriterion, parse_criteria
from painfhir.search.query import FORMAT_PARAMETERS
from painfhir.store import StoredVersion, WriteSession


async def _in_transaction(request: Request, work: Callable[[WriteSession], Any]) -> Any:
    store = store_of(request)

    def run() -> Any:
        with store.write() as session:
            return work(session)

    return await run_in_threadpool(run)


def _conditional_criteria(request: Request, res_type: str) -> list[SearchCriterion]:
    """The query of a conditional update / patch / delete, less the response-format options."""
    items = [(k, v) for k, v in request.query_params.multi_items() if k not in FORMAT_PARAMETERS]
    return parse_criteria(res_type, items)


def _read_response(request: Request, version: StoredVersion) -> Response:
    answer = answer_format(request)
    headers = version_headers(version)
    if not_modified(request, version):
        return Response(status_code=304, headers=headers)
    assert version.content is not None
    return fhir_response(version.content, answer, 200, headers)


def _deleted_response(request: Request, written: writes.Written | None) -> Response:
    headers = {"ETag": written.version.etag} if written else {}
    if return_preference(request) == "OperationOutcome":
        return fhir_response(
            dump_json(information("Deleted")), answer_format(request), 200, headers
        )
    return Response(status_code=204, headers=headers)


async def type_history(request: Request) -> Response:
    res_type = request.path_params["res_type"]
    answer = answer_format(request)
    params = dict(request.query_params)
    query = reads.history_query(params, known_type(res_type))
    url = f"{base_url(request)}/{res_type}/_history"
    bundle = reads.history_bundle(store_of(request), query, base_url(request), url, params)
    return fhir_response(bundle, answer)


async def search_by_post(request: Request) -> Response:
    res_type = request.path_params["res_type"]
    answer = answer_format(request)
    check_content_type(request, (FORM,))
    form = parse_qsl((await request.body()).decode(), keep_blank_values=True)
    items = [*request.query_params.multi_items(), *form]
    bundle = search_bundle(
        store_of(request),
        known_type(res_type),
        items,
        base_url(request),
        strict=strict_handling(request),
    )
    return fhir_response(bundle, answer)


async def vread(request: Request) -> Response:
    res_type = request.path_params["res_type"]
    res_id = request.path_params["res_id"]
    version = request.path_params["version"]
    found = reads.vread(store_of(request), known_type(res_type), res_id, version)
    return _read_response(request, found)


async def instance_history(request: Request) -> Response:
    res_type = request.path_params["res_type"]
    res_id = request.path_params["res_id"]
    answer = answer_format(request)
    params = dict(request.query_params)
    query = reads.history_query(params, known_type(res_type), res_id)
    base = base_url(request)
    url = f"{base}/{res_type}/{res_id}/_history"
    if store_of(request).read(res_type, res_id) is None:
        reads.read(store_of(request), res_type, res_id)  # raises the 404
    return fhir_response(reads.history_bundle(store_of(request), query, base, url, params), answer)


async def read(request: Request) -> Response:
    res_type = request.path_params["res_type"]
    res_id = request.path_params["res_id"]
    found = reads.read(store_of(request), known_type(res_type), res_id)
    return _read_response(request, found)


async def update(request: Request) -> Response:
    res_type = request.path_params["res_type"]
    res_id = request.path_params["res_id"]
    answer_format(request)
    resource = accept(await read_resource(request), known_type(res_type), lenient=lenient(request))
    if_match = request.headers.get("if-match")
    written = await _in_transaction(
        request, lambda session: writes.update(session, res_id, resource, if_match)
    )
    return written_response(request, written, f"{res_type}/{res_id} saved")


async def patch(request: Request) -> Response:
    res_type = request.path_params["res_type"]
    res_id = request.path_params["res_id"]
    answer_format(request)
    operations = await read_body(request, JSON_PATCH)
    if_match = request.headers.get("if-match")
    written = await _in_transaction(
        request,
        lambda session: writes.patch(
            session, known_type(res_type), res_id, operations, if_match, lenient=lenient(request)
        ),
    )
    return written_response(request, written, f"{res_type}/{res_id} patched")


async def delete(request: Request) -> Response:
    res_type = request.path_params["res_type"]
    res_id = request.path_params["res_id"]
    known_type(res_type)
    if_match = request.headers.get("if-match")
    written = await _in_transaction(
        request, lambda session: writes.delete(session, res_type, res_id, if_match)
    )
    return _deleted_response(request, written)


async def search(request: Request) -> Response:
    res_type = request.path_params["res_type"]
    answer = answer_format(request)
    bundle = search_bundle(
        store_of(request),
        known_type(res_type),
        request.query_params.multi_items(),
        base_url(request),
        strict=strict_handling(request),
    )
    return fhir_response(bundle, answer)


async def create(request: Request) -> Response:
    res_type = request.path_params["res_type"]
    answer_format(request)
    resource = accept(await read_resource(request), known_type(res_type), lenient=lenient(request))
    if_none_exist = request.headers.get("if-none-exist")
    criteria = parse_criteria(res_type, if_none_exist) if if_none_exist else None
    written = await _in_transaction(
        request, lambda session: writes.create(session, resource, criteria)
    )
    return written_response(request, written, f"{res_type}/{written.version.res_id} created")


async def conditional_update(request: Request) -> Response:
    res_type = request.path_params["res_type"]
    answer_format(request)
    resource = accept(await read_resource(request), known_type(res_type), lenient=lenient(request))
    criteria = _conditional_criteria(request, known_type(res_type))
    if_match = request.headers.get("if-match")
    written = await _in_transaction(
        request, lambda session: writes.conditional_update(session, criteria, resource, if_match)
    )
    return written_response(request, written, f"{res_type}/{written.version.res_id} saved")


async def conditional_patch(request: Request) -> Response:
    res_type = request.path_params["res_type"]
    answer_format(request)
    operations = await read_body(request, JSON_PATCH)
    criteria = _conditional_criteria(request, known_type(res_type))
    known_type(res_type)
    if_match = request.headers.get("if-match")
    written = await _in_transaction(
        request,
        lambda session: writes.conditional_patch(
            session, res_type, criteria, operations, if_match, lenient=lenient(request)
        ),
    )
    return written_response(request, written, f"{res_type}/{written.version.res_id} patched")


async def conditional_delete(request: Request) -> Response:
    res_type = request.path_params["res_type"]
    criteria = _conditional_criteria(request, known_type(res_type))
    known_type(res_type)
    written = await _in_transaction(
        request, lambda session: writes.conditional_delete(session, res_type, criteria)
    )
    return _deleted_response(request, written)


async def search_compartment(request: Request) -> Response:
    compartment = request.path_params["compartment"]
    owner_id = request.path_params["owner_id"]
    res_type = known_type(request.path_params["res_type"])
    answer = answer_format(request)
    bundle = compartment_search(
        store_of(request),
        known_type(compartment),
        owner_id,
        res_type,
        request.query_params.multi_items(),
        base_url(request),
        strict=strict_handling(request),
    )
    return fhir_response(bundle, answer)


async def search_compartment_everything(request: Request) -> Response:
    answer = answer_format(request)
    bundle = compartment_everything(
        store_of(request),
        known_type(request.path_params["compartment"]),
        request.path_params["owner_id"],
        request.query_params.multi_items(),
        base_url(request),
        strict=strict_handling(request),
    )
    return fhir_response(bundle, answer)


# Path parameters are constrained to what FHIR allows, so `/Patient/_history` can never be
# read as a Patient with id "_history" and the routes need no particular order: the hot
# ones (read, create) come first, since routes are tried in order.
routes = [
    fhir_route("/{res_type:type}/{res_id:id}", read, "GET"),
    fhir_route("/{res_type:type}/{res_id:id}", update, "PUT"),
    fhir_route("/{res_type:type}/{res_id:id}", patch, "PATCH"),
    fhir_route("/{res_type:type}/{res_id:id}", delete, "DELETE"),
    fhir_route("/{res_type:type}", create, "POST"),
    fhir_route("/{res_type:type}", search, "GET"),
    fhir_route("/{res_type:type}", conditional_update, "PUT"),
    fhir_route("/{res_type:type}", conditional_patch, "PATCH"),
    fhir_route("/{res_type:type}", conditional_delete, "DELETE"),
    fhir_route("/{res_type:type}/_search", search_by_post, "POST"),
    fhir_route("/{res_type:type}/_history", type_history, "GET"),
    fhir_route("/{res_type:type}/{res_id:id}/_history", instance_history, "GET"),
    fhir_route("/{res_type:type}/{res_id:id}/_history/{version:id}", vread, "GET"),
    fhir_route("/{compartment:type}/{owner_id:id}/{res_type:type}", search_compartment, "GET"),
    fhir_route("/{compartment:type}/{owner_id:id}/*", search_compartment_everything, "GET"),
]
