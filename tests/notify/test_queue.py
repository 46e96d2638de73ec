"""The delivery queue on both stores, and the worker against respx-faked HTTP receivers:
one delivery per event and subscriber, one claim per queue, acknowledged means delivered."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
import orjson
import respx

from painfhir.interactions import writes
from painfhir.notify import DeliveryPolicy, DeliveryWorker
from painfhir.store import DeliveryQuery, OutboxEvent, Route, Store
from painfhir.store._time import utc_now

HOOK = "http://ehr.example/fhir-hook"


def _subscribe(store: Store) -> None:
    subscription = {
        "resourceType": "Subscription",
        "id": "hook",
        "status": "active",
        "reason": "referral steps",
        "criteria": "Patient?family=Garcia",
        "channel": {"type": "rest-hook", "endpoint": HOOK, "payload": "application/fhir+json"},
    }
    with store.write() as session:
        writes.update(session, "hook", subscription)


def _patient(store: Store, family: str) -> None:
    with store.write() as session:
        writes.create(session, {"resourceType": "Patient", "name": [{"family": family}]})


def test_a_second_dispatch_of_the_same_events_adds_nothing(store: Store) -> None:
    _patient(store, "Garcia")
    events = store.deliveries.undispatched(10)
    route = Route(events[0].seq, "hook", HOOK, "application/fhir+json")
    store.deliveries.dispatch(events, [route], utc_now())
    store.deliveries.dispatch(events, [route], utc_now())
    assert store.deliveries.undispatched(10) == []
    assert len(store.deliveries.search(DeliveryQuery())) == 1


def test_a_queue_gives_out_its_oldest_delivery_once(store: Store) -> None:
    _patient(store, "Garcia")
    _patient(store, "Garcia")
    events: list[OutboxEvent] = store.deliveries.undispatched(10)
    routes = [Route(e.seq, "hook", HOOK, "") for e in events]
    store.deliveries.dispatch(events, routes, utc_now())
    now = utc_now()
    first = store.deliveries.claim(now, now + timedelta(seconds=60), 10)
    assert [d.outbox_seq for d in first] == [events[0].seq]
    # held by the first claimer, and the next in its queue waits behind it
    assert store.deliveries.claim(now, now + timedelta(seconds=60), 10) == []


@respx.mock
def test_the_worker_posts_a_notification_and_records_the_answer(store: Store) -> None:
    hook = respx.post(HOOK).mock(side_effect=[httpx.Response(503), httpx.Response(200)])
    _subscribe(store)
    _patient(store, "Garcia")
    _patient(store, "Okafor")  # not what the subscription asks for
    worker = DeliveryWorker(store, DeliveryPolicy(retry_seconds=0, max_attempts=3))

    async def two_rounds() -> None:
        await worker.run_once()
        await worker.run_once()
        await worker.stop()

    asyncio.run(two_rounds())
    assert hook.call_count == 2
    bundle = orjson.loads(hook.calls.last.request.content)
    assert bundle["entry"][1]["resource"]["name"] == [{"family": "Garcia"}]
    (delivery,) = store.deliveries.search(DeliveryQuery())
    assert (delivery.status, delivery.attempts) == ("delivered", 2)
    outcomes = [a.outcome for a in store.deliveries.attempts(delivery.id)]
    assert outcomes == ["failed", "delivered"]
