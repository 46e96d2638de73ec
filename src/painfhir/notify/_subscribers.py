"""Who hears about what: FHIR `Subscription` resources stored in painfhir, read as
subscribers, and `Endpoint`s as the places a referral's requester is reached at.

A Subscription is live while its status is `requested` or `active` (painfhir stores what it
is given and does not rewrite the status) and its `end` has not passed. Its `criteria`
(`Task?code=fulfill`) says which changes it wants; its channel where and how they go:

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
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from painfhir.fhir.codec import parse_json

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


def _ended(end: str | None, now: datetime) -> bool:
    try:
        return end is not None and datetime.fromisoformat(end) <= now
    except ValueError:  # a date without a time zone: R4 requires one on an instant
        return False


def subscriber(content: bytes, now: datetime) -> Subscriber | None:
    """The subscriber a stored Subscription describes; None when it is not live or asks for
    something painfhir cannot send (another channel type, an unknown scheme)."""
    subscription: Json = parse_json(content)
    if subscription.get("status") not in _LIVE or _ended(subscription.get("end"), now):
        return None
    channel = subscription.get("channel", {})
    if channel.get("type") not in ("rest-hook", "message"):
        return None
    res_type, _, query = str(subscription.get("criteria", "")).partition("?")
    endpoint = channel.get("endpoint")
    target = Target(endpoint, channel.get("payload", "")) if endpoint else None
    if not res_type or (target is not None and not _usable(target)):
        return None
    return Subscriber(subscription["id"], res_type, parse_qsl(query), target)


def headers(content: bytes) -> list[tuple[str, str]]:
    """The HTTP headers a Subscription's `channel.header` asks for."""
    lines = parse_json(content).get("channel", {}).get("header", [])
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
