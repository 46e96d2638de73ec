"""Every channel's receiver over one store and one set of mapping modules: what the app
and the CLI hold, and where a replay finds the receiver of the channel a message came in
on."""

from __future__ import annotations

from painfhir.ingress.fhir_receiver import FhirReceiver
from painfhir.ingress.receiver import Hl7v2Receiver
from painfhir.ingress.replay import logged_message
from painfhir.mapping import Mappings
from painfhir.store import LoggedMessage, Store


class Receivers:
    def __init__(self, store: Store, mappings: Mappings, base: str, lenient: bool) -> None:
        self._store = store
        self.mappings = mappings
        self.hl7v2 = Hl7v2Receiver(store, mappings, base, lenient)
        self.fhir = FhirReceiver(store, mappings, base, lenient)

    def replay(self, message_id: int) -> LoggedMessage:
        """Process a failed or rejected message again, from its raw bytes as logged."""
        if logged_message(self._store, message_id).channel == "fhir":
            self.fhir.replay(message_id)
        else:
            self.hl7v2.replay(message_id)
        return logged_message(self._store, message_id)
