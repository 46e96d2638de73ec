"""Notifications: who hears about which change, in which form, and the worker that tells them.

    worker = DeliveryWorker(store, DeliveryPolicy.of(settings))
    worker.start()            # in the app's lifespan; `await worker.stop()` at the end
    await worker.run_once()   # one round: dispatch the outbox, send what is due

Subscribers are FHIR `Subscription` resources stored in painfhir (`_subscribers` says which
channels are served); every change's outbox event is dispatched into one delivery per
subscriber that wants it, and each delivery is sent until the receiver acknowledges it, or
given up after the last attempt (a dead letter, which `store.deliveries.retry` puts back).
A Subscription whose criteria cannot be run is refused when written (`NOTIFY_REACTIONS`).

The outbound mapping is pure: `rri_i12(ReferralChange, Envelope)` is a referral Task's
change as an HL7 v2.5.1 RRI^I12, `notification_bundle` a change as a Subscriptions
Backport-style notification Bundle.
"""

from painfhir.notify._checks import NOTIFY_REACTIONS
from painfhir.notify._fhir_notification import ChangeNotice, notification_bundle
from painfhir.notify._payloads import UndeliverableChangeError, build_payload, control_id
from painfhir.notify._rri import Envelope, Party, ReferralChange, rri_i12
from painfhir.notify._subscribers import FHIR_JSON, HL7_V2_ER7, Subscriber, Target
from painfhir.notify._worker import DeliveryPolicy, DeliveryWorker

__all__ = [
    "FHIR_JSON",
    "HL7_V2_ER7",
    "NOTIFY_REACTIONS",
    "ChangeNotice",
    "DeliveryPolicy",
    "DeliveryWorker",
    "Envelope",
    "Party",
    "ReferralChange",
    "Subscriber",
    "Target",
    "UndeliverableChangeError",
    "build_payload",
    "control_id",
    "notification_bundle",
    "rri_i12",
]
