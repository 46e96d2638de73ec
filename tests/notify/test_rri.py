"""The RRI^I12 painfhir sends for each step of a referral: exact messages (golden files in
golden/, one per business status), valid HL7 v2 that painfhir's own parser reads back."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from painfhir.mapping.hl7v2 import Terser, parse_message
from painfhir.notify import Envelope, Party, ReferralChange, rri_i12
from tests.notify.referral import (
    APPOINTMENT,
    CARE_PLAN,
    CLINIC,
    CONSULT_NOTE,
    PATIENT,
    REFERRAL,
    REFERRING_DOCTOR,
    REFERRING_PRACTICE,
    task,
)

Json = dict[str, Any]
GOLDEN = Path(__file__).parent / "golden"
ENVELOPE = Envelope("PF17", datetime(2026, 11, 3, 16, 20, 7, tzinfo=UTC))
DECLINED_REASON = {
    "coding": [{"code": "outside-scope"}],
    "text": "Cancer pain: referred on to the oncology palliative team",
}


def change(
    code: str, previous: dict[str, Any] | None = None, **task_changes: Any
) -> ReferralChange:
    return ReferralChange(
        task=task(code, **task_changes),
        previous=previous,
        referral=REFERRAL,
        patient=PATIENT,
        requester=Party(REFERRING_DOCTOR, REFERRING_PRACTICE),
        clinic=Party(organization=CLINIC, display="Desert Pain Clinic"),
        appointment=APPOINTMENT if code == "5.1.1" else None,
    )


STEPS = [
    pytest.param("2.0", change("2.0"), id="2.0-received"),
    pytest.param(
        "3.0",
        change("3.0", task("2.0"), note=[{"text": "Accepted; bring the lumbar MRI CD"}]),
        id="3.0-accepted-with-note",
    ),
    pytest.param(
        "4.0", change("4.0", task("2.0"), statusReason=DECLINED_REASON), id="4.0-declined"
    ),
    pytest.param("5.1.1", change("5.1.1", task("3.0")), id="5.1.1-scheduled"),
    pytest.param("5.1.2", change("5.1.2", task("5.1.1")), id="5.1.2-not-attended"),
    pytest.param(
        "5.1.3",
        change("5.1.3", task("5.1.1"), statusReason={"text": "Clinician unwell"}),
        id="5.1.3-appointment-cancelled",
    ),
    pytest.param(
        "5.1.4",
        change("5.1.4", task("5.1.1"), output=[CONSULT_NOTE]),
        id="5.1.4-interim-note",
    ),
    pytest.param(
        "6.0",
        change("6.0", task("5.2"), statusReason={"text": "Patient moved out of state"}),
        id="6.0-cancelled",
    ),
    pytest.param(
        "7.0",
        change("7.0", task("5.1.4", output=[CONSULT_NOTE]), output=[CONSULT_NOTE, CARE_PLAN]),
        id="7.0-completed-with-outputs",
    ),
]


@pytest.mark.parametrize(("code", "referral_change"), STEPS)
def test_each_step_is_the_golden_message(code: str, referral_change: ReferralChange) -> None:
    message = rri_i12(referral_change, ENVELOPE)
    golden = GOLDEN / f"rri-i12-{code}.hl7"  # segments one a line, for reading
    assert message.replace(b"\r", b"\n").decode() == golden.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("code", "status", "referral_change"),
    [
        pytest.param(p.values[0], s, p.values[1], id=p.id)
        for p, s in zip(STEPS, "PARAAAAEA", strict=True)
    ],
)
def test_the_status_is_table_0283_with_the_bser_code_beside_it(
    code: str, status: str, referral_change: ReferralChange
) -> None:
    read = Terser(parse_message(rri_i12(referral_change, ENVELOPE)))
    assert read.value("MSH-9.3") == "RRI_I12"
    assert (read.value("RF1-1.1"), read.value("RF1-1.3")) == (status, "HL70283")
    assert (read.value("RF1-1.4"), read.value("RF1-1.6")) == (code, "99BSER")


def test_placer_and_filler_numbers_are_the_referrals() -> None:
    read = Terser(parse_message(rri_i12(change("3.0"), ENVELOPE)))
    assert read.value("RF1-6.1") == "MVR-2026-0031"
    assert (read.value("RF1-6.3"), read.value("RF1-6.4")) == ("2.16.840.1.113883.3.72.7", "ISO")
    # the clinic gave no filler number of its own: the Task's id stands for it
    assert (read.value("RF1-11.1"), read.value("RF1-11.2")) == ("garcia-referral-task", "painfhir")


def test_text_that_holds_delimiters_is_escaped() -> None:
    odd = change("4.0", statusReason={"text": "Not a fit | see note ^2 & call ~ back\\now"})
    read = Terser(parse_message(rri_i12(odd, ENVELOPE)))
    assert read.value("NTE-3") == "Not a fit | see note ^2 & call ~ back\\now"


def test_a_task_without_a_placer_number_cannot_be_told() -> None:
    nameless = change("3.0", identifier=[])
    without_referral = ReferralChange(**{**_fields(nameless), "referral": None})
    with pytest.raises(ValueError, match="placer"):
        rri_i12(without_referral, ENVELOPE)


def _fields(referral_change: ReferralChange) -> dict[str, Any]:
    return {name: getattr(referral_change, name) for name in referral_change.__slots__}
