"""A Subscription from being written to being given up: criteria that cannot run are refused,
an `end` is read whatever its form, and what is queued for a Subscription that is gone, off
or ended is not sent; a receiver that trickles its answer does not hold a send past its
timeout."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import respx

from painfhir.interactions import writes
from painfhir.notify import DeliveryPolicy, DeliveryWorker
from painfhir.notify._dispatch import live_subscribers
from painfhir.notify._transports import send_http
from painfhir.store import DeliveryQuery, Store

HOOK = "http://ehr.example/fhir-hook"


def _subscription(name: str, criteria: str, **more: Any) -> dict[str, Any]:
    return {
        "resourceType": "Subscription",
        "id": name,
        "status": "active",
        "reason": "r",
        "criteria": criteria,
        "channel": {"type": "rest-hook", "endpoint": HOOK, "payload": "application/fhir+json"},
        **more,
    }


def _put(store: Store, resource: dict[str, Any]) -> None:
    with store.write() as session:
        writes.update(session, resource["id"], resource)


@pytest.mark.parametrize(
    "criteria", ["Task?bogus=1", "Nonsense?x=1", "garbage", "Patient?birthdate=notadate"]
)
def test_criteria_that_cannot_run_are_refused_when_written(
    client: httpx.Client, criteria: str
) -> None:
    answer = client.put("/Subscription/x0", json=_subscription("x0", criteria))
    assert answer.status_code == 422, answer.text
    (issue,) = answer.json()["issue"]
    assert issue["expression"] == ["Subscription.criteria"]


def test_criteria_that_run_are_accepted(client: httpx.Client) -> None:
    answer = client.put("/Subscription/x1", json=_subscription("x1", "Task?code=fulfill"))
    assert answer.status_code in (200, 201), answer.text


def _queued_then(store: Store, change: dict[str, Any] | None) -> tuple[int, str, str | None]:
    """Queue one delivery for the Subscription `hook`, change it (None: delete it), run the
    worker; what the receiver got and what became of the delivery."""
    _put(store, _subscription("hook", "Patient?family=Garcia"))
    worker = DeliveryWorker(store, DeliveryPolicy(retry_seconds=0, max_attempts=3))
    _put(store, {"resourceType": "Patient", "id": "p1", "name": [{"family": "Garcia"}]})
    worker.dispatch()
    if change is None:
        with store.write() as session:
            writes.delete(session, "Subscription", "hook")
    else:
        _put(store, _subscription("hook", "Patient?family=Garcia", **change))

    async def deliver() -> None:
        await worker.deliver_due()
        await worker.stop()

    with respx.mock:
        hook = respx.post(HOOK).mock(return_value=httpx.Response(200))
        asyncio.run(deliver())
    (delivery,) = store.deliveries.search(DeliveryQuery())
    return hook.call_count, delivery.status, delivery.last_error


@pytest.mark.parametrize(
    ("change", "why"),
    [
        (None, "subscription deleted"),
        ({"status": "off"}, "subscription off"),
        ({"end": "2001-01-01T00:00:00Z"}, "subscription ended"),
    ],
)
def test_what_is_queued_for_a_subscription_given_up_is_not_sent(
    store: Store, change: dict[str, Any] | None, why: str
) -> None:
    assert _queued_then(store, change) == (0, "dead", why)


def test_a_live_subscription_still_gets_what_is_queued(store: Store) -> None:
    assert _queued_then(store, {"end": "2999-01-01T00:00:00Z"}) == (1, "delivered", None)


def test_an_end_without_a_time_zone_is_utc_and_a_date_its_first_moment(store: Store) -> None:
    _put(store, _subscription("date", "Patient?family=Garcia", end="2030-01-01"))
    _put(store, _subscription("naive", "Patient?family=Garcia", end="2030-01-01T12:00:00"))
    _put(store, _subscription("unreadable", "Patient?family=Garcia", end="soon"))
    _put(store, _subscription("plain", "Patient?family=Garcia"))

    def live(at: datetime) -> list[str]:
        return sorted(s.id for s in live_subscribers(store, at))

    assert live(datetime(2029, 12, 31, 23, 59, tzinfo=UTC)) == ["date", "naive", "plain"]
    assert live(datetime(2030, 1, 1, tzinfo=UTC)) == ["naive", "plain"]
    assert live(datetime(2030, 1, 1, 12, tzinfo=UTC)) == ["plain"]


def test_a_trickled_answer_does_not_hold_a_send_past_its_timeout() -> None:
    async def trickle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        for byte in b"HTTP/1.1 200 OK\r\nContent-Length: 40\r\n\r\n" + b"x" * 40:
            writer.write(bytes([byte]))
            await writer.drain()
            await asyncio.sleep(0.1)
        writer.close()

    async def send() -> tuple[bool, float]:
        server = await asyncio.start_server(trickle, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        started = time.monotonic()
        async with server, httpx.AsyncClient(timeout=0.5) as http:
            result = await send_http(
                http, f"http://127.0.0.1:{port}/", b"{}", "", "PF1", [], timeout=0.5
            )
            server.close()
        return result.delivered, time.monotonic() - started

    delivered, took = asyncio.run(send())
    assert not delivered
    assert took < 2
