"""Original-mode acknowledgements: the MSH swapped back, MSA, ERR per HL7 version."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from painfhir.ingress.ack import AckError, build_ack
from painfhir.ingress.header import read_header
from tests.ingress.messages import referral

NOW = datetime(2024, 3, 1, 12, 30, tzinfo=UTC)
MISSING_MRN = AckError(101, "PID-3 is required", segment="PID", segment_number=3, field=3)


def _lines(ack: bytes) -> list[str]:
    assert ack.endswith(b"\r")
    return ack.decode().split("\r")[:-1]


@pytest.mark.parametrize(
    ("raw", "lines"),
    [
        pytest.param(
            referral("C1"),
            [
                "MSH|^~\\&|PAINFHIR|CLINIC|GHH|GHHFAC|20240301123000+0000||ACK^I12^ACK|9|P|2.5.1",
                "MSA|AE|C1",
                "ERR||PID^3^3|101^Required field missing^HL70357|E||||PID-3 is required",
            ],
            id="v2.5.1: ERR-2, ERR-3, ERR-4, ERR-8",
        ),
        pytest.param(
            referral("C1", version="2.3"),
            [
                "MSH|^~\\&|PAINFHIR|CLINIC|GHH|GHHFAC|20240301123000+0000||ACK^I12|9|P|2.3",
                "MSA|AE|C1",
                "ERR|PID^3^3^101&PID-3 is required&HL70357",
            ],
            id="v2.3: ERR-1, no message structure in MSH-9",
        ),
        pytest.param(
            referral("C1", encoding="#~\\&*"),
            [
                "MSH|#~\\&*|PAINFHIR|CLINIC|GHH|GHHFAC|20240301123000+0000||ACK#I12#ACK|9|P|2.5.1",
                "MSA|AE|C1",
                "ERR||PID#3#3|101#Required field missing#HL70357|E||||PID-3 is required",
            ],
            id="the sender's encoding characters",
        ),
    ],
)
def test_error_acknowledgement(raw: bytes, lines: list[str]) -> None:
    header = read_header(raw).header
    assert _lines(build_ack(header, "AE", [MISSING_MRN], "9", NOW)) == lines


def test_user_message_is_escaped() -> None:
    error = AckError(207, "a|b^c\\d")
    ack = build_ack(read_header(referral()).header, "AE", [error], "9", NOW)
    assert _lines(ack)[2] == "ERR|||207^Application internal error^HL70357|E||||a\\F\\b\\S\\c\\E\\d"


def test_character_set_is_echoed_and_used() -> None:
    raw = referral().replace(b"|P|2.5.1", b"|P|2.5.1||||||8859/1")
    error = AckError(207, "caf\u00e9")
    ack = build_ack(read_header(raw).header, "AE", [error], "9", NOW)
    assert ack.split(b"\r")[0].endswith(b"|P|2.5.1||||||8859/1")
    assert ack.split(b"\r")[2].endswith(b"caf\xe9")


def test_an_unreadable_header_is_answered_in_the_defaults() -> None:
    error = AckError(100, "not HL7")
    assert _lines(build_ack(None, "AR", [error], "9", NOW))[:2] == [
        "MSH|^~\\&|painfhir||||20240301123000+0000||ACK|9|P|2.5.1",
        "MSA|AR|",
    ]


def test_text_the_charset_cannot_carry_still_gets_an_acknowledgement() -> None:
    # A diagnostic quoting a message read in the wrong charset: the default is ASCII.
    error = AckError(100, "the message does not start with MSH (\u6700\u7261)")
    ack = build_ack(None, "AR", [error], "9", NOW)
    assert ack.split(b"\r")[2].endswith(b"does not start with MSH (??)")
