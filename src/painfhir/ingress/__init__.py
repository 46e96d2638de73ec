"""Ingress: how messages come in — HL7 v2 over MLLP or HTTP, FHIR dialects over HTTP —
and what each one gets.

    receivers = Receivers(store, mappings, base, lenient)
    receipt = receivers.hl7v2.receive(raw, "mllp", "10.0.0.5:51234", None)  # log, map, store
    receipt.ack                                                         # the HL7 ACK bytes
    answer = receivers.fhir.receive(raw, peer, content_type, client="mesa-verde")
    answer.status, answer.body            # 200 transaction-response, or an OperationOutcome
    receivers.replay(message_id)                                        # after a fix

Every message is logged raw in the store's message log before it is processed; `ack`
builds the acknowledgements, `mllp` the MLLP listener (the HTTP route is in `painfhir.api`).
"""

from painfhir.ingress.fhir_receiver import FhirReceipt, FhirReceiver
from painfhir.ingress.mllp import MllpLimits, MllpListener
from painfhir.ingress.receiver import HL7_V2_ER7, Hl7v2Receiver, Receipt
from painfhir.ingress.receivers import Receivers

__all__ = [
    "HL7_V2_ER7",
    "FhirReceipt",
    "FhirReceiver",
    "Hl7v2Receiver",
    "MllpLimits",
    "MllpListener",
    "Receipt",
    "Receivers",
]
