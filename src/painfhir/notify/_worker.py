"""The delivery worker: dispatches outbox events into deliveries, then sends what is due.

It runs as an asyncio task in each `painfhir serve` process (or alone, `painfhir notify
run`); database work goes to threads, sends run concurrently, one per queue. Several workers
on one database share the work through the queue's claims (see `painfhir.store`). Stopping
mid-send leaves the claim to expire, and the delivery is sent again: a receiver may hear a
message twice (with the same control id), never not at all. A delivery whose Subscription
has been deleted, switched off or has ended is not sent but marked dead, saying why.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx

from painfhir.fhir.codec import parse_json
from painfhir.notify._dispatch import live_subscribers, routes
from painfhir.notify._payloads import UndeliverableChangeError, build_payload, control_id
from painfhir.notify._subscribers import ended_because, headers
from painfhir.notify._transports import SendResult, send_http, send_mllp
from painfhir.settings import Settings
from painfhir.store import Delivery, DeliveryAttempt, Store
from painfhir.store._time import utc_now

log = logging.getLogger(__name__)
Json = dict[str, Any]
_MAX_RETRY_SECONDS = 3600.0


@dataclass(frozen=True, slots=True)
class DeliveryPolicy:
    max_attempts: int = 12
    retry_seconds: float = 5.0
    timeout_seconds: float = 10.0
    poll_seconds: float = 1.0
    batch: int = 100
    base: str = ""  # the public base URL, for fullUrls in FHIR notifications

    @classmethod
    def of(cls, settings: Settings) -> DeliveryPolicy:
        return cls(
            max_attempts=settings.notify_max_attempts,
            retry_seconds=settings.notify_retry_seconds,
            timeout_seconds=settings.notify_timeout_seconds,
            poll_seconds=settings.notify_poll_seconds,
            base=settings.base_url or "",
        )

    def retry_at(self, attempts: int, now: datetime) -> datetime | None:
        """When to try again after `attempts` failed attempts; None: give up."""
        if attempts >= self.max_attempts:
            return None
        wait = min(self.retry_seconds * 2 ** (attempts - 1), _MAX_RETRY_SECONDS)
        return now + timedelta(seconds=wait)

    @property
    def claim_seconds(self) -> float:
        """How long a claim holds: past any send's timeout, with room for the database."""
        return 2 * self.timeout_seconds + 30


class DeliveryWorker:
    def __init__(self, store: Store, policy: DeliveryPolicy) -> None:
        self._store = store
        self._policy = policy
        self._http = httpx.AsyncClient(timeout=policy.timeout_seconds)
        self._task: asyncio.Task[None] | None = None

    def dispatch(self) -> int:
        """Turn the oldest undispatched outbox events into deliveries; how many were read."""
        events = self._store.deliveries.undispatched(self._policy.batch)
        if not events:
            return 0
        now = utc_now()
        subscribers = live_subscribers(self._store, now)
        owed = [route for event in events for route in routes(self._store, event, subscribers)]
        self._store.deliveries.dispatch(events, owed, now)
        return len(events)

    async def deliver_due(self) -> int:
        """Send every delivery due now (one per queue); how many were tried."""
        now = utc_now()
        until = now + timedelta(seconds=self._policy.claim_seconds)
        claimed = await asyncio.to_thread(
            self._store.deliveries.claim, now, until, self._policy.batch
        )
        await asyncio.gather(*(self._deliver(delivery) for delivery in claimed))
        return len(claimed)

    async def run_once(self) -> int:
        dispatched = await asyncio.to_thread(self.dispatch)
        return dispatched + await self.deliver_due()

    async def _deliver(self, delivery: Delivery) -> None:
        now = utc_now()
        payload = delivery.payload
        try:
            subscription = await self._subscription(delivery)
            gone = ended_because(subscription, now)
            if gone is not None:  # what was queued before it ended is not owed any more
                await self._record(delivery, DeliveryAttempt(now, "dead", gone), None)
                return
            if payload is None:
                build = build_payload
                payload = await asyncio.to_thread(
                    build, self._store, delivery, now, self._policy.base
                )
            result = await self._send(delivery, payload, headers(subscription or {}))
        except UndeliverableChangeError as error:
            await self._record(delivery, DeliveryAttempt(now, "dead", str(error)), None)
            return
        except Exception as error:  # a bug or the database: keep the delivery, try later
            log.exception("Delivery %s failed unexpectedly", delivery.id)
            result = SendResult(False, f"{type(error).__name__}: {error}")
        if result.delivered:
            await self._record(delivery, DeliveryAttempt(now, "delivered", result.detail), payload)
            return
        retry_at = self._policy.retry_at(delivery.attempts + 1, now)
        outcome = "failed" if retry_at else "dead"
        log.warning("Delivery %s to %s %s: %s", delivery.id, delivery.endpoint, outcome, result)
        await self._record(
            delivery, DeliveryAttempt(now, outcome, result.detail), payload, retry_at
        )

    async def _subscription(self, delivery: Delivery) -> Json | None:
        """The delivery's Subscription as it stands now; None once deleted."""
        stored = await asyncio.to_thread(self._store.read, "Subscription", delivery.subscription)
        return parse_json(stored.content) if stored and stored.content else None

    async def _send(
        self, delivery: Delivery, payload: bytes, extra: list[tuple[str, str]]
    ) -> SendResult:
        ctrl = control_id(delivery)
        timeout = self._policy.timeout_seconds
        if delivery.endpoint.startswith("mllp://"):
            return await send_mllp(delivery.endpoint, payload, ctrl, timeout)
        return await send_http(
            self._http, delivery.endpoint, payload, delivery.content_type, ctrl, extra, timeout
        )

    async def _record(
        self,
        delivery: Delivery,
        attempt: DeliveryAttempt,
        payload: bytes | None,
        retry_at: datetime | None = None,
    ) -> None:
        record = self._store.deliveries.record
        await asyncio.to_thread(record, delivery.id, attempt, payload, retry_at)

    async def _run(self) -> None:
        while True:
            try:
                busy = await self.run_once()
            except Exception:  # the database is down, say: keep going, nothing is lost
                log.exception("Notification worker round failed")
                busy = 0
            if not busy:
                await asyncio.sleep(self._policy.poll_seconds)

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="painfhir-notify")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        await self._http.aclose()
