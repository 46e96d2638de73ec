"""The corpus REF^I12 (../shared/corpora/hl7v2/REF-I12-01.hl7) through the built-in HL7 v2
module, over MLLP into the real server, on both backends."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from painfhir.mapping.hl7v2 import parse_message
from tests.conftest import RunningServer, new_database
from tests.ingress.mllp_client import MllpClient


@pytest.fixture(scope="module")
def corpus_server(
    backend: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningServer]:
    database = new_database(backend, tmp_path_factory.mktemp("corpus"))
    running = RunningServer(database, mllp=True)
    yield running
    running.stop()
    database.drop()


@pytest.fixture(scope="module")
def corpus_referral(corpora: Path) -> bytes:
    return (corpora / "hl7v2" / "REF-I12-01.hl7").read_bytes()


def _fields(ack: bytes, index: int) -> list[str]:
    return list(parse_message(ack).segments[index].fields)


def test_referral_is_stored_once_and_readable(
    corpus_server: RunningServer, corpus_referral: bytes
) -> None:
    assert corpus_server.mllp_port is not None
    with MllpClient(corpus_server.mllp_port) as mllp:
        ack = mllp.exchange(corpus_referral)
        versions = corpus_server.database.count("resource_version")
        resend = mllp.exchange(corpus_referral)
    assert _fields(ack, 1)[1:3] == ["AA", "MSG00112"]
    assert resend == ack
    assert corpus_server.database.count("resource_version") == versions
    requests = httpx.get(f"{corpus_server.url}/ServiceRequest").json()["entry"]
    subject = requests[0]["resource"]["subject"]["reference"]
    assert httpx.get(f"{corpus_server.url}/{subject}").json()["name"][0]["family"] == "EVERYMAN"
    logged = httpx.get(f"{corpus_server.url}/hl7v2/messages/{_fields(ack, 0)[10]}").json()
    assert (logged["status"], logged["module"]) == ("processed", "hl7v2")
    assert logged["output"]["type"] == "transaction-response"


def test_referral_without_rf1_is_refused_and_kept(
    corpus_server: RunningServer, corpus_referral: bytes
) -> None:
    lines = corpus_referral.replace(b"|MSG00112|", b"|MSG00112-NORF1|").split(b"\n")
    broken = b"\n".join(line for line in lines if not line.startswith(b"RF1"))
    assert corpus_server.mllp_port is not None
    before = corpus_server.database.count("resource_version")
    with MllpClient(corpus_server.mllp_port) as mllp:
        ack = mllp.exchange(broken)
    assert _fields(ack, 1)[1:3] == ["AE", "MSG00112-NORF1"]
    assert _fields(ack, 2)[2] == "RF1"  # the segment; no sequence or field it lacks
    assert _fields(ack, 2)[3].startswith("100^")  # table 0357: a required segment missing
    assert corpus_server.database.count("resource_version") == before
    raw = httpx.get(f"{corpus_server.url}/hl7v2/messages/{_fields(ack, 0)[10]}/raw").content
    assert raw == broken
