"""Who hears about what: FHIR `Subscription` resources stored in painfhir, read as
subscribers, and `Endpoint`s as the places a referral's requester is reached at.

A Subscription is live while its status is `requested` or `active` (painfhir stores what it
is given and does not rewrite the status) and its `end` has not passed. An `end` without a
time zone, which an R4 instant may not be but a store-level write may hold, is read as UTC,
and a date alone as the start of that day. Its `criteria` (`Task?code=fulfill`) says which
changes it wants, read strictly as a search (`search_criteria`), the same when a Subscription
is written as when a change is dispatched; its channel says where and how they go:

| channel.endpoint | channel.payload | what is sent |
|---|---|---|
| `http(s)://…` | `application/fhir+json` | a notification Bundle with the resource (POST) |
| `http(s)://…` | absent | a notification Bundle naming the resource only (POST) |
| `http(s)://…` | `x-application/hl7-v2+er7` | an RRI^I12 (POST), answered by an ACK |
| `mllp://host:port` | `x-application/hl7-v2+er7` | an RRI^I12 over MLLP, answered by an ACK |
| absent | — | to each referral's requester, at its Endpoint (below) |

`channel.header` lines (`Name: value`) go out as HTTP headers.

An Endpoint (of the requester Organization, or of the requester PractitionerRole or its
Organization) is used when it is `active`: connectionType `hl7v2-mllp` with an address
`host:port` or `mllp://host:port`, or `hl7-fhir-rest` with an http(s) address; its first
`payloadMimeType` chooses the form, else HL7 v2 for MLLP and the full resource for FHIR.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from painfhir.fhir.codec import parse_json
from painfhir.fhir.definitions import RESOURCE_TYPES
from painfhir.fhir.outcome import FhirError
from painfhir.search.criteria import SearchCriterion, parse_criteria

Json = dict[str, Any]
HL7_V2_ER7 = "x-application/hl7-v2+er7"
FHIR_JSON = "application/fhir+json"
_LIVE = frozenset({"requested", "active"})
_SCHEMES = frozenset({"http", "https", "mllp"})


@dataclass(frozen=True, slots=True)
class Target:
    """Where one notification goes and in which form ("" = FHIR without payload)."""

    endpoint: str
    content_type: str


@dataclass(frozen=True, slots=True)
class Subscriber:
    id: str
    res_type: str
    criteria: list[tuple[str, str]]
    target: Target | None  # None: each referral's requester, at its Endpoint


def _usable(target: Target) -> bool:
    scheme = urlsplit(target.endpoint).scheme
    if scheme not in _SCHEMES:
        return False
    return scheme != "mllp" or target.content_type == HL7_V2_ER7  # MLLP carries v2 only


def search_criteria(
    res_type: str, params: list[tuple[str, str]], res_id: str
) -> list[SearchCriterion]:
    """A Subscription's criteria as a search for the one resource `res_id`; FhirError when
    painfhir cannot run them (an unknown type or parameter, a malformed value)."""
    if res_type not in RESOURCE_TYPES:
        raise FhirError.of(400, "invalid", f"{res_type!r} is not a resource type")
    return parse_criteria(res_type, [*params, ("_id", res_id)])


def criteria_parts(criteria: str) -> tuple[str, list[tuple[str, str]]]:
    """`Task?code=fulfill` as its resource type and search parameters."""
    res_type, _, query = criteria.partition("?")
    return res_type, parse_qsl(query, keep_blank_values=True)


def _end(end: str) -> datetime:
    """When an `end` falls; ValueError when it is no date."""
    at = datetime.fromisoformat(end)
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def ended_because(subscription: Json | None, now: datetime) -> str | None:
    """Why a stored Subscription (None: deleted) is no longer served, or None while it is
    live; ValueError when its `end` is no date."""
    if subscription is None:
        return "subscription deleted"
    status = subscription.get("status")
    if status not in _LIVE:
        return f"subscription {status}"
    end = subscription.get("end")
    if end is not None and _end(str(end)) <= now:
        return "subscription ended"
    return None


def subscriber(content: bytes, now: datetime) -> Subscriber | None:
    """The subscriber a stored Subscription describes; None when it is not live or asks for
    something painfhir cannot send (another channel type, an unknown scheme)."""
    subscription: Json = parse_json(content)
    if ended_because(subscription, now) is not None:
        return None
    channel = subscription.get("channel", {})
    if channel.get("type") not in ("rest-hook", "message"):
        return None
    res_type, params = criteria_parts(str(subscription.get("criteria", "")))
    endpoint = channel.get("endpoint")
    target = Target(endpoint, channel.get("payload", "")) if endpoint else None
    if not res_type or (target is not None and not _usable(target)):
        return None
    return Subscriber(subscription["id"], res_type, params, target)


def headers(subscription: Json) -> list[tuple[str, str]]:
    """The HTTP headers a Subscription's `channel.header` asks for."""
    lines = subscription.get("channel", {}).get("header", [])
    pairs = [line.partition(":") for line in lines]
    return [(name.strip(), value.strip()) for name, colon, value in pairs if colon]


def endpoint_target(endpoint: Json) -> Target | None:
    """Where an Endpoint resource says it is reached, if painfhir can reach it."""
    address = endpoint.get("address")
    if endpoint.get("status") != "active" or not address:
        return None
    connection = endpoint.get("connectionType", {}).get("code")
    declared = (endpoint.get("payloadMimeType") or [None])[0]
    if connection == "hl7v2-mllp":
        if not address.startswith("mllp://"):
            address = f"mllp://{address}"
        target = Target(address, declared or HL7_V2_ER7)
    elif connection == "hl7-fhir-rest":
        target = Target(address, declared or FHIR_JSON)
    else:
        return None
    return target if _usable(target) else None
