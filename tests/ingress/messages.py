"""REF^I12 messages for the ingress tests, built from parts a test varies."""

from __future__ import annotations

from pathlib import Path

REFERRAL_MODULE = Path(__file__).parent / "referral_module"


def referral(
    control_id: str = "MSG0001",
    *,
    mrn: str = "PAT1",
    referral_id: str = "REF1",
    status: str = "P",
    version: str = "2.5.1",
    encoding: str = "^~\\&",
) -> bytes:
    component = encoding[0]
    segments = [
        f"MSH|{encoding}|GHH|GHHFAC|PAINFHIR|CLINIC|20240301120000||REF{component}I12"
        f"{component}REF_I12|{control_id}|P|{version}",
        f"RF1|{status}{component}Pending|R|Med||O|{referral_id}",
        f"PID|1||{mrn}||EVERYMAN{component}ADAM",
    ]
    return "\r".join(segments).encode() + b"\r"
