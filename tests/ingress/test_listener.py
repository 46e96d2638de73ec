"""HL7 v2 into the real server, over MLLP and HTTP, on both backends: acknowledged, stored
once and readable over FHIR REST, or kept in the message log with its errors."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from painfhir.mapping.hl7v2 import parse_message
from tests.conftest import RunningServer, new_database
from tests.ingress.messages import REFERRAL_MODULE, referral
from tests.ingress.mllp_client import MllpClient, frame

HL7 = {"Content-Type": "x-application/hl7-v2+er7"}
MAX_MESSAGE_BYTES = 20_000


@pytest.fixture(scope="module")
def hl7_server(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    database = new_database(backend, tmp_path_factory.mktemp("hl7"))
    running = RunningServer(
        database,
        mllp=True,
        mappings_path=str(REFERRAL_MODULE),
        max_body_bytes=str(MAX_MESSAGE_BYTES),
    )
    yield running
    running.stop()
    database.drop()


@pytest.fixture
def mllp(hl7_server: RunningServer) -> Iterator[MllpClient]:
    assert hl7_server.mllp_port is not None
    with MllpClient(hl7_server.mllp_port) as client:
        yield client


@pytest.fixture
def http(hl7_server: RunningServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=hl7_server.url, timeout=30) as client:
        yield client


def _msa(ack: bytes) -> list[str]:
    return list(parse_message(ack).segments[1].fields[1:3])


def _err(ack: bytes) -> list[str]:
    return list(parse_message(ack).segments[2].fields)


def _found(http: httpx.Client, path: str, **params: str) -> list[dict[str, object]]:
    bundle = http.get(path, params=params).json()
    return [entry["resource"] for entry in bundle.get("entry", [])]


def test_a_referral_over_mllp_is_stored_and_readable_over_fhir(
    mllp: MllpClient, http: httpx.Client
) -> None:
    assert _msa(mllp.exchange(referral("E2E-1", mrn="M1", referral_id="R1"))) == ["AA", "E2E-1"]
    [patient] = _found(http, "/Patient", identifier="urn:test:mrn|M1")
    [request] = _found(http, "/ServiceRequest", identifier="urn:test:referral|R1")
    assert request["subject"] == {"reference": f"Patient/{patient['id']}"}


def test_several_messages_per_connection_however_the_bytes_arrive(mllp: MllpClient) -> None:
    first, second, third = (referral(f"E2E-2{n}", mrn=f"M2{n}") for n in range(3))
    mllp.send_bytes(b"\r\n" + frame(first) + b"noise" + frame(second))
    for byte in frame(third):  # one byte per write
        mllp.send_bytes(bytes([byte]))
    answers = [_msa(mllp.receive()) for _ in range(3)]
    assert answers == [["AA", "E2E-20"], ["AA", "E2E-21"], ["AA", "E2E-22"]]


def test_a_resend_is_processed_once(mllp: MllpClient, http: httpx.Client) -> None:
    message = referral("E2E-3", mrn="M3", referral_id="R3")
    first = mllp.exchange(message)
    again = mllp.exchange(message)
    assert again == first
    [request] = _found(http, "/ServiceRequest", identifier="urn:test:referral|R3")
    assert len(_found(http, f"/ServiceRequest/{request['id']}/_history")) == 1
    [logged_again, logged_first] = http.get(
        "/hl7v2/messages", params={"control-id": "E2E-3"}
    ).json()["messages"]
    assert logged_again["status"] == "duplicate"
    assert logged_again["duplicateOf"] == logged_first["id"]


def test_a_broken_message_is_answered_ae_and_kept(mllp: MllpClient, http: httpx.Client) -> None:
    message = referral("E2E-4", mrn="")
    ack = mllp.exchange(message)
    assert _msa(ack) == ["AE", "E2E-4"]
    assert _err(ack)[2:5] == ["PID^3^3", "101^Required field missing^HL70357", "E"]
    [logged] = http.get(
        "/hl7v2/messages", params={"status": "failed", "control-id": "E2E-4"}
    ).json()["messages"]
    details = http.get(f"/hl7v2/messages/{logged['id']}").json()
    assert details["status"] == "failed"
    assert details["errors"]["issue"][0]["code"] == "required"
    assert http.get(f"/hl7v2/messages/{logged['id']}/raw").content == message


def test_an_oversize_frame_is_refused_and_the_connection_goes_on(mllp: MllpClient) -> None:
    huge = referral("E2E-5") + b"NTE|1||" + b"x" * MAX_MESSAGE_BYTES + b"\r"
    refused = mllp.exchange(huge)
    assert _msa(refused) == ["AR", "E2E-5"]
    assert "larger than the limit" in _err(refused)[8]
    assert _msa(mllp.exchange(referral("E2E-6"))) == ["AA", "E2E-6"]


def test_an_abandoned_oversize_frame_does_not_swallow_the_next(mllp: MllpClient) -> None:
    mllp.send_bytes(b"\x0b" + referral("E2E-11") + b"NTE|1||" + b"x" * MAX_MESSAGE_BYTES)
    mllp.send(referral("E2E-12"))  # its start byte ends the unfinished one
    assert _msa(mllp.receive()) == ["AA", "E2E-12"]


@pytest.mark.parametrize("charset", [b"UTF-16", b"x\x00"])
def test_a_character_set_painfhir_does_not_read_is_answered_ar_and_logged(
    mllp: MllpClient, http: httpx.Client, charset: bytes
) -> None:
    control_id = f"E2E-13-{len(charset)}"
    message = referral(control_id).replace(b"|P|2.5.1", b"|P|2.5.1||||||" + charset)
    over_mllp = mllp.exchange(message)
    over_http = http.post("/hl7v2", content=message, headers=HL7)
    assert over_http.status_code == 200
    for ack in (over_mllp, over_http.content):
        assert _msa(ack) == ["AR", control_id]
        assert _err(ack)[2:4] == ["MSH^1^18", "103^Table value not found^HL70357"]
    logged = http.get("/hl7v2/messages", params={"control-id": control_id}).json()["messages"]
    assert [entry["status"] for entry in logged] == ["duplicate", "rejected"]
    assert http.get(f"/hl7v2/messages/{logged[1]['id']}/raw").content == message


def test_an_unparsed_segment_id_is_not_copied_into_err_2(mllp: MllpClient) -> None:
    ack = mllp.exchange(b"X|^ABC|def")
    assert _msa(ack) == ["AR", ""]
    assert _err(ack)[2:4] == ["", "100^Segment sequence error^HL70357"]


def test_http_answers_with_the_acknowledgement(http: httpx.Client) -> None:
    response = http.post("/hl7v2", content=referral("E2E-7", mrn="M7"), headers=HL7)
    assert response.status_code == 200
    assert response.headers["content-type"] == HL7["Content-Type"]
    assert _msa(response.content) == ["AA", "E2E-7"]
    rejected = http.post("/hl7v2", content=b"PID|1\r", headers=HL7)
    assert (rejected.status_code, _msa(rejected.content)[0]) == (200, "AR")


def test_http_refuses_other_content_types(http: httpx.Client) -> None:
    response = http.post(
        "/hl7v2", content=referral("E2E-8"), headers={"Content-Type": "text/plain"}
    )
    assert response.status_code == 415
    assert response.json()["resourceType"] == "OperationOutcome"


def test_the_log_is_searched_newest_first_in_pages(http: httpx.Client) -> None:
    for n in range(3):
        http.post("/hl7v2", content=referral(f"E2E-9{n}", mrn=f"M9{n}"), headers=HL7)
    page = http.get("/hl7v2/messages", params={"_count": "2", "status": "processed"}).json()
    assert len(page["messages"]) == 2
    assert page["messages"][0]["id"] > page["messages"][1]["id"]
    rest = http.get(page["next"]).json()
    assert rest["messages"][0]["id"] < page["messages"][1]["id"]
    bad = http.get("/hl7v2/messages", params={"status": "lost"})
    assert bad.status_code == 400


def test_a_processed_message_is_not_replayed(http: httpx.Client) -> None:
    response = http.post("/hl7v2", content=referral("E2E-10", mrn="M10"), headers=HL7)
    message_id = parse_message(response.content).segments[0].fields[10]
    replay = http.post(f"/hl7v2/messages/{message_id}/$replay")
    assert replay.status_code == 409
    assert http.post("/hl7v2/messages/999999/$replay").status_code == 404
