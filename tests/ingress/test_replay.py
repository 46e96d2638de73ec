"""Failed messages replayed after the mapping module is fixed: by `painfhir messages replay`
and by `POST /hl7v2/messages/{id}/$replay`, on both backends."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import httpx

from painfhir.mapping.hl7v2 import parse_message
from tests.conftest import Database, RunningServer
from tests.ingress.messages import REFERRAL_MODULE, referral

HL7 = {"Content-Type": "x-application/hl7-v2+er7"}


def _painfhir(database: Database, module: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    env = {
        **os.environ,
        "PAINFHIR_DATABASE_URL": database.url,
        "PAINFHIR_MAPPINGS_PATH": str(module),
    }
    return subprocess.run(
        [sys.executable, "-m", "painfhir", *args],
        env=env,
        capture_output=True,
        timeout=120,
        check=False,
    )


def _send(url: str, message: bytes) -> tuple[str, str]:
    """The acknowledgement's code, and its own control id: the message's log entry."""
    ack = parse_message(httpx.post(f"{url}/hl7v2", content=message, headers=HL7).content)
    return ack.segments[1].fields[1], ack.segments[0].fields[10]


def test_failed_messages_are_processed_after_a_fix(database: Database, tmp_path: Path) -> None:
    module = tmp_path / "referral_module"
    shutil.copytree(REFERRAL_MODULE, module, ignore=shutil.ignore_patterns("__pycache__"))
    before = RunningServer(database, mappings_path=str(module))
    try:
        # no RF1-6: the module as it stands cannot map these
        by_cli = _send(before.url, referral("FIX-1", mrn="F1", referral_id=""))
        by_api = _send(before.url, referral("FIX-2", mrn="F2", referral_id=""))
    finally:
        before.stop()
    assert (by_cli[0], by_api[0]) == ("AE", "AE")
    listed = _painfhir(database, module, "messages", "list", "--status", "failed")
    assert b"FIX-1" in listed.stdout
    assert b"FIX-2" in listed.stdout

    source = module / "module.py"
    fixed = source.read_text().replace('= "RF1-6.1"', '= "RF1-5.1"')
    source.write_text(fixed)

    replayed = _painfhir(database, module, "messages", "replay", by_cli[1])
    assert replayed.returncode == 0, replayed.stderr.decode()
    assert f"{by_cli[1]}: processed (AA)".encode() in replayed.stdout
    after = RunningServer(database, mappings_path=str(module))
    try:
        answer = httpx.post(f"{after.url}/hl7v2/messages/{by_api[1]}/$replay")
        again = httpx.post(f"{after.url}/hl7v2/messages/{by_cli[1]}/$replay")
        patients = httpx.get(f"{after.url}/Patient", params={"identifier": "urn:test:mrn|F2"})
    finally:
        after.stop()
    assert answer.status_code == 200
    assert (answer.json()["status"], answer.json()["attempts"]) == ("processed", 2)
    assert again.status_code == 409
    assert len(patients.json()["entry"]) == 1
    shown = _painfhir(database, module, "messages", "show", by_cli[1], "--raw")
    assert shown.stdout == referral("FIX-1", mrn="F1", referral_id="")
