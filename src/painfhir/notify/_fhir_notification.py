"""The FHIR notification of one change, shaped as the R4 Subscriptions Backport IG's
notification Bundle: a `history` Bundle whose first entry is the subscription's status (a
Parameters: subscription, status, type `event-notification`, events since the subscription
started, and the notification event with its number, time and focus), followed — when the
Subscription asks for a payload (`channel.payload`) — by the changed resource exactly as
stored. Without a payload the receiver gets the focus reference only and reads the
resource itself ("id-only" in the IG's words). Pure: the stored bytes in, bytes out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import orjson

from painfhir.fhir.codec import dump_json
from painfhir.store._time import instant_text


@dataclass(frozen=True, slots=True)
class ChangeNotice:
    subscription_id: str
    event_number: int  # this event's place among those the subscription was sent
    res_type: str
    res_id: str
    method: str  # the interaction that made the version: POST, PUT, PATCH or DELETE
    content: bytes | None  # the version as stored; None without a payload


def _status(notice: ChangeNotice, sent_at: datetime) -> dict[str, object]:
    number = str(notice.event_number)  # the IG's R4 form: integer64 travels as a string
    return {
        "resourceType": "Parameters",
        "parameter": [
            {
                "name": "subscription",
                "valueReference": {"reference": f"Subscription/{notice.subscription_id}"},
            },
            {"name": "status", "valueCode": "active"},
            {"name": "type", "valueCode": "event-notification"},
            {"name": "events-since-subscription-start", "valueString": number},
            {
                "name": "notification-event",
                "part": [
                    {"name": "event-number", "valueString": number},
                    {"name": "timestamp", "valueInstant": instant_text(sent_at)},
                    {
                        "name": "focus",
                        "valueReference": {"reference": f"{notice.res_type}/{notice.res_id}"},
                    },
                ],
            },
        ],
    }


def notification_bundle(
    notice: ChangeNotice, bundle_id: str, sent_at: datetime, base: str = ""
) -> bytes:
    entries: list[dict[str, object]] = [
        {
            "resource": _status(notice, sent_at),
            "request": {
                "method": "GET",
                "url": f"Subscription/{notice.subscription_id}/$status",
            },
            "response": {"status": "200"},
        }
    ]
    if notice.content is not None:
        url = f"{notice.res_type}/{notice.res_id}"
        request_url = notice.res_type if notice.method == "POST" else url
        entry: dict[str, object] = {
            "resource": orjson.Fragment(notice.content),
            "request": {"method": notice.method, "url": request_url},
            "response": {"status": "201" if notice.method == "POST" else "200"},
        }
        if base:
            entry = {"fullUrl": f"{base.rstrip('/')}/{url}", **entry}
        entries.append(entry)
    return dump_json(
        {
            "resourceType": "Bundle",
            "id": bundle_id,
            "type": "history",
            "timestamp": instant_text(sent_at),
            "entry": entries,
        }
    )
