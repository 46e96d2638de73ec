"""The receiving pipeline in-process, on both backends: log raw first, acknowledge, store
once, keep failures for replay."""

from __future__ import annotations

from collections.abc import Iterator

import orjson
import pytest

from painfhir.ingress import Hl7v2Receiver
from painfhir.mapping import Mappings
from painfhir.mapping.hl7v2 import parse_message
from painfhir.store import Store
from tests.conftest import Database
from tests.ingress.messages import REFERRAL_MODULE, referral


@pytest.fixture(scope="module")
def mappings() -> Mappings:
    return Mappings.discover([REFERRAL_MODULE])


@pytest.fixture
def receiver(store: Store, mappings: Mappings) -> Iterator[Hl7v2Receiver]:
    yield Hl7v2Receiver(store, mappings, base="", lenient=False)


def _segments(ack: bytes) -> dict[str, list[str]]:
    message = parse_message(ack)
    return {segment.id: list(segment.fields) for segment in message.segments}


def test_an_accepted_message_is_acknowledged_stored_and_logged(
    receiver: Hl7v2Receiver, store: Store, database: Database
) -> None:
    raw = referral("MSG-A")
    receipt = receiver.receive(raw, "mllp", "127.0.0.1:5000", None)
    ack = _segments(receipt.ack)
    assert ack["MSA"][1:3] == ["AA", "MSG-A"]
    assert ack["MSH"][3:7] == ["PAINFHIR", "CLINIC", "GHH", "GHHFAC"]
    assert ack["MSH"][9:13] == ["ACK^I12^ACK", str(receipt.message_id), "P", "2.5.1"]
    assert "ERR" not in ack
    assert database.count("resource") == 2
    logged = store.messages.get(receipt.message_id)
    assert logged is not None
    assert (logged.raw, logged.status, logged.module) == (raw, "processed", "referral_module")
    assert logged.control_id == "MSG-A"
    assert logged.ack == receipt.ack
    assert logged.output is not None
    assert orjson.loads(logged.output)["type"] == "transaction-response"


def test_a_resend_is_processed_once_and_answered_as_the_first_copy(
    receiver: Hl7v2Receiver, store: Store, database: Database
) -> None:
    first = receiver.receive(referral("MSG-B"), "mllp", None, None)
    versions = database.count("resource_version")
    resend = receiver.receive(referral("MSG-B"), "http", None, None)
    assert resend.ack == first.ack
    assert resend.status == "duplicate"
    assert database.count("resource_version") == versions
    logged = store.messages.get(resend.message_id)
    assert logged is not None
    assert (logged.status, logged.duplicate_of, logged.ack_code) == (
        "duplicate",
        first.message_id,
        "AA",
    )


@pytest.mark.parametrize(
    ("raw", "code", "err_location", "err_code"),
    [
        pytest.param(b"PID|1||X\r", "AR", "PID^1", "100", id="no MSH: rejected"),
        pytest.param(b"MSH|^~\\\r", "AR", "MSH^1^2", "102", id="MSH-2 too short: rejected"),
        pytest.param(
            referral("").replace(b"|P|2.5.1", b"||P|2.5.1"),
            "AR",
            "MSH^1^10",
            "101",
            id="no control id: rejected",
        ),
        pytest.param(referral(version="3.0"), "AR", "MSH^1^12", "203", id="version 3.0: rejected"),
        pytest.param(
            referral().replace(b"REF^I12^REF_I12", b"ADT^A01^ADT_A01"),
            "AR",
            "",
            "200",
            id="no module for ADT^A01: rejected",
        ),
        pytest.param(referral() + b"pid|bad\r", "AE", "pid^4", "100", id="bad segment id: error"),
        pytest.param(referral(mrn=""), "AE", "PID^3^3", "101", id="PID-3 missing: mapping error"),
        pytest.param(
            b"\r".join(s for s in referral().split(b"\r") if not s.startswith(b"RF1")),
            "AE",
            "RF1",
            "100",
            id="RF1 missing: the segment, no field",
        ),
        pytest.param(referral(status="X"), "AE", "", "103", id="status X: validation error"),
    ],
)
def test_a_message_that_cannot_be_taken_is_kept_with_its_errors(
    receiver: Hl7v2Receiver,
    store: Store,
    database: Database,
    raw: bytes,
    code: str,
    err_location: str,
    err_code: str,
) -> None:
    receipt = receiver.receive(raw, "mllp", None, None)
    ack = _segments(receipt.ack)
    assert ack["MSA"][1] == code
    assert ack["ERR"][2] == err_location
    assert ack["ERR"][3].split("^")[0] == err_code
    assert ack["ERR"][4] == "E"
    assert ack["ERR"][8]  # a message for people
    assert database.count("resource") == 0
    logged = store.messages.get(receipt.message_id)
    assert logged is not None
    assert logged.raw == raw
    assert logged.status == ("rejected" if code == "AR" else "failed")
    assert logged.errors is not None
    assert orjson.loads(logged.errors)["resourceType"] == "OperationOutcome"


def test_a_failed_message_is_processed_after_a_fix_by_replay(
    receiver: Hl7v2Receiver,
    mappings: Mappings,
    store: Store,
    database: Database,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    receipt = receiver.receive(referral("MSG-C", referral_id=""), "mllp", None, None)
    assert receipt.status == "failed"
    # the fix: the module now takes the referral's id from RF1-5 (the test message has "O")
    rules_globals = mappings.module("referral_module").mapping.rules.__globals__
    monkeypatch.setitem(rules_globals, "REQUIRED_REFERRAL_FIELD", "RF1-5.1")
    replayed = receiver.replay(receipt.message_id)
    assert (replayed.status, replayed.ack_code, replayed.attempts) == ("processed", "AA", 2)
    assert database.count("resource") == 2
    # a resend now gets the answer of the replay
    assert receiver.receive(referral("MSG-C", referral_id=""), "mllp", None, None).ack_code == (
        "AA"
    )


def test_only_failed_or_rejected_messages_are_replayed(receiver: Hl7v2Receiver) -> None:
    receipt = receiver.receive(referral("MSG-D"), "mllp", None, None)
    with pytest.raises(Exception, match="only failed or rejected"):
        receiver.replay(receipt.message_id)
