"""Deliveries as the API and `painfhir notify` show them: a summary, the details with every
attempt and the payload, and a table a person can read."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from painfhir.store import Delivery, DeliveryAttempt
from painfhir.store._time import instant_text
from painfhir.text_table import text_table

_HEADINGS = ("id", "status", "attempts", "subscription", "endpoint", "focus", "last error")


def _instant(moment: datetime | None) -> str | None:
    return instant_text(moment) if moment is not None else None


def _focus(delivery: Delivery) -> str:
    return f"{delivery.res_type}/{delivery.res_id}/_history/{delivery.version}"


def delivery_summary(delivery: Delivery) -> dict[str, object]:
    return {
        "id": delivery.id,
        "status": delivery.status,
        "subscription": f"Subscription/{delivery.subscription}",
        "endpoint": delivery.endpoint,
        "contentType": delivery.content_type,
        "focus": _focus(delivery),
        "outboxSeq": delivery.outbox_seq,
        "attempts": delivery.attempts,
        "nextAttemptAt": _instant(delivery.next_attempt_at)
        if delivery.status == "pending"
        else None,
        "lastError": delivery.last_error,
        "createdAt": _instant(delivery.created_at),
        "deliveredAt": _instant(delivery.delivered_at),
    }


def delivery_details(delivery: Delivery, attempts: list[DeliveryAttempt]) -> dict[str, object]:
    payload = delivery.payload.decode("utf-8", "replace") if delivery.payload else None
    return {
        **delivery_summary(delivery),
        "payload": payload,
        "attemptLog": [
            {"at": instant_text(a.attempted_at), "outcome": a.outcome, "detail": a.detail}
            for a in attempts
        ],
    }


def delivery_table(deliveries: Sequence[Delivery]) -> str:
    if not deliveries:
        return "no deliveries"
    rows = [
        (
            str(d.id),
            d.status,
            str(d.attempts),
            d.subscription,
            d.endpoint,
            _focus(d),
            (d.last_error or "")[:60],
        )
        for d in deliveries
    ]
    return text_table(_HEADINGS, rows)
