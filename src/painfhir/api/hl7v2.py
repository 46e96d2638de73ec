"""HL7 v2 over HTTP, and the message log.

    POST /hl7v2                               a message (x-application/hl7-v2+er7) → its ACK
    GET  /hl7v2/messages?status=…             the log, newest first (see docs/api.md)
    GET  /hl7v2/messages/{id}                 one message: raw input, ACK, errors, output
    GET  /hl7v2/messages/{id}/raw             the message's bytes exactly as received
    POST /hl7v2/messages/{id}/$replay         process a failed or rejected message again (or
                                              one left `received` by a process that died)

The log holds every inbound message, HL7 v2 and FHIR (`POST /$ingest`, channel `fhir`).

Every acknowledgement, AA, AE or AR, is an HTTP 200: the ACK is the answer. HTTP errors
(415, 413) are for requests that carry no message at all.
"""

from __future__ import annotations

import logging
from datetime import datetime
from urllib.parse import urlencode

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from painfhir.api.exchange import read_raw_body, store_of
from painfhir.fhir.codec import dump_json
from painfhir.fhir.outcome import FhirError
from painfhir.ingress import HL7_V2_ER7, Hl7v2Receiver, Receivers
from painfhir.ingress.message_json import message_details, message_summary
from painfhir.store import MESSAGE_STATUSES, LoggedMessage, MessageQuery, MessageStatus
from painfhir.store._time import utc_now

log = logging.getLogger(__name__)

_MAX_COUNT = 1000


def _receiver(request: Request) -> Hl7v2Receiver:
    receiver: Hl7v2Receiver = request.app.state.hl7v2
    return receiver


def _json(value: object, status: int = 200) -> Response:
    return Response(dump_json(value), status_code=status, media_type="application/json")


def _peer(request: Request) -> str | None:
    return f"{request.client.host}:{request.client.port}" if request.client else None


async def receive_message(request: Request) -> Response:
    raw = await read_raw_body(request, HL7_V2_ER7)
    receiver = _receiver(request)
    content_type = request.headers.get("content-type")
    try:
        receipt = await run_in_threadpool(
            receiver.receive, raw, "http", _peer(request), content_type
        )
        ack = receipt.ack
    except Exception:  # the log itself failed: AR, so the sender resends later
        log.exception("HTTP %s: a message could not be logged", _peer(request))
        ack = receiver.unavailable_ack(raw, utc_now())
    return Response(ack, media_type=HL7_V2_ER7)


def _status(value: str | None) -> MessageStatus | None:
    if value is None:
        return None
    for status in MESSAGE_STATUSES:
        if status == value:
            return status
    raise FhirError.of(400, "value", f"status={value}: one of {', '.join(MESSAGE_STATUSES)}")


def _number(name: str, value: str | None) -> int | None:
    if value is None:
        return None
    if not value.isdigit():
        raise FhirError.of(400, "value", f"{name}={value}: a whole number is expected")
    return int(value)


def _since(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise FhirError.of(400, "value", f"since={value}: an ISO 8601 date or instant") from None
    if moment.tzinfo is None:
        raise FhirError.of(400, "value", f"since={value}: give a time zone (Z or ±hh:mm)")
    return moment


def _query(request: Request) -> MessageQuery:
    params = request.query_params
    return MessageQuery(
        status=_status(params.get("status")),
        control_id=params.get("control-id"),
        sending_application=params.get("sender"),
        message_type=params.get("type"),
        since=_since(params.get("since")),
        before_id=_number("before", params.get("before")),
        count=min(_number("_count", params.get("_count")) or 50, _MAX_COUNT),
    )


async def search_messages(request: Request) -> Response:
    query = _query(request)
    found = await run_in_threadpool(store_of(request).messages.search, query)
    page = found[: query.count]
    answer: dict[str, object] = {"messages": [message_summary(m) for m in page]}
    if len(found) > query.count:
        params = {k: v for k, v in request.query_params.items() if k != "before"}
        params["before"] = str(page[-1].id)
        answer["next"] = f"{request.url.path}?{urlencode(params)}"
    return _json(answer)


async def _logged(request: Request) -> LoggedMessage:
    message_id: int = request.path_params["id"]
    found = await run_in_threadpool(store_of(request).messages.get, message_id)
    if found is None:
        raise FhirError.of(404, "not-found", f"No message {message_id} in the message log")
    return found


async def read_message(request: Request) -> Response:
    return _json(message_details(await _logged(request)))


async def read_raw_message(request: Request) -> Response:
    return Response((await _logged(request)).raw, media_type=HL7_V2_ER7)


async def replay_message(request: Request) -> Response:
    message_id: int = request.path_params["id"]
    receivers: Receivers = request.app.state.receivers  # HL7 v2 or FHIR, as it came in
    replayed = await run_in_threadpool(receivers.replay, message_id)
    return _json(message_details(replayed))


routes = [
    Route("/hl7v2", receive_message, methods=["POST"]),
    Route("/hl7v2/messages", search_messages, methods=["GET"]),
    Route("/hl7v2/messages/{id:int}", read_message, methods=["GET"]),
    Route("/hl7v2/messages/{id:int}/raw", read_raw_message, methods=["GET"]),
    Route("/hl7v2/messages/{id:int}/$replay", replay_message, methods=["POST"]),
]
