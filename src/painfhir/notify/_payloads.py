"""The message a delivery carries, built from the store: the version the event names and,
for an RRI^I12, the resources around the referral (read as they are when it is built).

`UndeliverableChangeError` says a payload cannot be built at all — the Task is not a referral an
RRI^I12 can describe, the version is gone — which no retry would fix.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from painfhir.fhir.codec import parse_json
from painfhir.notify._fhir_notification import ChangeNotice, notification_bundle
from painfhir.notify._references import resolve
from painfhir.notify._rri import Envelope, Party, ReferralChange, rri_i12
from painfhir.notify._subscribers import FHIR_JSON, HL7_V2_ER7
from painfhir.search.query import parse_query
from painfhir.store import Delivery, Store

Json = dict[str, Any]


class UndeliverableChangeError(Exception):
    """A delivery whose message cannot be built."""


def control_id(delivery: Delivery) -> str:
    """MSH-10 of a delivery: the same on every attempt, so a receiver spots a resend."""
    return f"PF{delivery.id}"


def _version(store: Store, res_type: str, res_id: str, number: int) -> Json | None:
    stored = store.read_version(res_type, res_id, number) if number > 0 else None
    if stored is None or stored.content is None:
        return None
    found: Json = parse_json(stored.content)
    return found


def _party(store: Store, reference: Json | None) -> Party:
    """The person and organization behind a requester or owner reference."""
    display = str((reference or {}).get("display", ""))
    found = resolve(store, reference)
    kind = (found or {}).get("resourceType")
    if found is None:
        return Party(display=display)
    if kind == "Organization":
        return Party(organization=found, display=display)
    if kind == "PractitionerRole":
        person = resolve(store, found.get("practitioner"))
        return Party(person, resolve(store, found.get("organization")), display)
    return Party(person=found, display=display)


def _booked_consultation(store: Store, referral_id: str) -> Json | None:
    """The referral's booked Appointment that starts last (the one just made, normally)."""
    query = parse_query(
        "Appointment",
        [
            ("based-on", f"ServiceRequest/{referral_id}"),
            ("status", "booked"),
            ("_sort", "-date"),
            ("_count", "1"),
        ],
        strict=True,
    )
    matches = store.search(query).matches
    return parse_json(matches[0].content) if matches and matches[0].content else None


def referral_change(store: Store, delivery: Delivery) -> ReferralChange:
    task = _version(store, "Task", delivery.res_id, delivery.version)
    if delivery.res_type != "Task" or task is None:  # a v2 subscriber of something else
        raise UndeliverableChangeError(f"{delivery.res_type}/{delivery.res_id} is no referral Task")
    referral = resolve(store, task.get("focus"))
    focus = str(task.get("focus", {}).get("reference", ""))
    referral_id = focus.removeprefix("ServiceRequest/") if referral else ""
    return ReferralChange(
        task=task,
        previous=_version(store, "Task", delivery.res_id, delivery.version - 1),
        referral=referral,
        patient=resolve(store, task.get("for") or (referral or {}).get("subject")),
        requester=_party(store, task.get("requester")),
        clinic=_party(store, task.get("owner")),
        appointment=_booked_consultation(store, referral_id) if referral_id else None,
    )


def build_payload(store: Store, delivery: Delivery, sent_at: datetime, base: str) -> bytes:
    if delivery.content_type == HL7_V2_ER7:
        change = referral_change(store, delivery)
        try:
            return rri_i12(change, Envelope(control_id(delivery), sent_at))
        except ValueError as error:
            raise UndeliverableChangeError(str(error)) from error
    stored = store.read_version(delivery.res_type, delivery.res_id, delivery.version)
    if stored is None:
        raise UndeliverableChangeError(f"{delivery.res_type}/{delivery.res_id} has no such version")
    notice = ChangeNotice(
        subscription_id=delivery.subscription,
        event_number=store.deliveries.event_number(delivery),
        res_type=delivery.res_type,
        res_id=delivery.res_id,
        method=stored.method,
        content=stored.content if delivery.content_type == FHIR_JSON else None,
    )
    return notification_bundle(notice, f"notification-{delivery.id}", sent_at, base)
