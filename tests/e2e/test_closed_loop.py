"""The whole closed loop over HTTP against the real server, with two clients — the referring
EHR and the clinic, each saying its side in X-Painfhir-Actor — for a referral sent as a FHIR
transaction and one sent as an HL7 v2 REF^I12 over MLLP: arrival and intake, acceptance,
scheduling, the consultation, the MDT, the care plan, an opioid prescription with its
warnings, completion.

Every refused referral move (wrong state, wrong side, missing parameters, stale If-Match) is
covered in tests/workflow/referral/test_refusals_http.py and test_other_ingress_http.py;
here are the refusals of the steps this journey adds.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from painfhir.mapping.hl7v2 import parse_message
from tests.conftest import RunningServer
from tests.e2e.journey import through_the_clinic
from tests.ingress.mllp_client import MllpClient
from tests.workflow.referral.conftest import Party, business_status
from tests.workflow.referral.referral_package import referral_bundle
from tests.workflow.referral.test_journey_http import findings, send_referral

pytestmark = pytest.mark.e2e
GOLDEN_REF_I12 = Path(__file__).resolve().parents[2] / "mappings" / "hl7v2" / "cases"
REF_I12 = GOLDEN_REF_I12 / "ref-i12-chronic-low-back-pain" / "input.hl7"
PLACER = "urn:oid:2.16.840.1.113883.3.7001.4|REF-2026-0042"  # its RF1-6 and MSH-4


def _over_mllp(server: RunningServer, message: bytes) -> str:
    """The acknowledgement code (MSA-1)."""
    assert server.mllp_port is not None
    with MllpClient(server.mllp_port) as mllp:
        mllp.send(message)
        ack = mllp.receive()
    return str(parse_message(ack).segments[1].fields[1])


def with_control_id(message: bytes, control_id: str) -> bytes:
    """The message sent again as a new message (a new MSH-10), as an update would be."""
    msh, end, rest = re.split(rb"(\r\n|\r|\n)", message, maxsplit=1)
    fields = msh.split(b"|")
    fields[9] = control_id.encode()
    return b"|".join(fields) + end + rest


def test_a_fhir_transaction_referral_through_the_whole_loop(ehr: Party, clinic: Party) -> None:
    _, _, task = send_referral(ehr, referral_bundle(with_coverage=True))
    assert business_status(task) == "2.0" and findings(task) == []
    through_the_clinic(ehr, clinic, task["id"], "chronic-low-back-pain")


def test_a_ref_i12_over_mllp_through_the_whole_loop(
    loop_server: RunningServer, ehr: Party, clinic: Party
) -> None:
    message = REF_I12.read_bytes()
    assert _over_mllp(loop_server, message) == "AA"
    (request,) = [
        e["resource"] for e in clinic.get(f"/ServiceRequest?identifier={PLACER}")["entry"]
    ]
    (entry,) = clinic.get(f"/Task?focus=ServiceRequest/{request['id']}")["entry"]
    task = entry["resource"]
    assert business_status(task) == "2.0"
    assert task["identifier"][0]["value"] == "REF-2026-0042"
    # The referrer is reached through the role's practitioner, the MRI report (CPT 72148)
    # is prior imaging, G89.29 shows chronicity, the PR1 is prior treatment; but NSAIDs
    # are named in the text only, and the message's IN1 is shifted by one field from
    # IN1-12, so the plan reads as expired on 2026-01-01 (IN1-13).
    assert findings(task) == ["coverage-not-active", "missing-medication-list"]
    through_the_clinic(ehr, clinic, task["id"], "chronic-low-back-pain")

    # The EHR sends the referral again, updated: the clinic's Task stays where it is.
    assert _over_mllp(loop_server, with_control_id(message, "RESENT-1")) == "AA"
    (again,) = clinic.get(f"/Task?focus=ServiceRequest/{request['id']}")["entry"]
    assert business_status(again["resource"]) == "7.0"


def test_a_ref_i14_after_acceptance_asks_for_cancellation(
    loop_server: RunningServer, corpora: Path, ehr: Party, clinic: Party
) -> None:
    """The REF^I14 finds the Task by its placer identifier, whatever id it was given."""
    referral = (corpora / "hl7v2" / "REF-I12-01.hl7").read_bytes()
    assert _over_mllp(loop_server, referral) == "AA"
    (entry,) = clinic.get("/Task?identifier=urn:oid:2.16.840.1.122848.1.30|226839")["entry"]
    assert business_status(clinic.moved(entry["resource"]["id"], "accept")) == "3.0"
    # The corpus gives the cancellation the referral's control id: sent as a message of its own.
    cancellation = (corpora / "hl7v2" / "REF-I14-01.hl7").read_bytes()
    assert _over_mllp(loop_server, with_control_id(cancellation, "CANCEL-1")) == "AA"
    task = ehr.get(f"/Task/{entry['resource']['id']}")
    assert (task["status"], business_status(task)) == ("in-progress", "5.2")
