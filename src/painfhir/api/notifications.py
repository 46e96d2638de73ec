"""Deliveries of notifications to subscribers: their status, the dead letters, retry.

GET  /notify/deliveries?status=dead&subscription=…   newest first (see docs/api.md)
GET  /notify/deliveries/{id}                         one, with its attempts and payload
POST /notify/deliveries/{id}/$retry                  a dead letter back in its queue
"""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from painfhir.api.exchange import store_of
from painfhir.fhir.codec import dump_json
from painfhir.fhir.outcome import FhirError
from painfhir.notify.report import delivery_details, delivery_summary
from painfhir.store import DELIVERY_STATUSES, DeliveryQuery, DeliveryStatus, Store
from painfhir.store._time import utc_now

_MAX_COUNT = 1000


def _json(value: object) -> Response:
    return Response(dump_json(value), media_type="application/json")


def _status(value: str | None) -> DeliveryStatus | None:
    if value is None:
        return None
    for status in DELIVERY_STATUSES:
        if status == value:
            return status
    raise FhirError.of(400, "value", f"status={value}: one of {', '.join(DELIVERY_STATUSES)}")


def _number(name: str, value: str | None) -> int | None:
    if value is not None and not value.isdigit():
        raise FhirError.of(400, "value", f"{name}={value}: a whole number is expected")
    return int(value) if value is not None else None


async def search_deliveries(request: Request) -> Response:
    params = request.query_params
    query = DeliveryQuery(
        status=_status(params.get("status")),
        subscription=params.get("subscription"),
        before_id=_number("before", params.get("before")),
        count=min(_number("_count", params.get("_count")) or 50, _MAX_COUNT),
    )
    found = await run_in_threadpool(store_of(request).deliveries.search, query)
    page = found[: query.count]
    answer: dict[str, object] = {"deliveries": [delivery_summary(d) for d in page]}
    if len(found) > query.count:
        following = {k: v for k, v in params.items() if k != "before"}
        following["before"] = str(page[-1].id)
        answer["next"] = f"{request.url.path}?{urlencode(following)}"
    return _json(answer)


def _details(store: Store, delivery_id: int) -> dict[str, object]:
    delivery = store.deliveries.get(delivery_id)
    if delivery is None:
        raise FhirError.of(404, "not-found", f"No delivery {delivery_id}")
    return delivery_details(delivery, store.deliveries.attempts(delivery_id))


async def read_delivery(request: Request) -> Response:
    delivery_id: int = request.path_params["id"]
    return _json(await run_in_threadpool(_details, store_of(request), delivery_id))


def _retry(store: Store, delivery_id: int) -> dict[str, object]:
    details = _details(store, delivery_id)
    if not store.deliveries.retry(delivery_id, utc_now()):
        raise FhirError.of(
            409,
            "conflict",
            f"Delivery {delivery_id} is {details['status']}: only dead ones are retried",
        )
    return _details(store, delivery_id)


async def retry_delivery(request: Request) -> Response:
    delivery_id: int = request.path_params["id"]
    return _json(await run_in_threadpool(_retry, store_of(request), delivery_id))


routes = [
    Route("/notify/deliveries", search_deliveries, methods=["GET"]),
    Route("/notify/deliveries/{id:int}", read_delivery, methods=["GET"]),
    Route("/notify/deliveries/{id:int}/$retry", retry_delivery, methods=["POST"]),
]
