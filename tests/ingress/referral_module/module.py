"""A small REF^I12 mapping for the ingress tests: a Patient from PID and a ServiceRequest
from RF1. RF1-1 goes into ServiceRequest.status untranslated, so a message can be made to
fail validation; a missing PID-3 or RF1-6 fails the mapping itself."""

from __future__ import annotations

from painfhir.mapping import Hl7v2Context, Hl7v2Mapping

# A test "fixes" the module by rewriting this line and restarting the server.
REQUIRED_REFERRAL_FIELD = "RF1-6.1"


def rules(ctx: Hl7v2Context) -> None:
    read = ctx.read
    mrn = ctx.require(read, "PID-3.1")
    patient = {
        "resourceType": "Patient",
        "id": ctx.resource_id("Patient", mrn),
        "identifier": [{"system": "urn:test:mrn", "value": mrn}],
        "name": [{"family": read.value("PID-5.1")}],
    }
    subject = ctx.add(patient)
    referral_id = ctx.require(read, REQUIRED_REFERRAL_FIELD)
    status = read.value("RF1-1.1")
    ctx.add(
        {
            "resourceType": "ServiceRequest",
            "id": ctx.resource_id("ServiceRequest", referral_id),
            "identifier": [{"system": "urn:test:referral", "value": referral_id}],
            "status": "active" if status == "P" else status,
            "intent": "order",
            "subject": subject,
        }
    )


MAPPING = Hl7v2Mapping(message_types=("REF^I12",), rules=rules)
