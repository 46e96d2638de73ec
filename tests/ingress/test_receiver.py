"""The receiving pipeline in-process, on both backends: log raw first, acknowledge, store
once, keep failures for replay."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta

import orjson
import pytest

from painfhir.fhir.outcome import FhirError
from painfhir.ingress import Hl7v2Receiver, replay
from painfhir.ingress import receiver as receiver_module
from painfhir.ingress.header import read_header
from painfhir.mapping import Mappings, _mappings
from painfhir.mapping.hl7v2 import parse_message
from painfhir.store import InboundMessage, MessageOutcome, Store
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
        pytest.param(referral() + b"pid|bad\r", "AE", "", "100", id="bad segment id: error"),
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


@pytest.mark.parametrize(
    "charset",
    [b"UTF-16", b"utf-32", b"x\x00", b"idna", b"punycode", b"undefined", b"base64", b"cp037"],
)
def test_a_character_set_painfhir_does_not_read_is_logged_and_rejected(
    receiver: Hl7v2Receiver, store: Store, charset: bytes
) -> None:
    raw = referral("MSG-CS").replace(b"|P|2.5.1", b"|P|2.5.1||||||" + charset)
    assert read_header(raw).header is not None
    receipt = receiver.receive(raw, "mllp", None, None)
    ack = _segments(receipt.ack)
    assert (ack["MSA"][1], ack["ERR"][2], ack["ERR"][3][:3]) == ("AR", "MSH^1^18", "103")
    assert len(ack["MSH"]) < 19  # MSH-18 names what the ACK is in: not that charset
    logged = store.messages.get(receipt.message_id)
    assert logged is not None
    assert (logged.raw, logged.status) == (raw, "rejected")


@pytest.mark.parametrize(
    ("raw", "sender", "control_id"),
    [
        pytest.param(
            referral("MSG-U").replace(b"|GHH|", b"|G\x81H|"),
            "G\\X81\\H",
            "MSG-U",
            id="an undecodable byte in MSH-3",
        ),
        pytest.param(referral("MSG\x00N"), "GHH", "MSG\\X00\\N", id="NUL in MSH-10"),
    ],
)
def test_header_values_the_database_cannot_hold_are_logged_escaped(
    receiver: Hl7v2Receiver, store: Store, raw: bytes, sender: str, control_id: str
) -> None:
    receipt = receiver.receive(raw, "mllp", None, None)
    logged = store.messages.get(receipt.message_id)
    assert logged is not None
    assert (logged.raw, logged.sending_application, logged.control_id) == (
        raw,
        sender,
        control_id,
    )
    assert b"\x00" not in receipt.ack
    again = receiver.receive(raw, "mllp", None, None)  # a resend is still recognised
    assert (again.status, again.ack) == ("duplicate", receipt.ack)


@pytest.mark.parametrize(
    "error",
    [
        pytest.param(FhirError.of(503, "transient", "database busy"), id="outage"),
        pytest.param(FhirError.of(409, "conflict", "a concurrent write"), id="conflict"),
    ],
)
def test_a_resend_after_resend_later_is_processed(
    receiver: Hl7v2Receiver,
    store: Store,
    database: Database,
    monkeypatch: pytest.MonkeyPatch,
    error: FhirError,
) -> None:
    def refused(*args: object) -> bytes:
        raise error

    with monkeypatch.context() as patched:
        patched.setattr(receiver_module, "store_mapped", refused)
        first = receiver.receive(referral("MSG-T"), "mllp", None, None)
    assert (first.ack_code, first.status) == ("AR", "failed")
    resend = receiver.receive(referral("MSG-T"), "mllp", None, None)
    assert (resend.ack_code, resend.status) == ("AA", "duplicate")
    assert database.count("resource") == 2
    logged_first = store.messages.get(first.message_id)
    assert logged_first is not None
    assert (logged_first.status, logged_first.attempts) == ("processed", 2)
    assert logged_first.ack == resend.ack
    logged_resend = store.messages.get(resend.message_id)
    assert logged_resend is not None
    assert (logged_resend.duplicate_of, logged_resend.ack_code) == (first.message_id, "AA")


def test_a_resend_of_a_rejected_message_gets_the_same_answer(
    receiver: Hl7v2Receiver, store: Store
) -> None:
    first = receiver.receive(referral("MSG-R", version="3.0"), "mllp", None, None)
    resend = receiver.receive(referral("MSG-R", version="3.0"), "mllp", None, None)
    assert (first.ack_code, resend.ack_code, resend.ack) == ("AR", "AR", first.ack)
    logged = store.messages.get(first.message_id)
    assert logged is not None
    assert (logged.status, logged.attempts) == ("rejected", 1)


def test_an_outcome_the_log_cannot_take_ends_as_failed_and_is_resent(
    receiver: Hl7v2Receiver, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    finish = store.messages.finish
    failures = iter([RuntimeError("database is locked")])

    def flaky(message_id: int, outcome: MessageOutcome) -> None:
        failure = next(failures, None)
        if failure is not None:
            raise failure
        finish(message_id, outcome)

    monkeypatch.setattr(store.messages, "finish", flaky)
    first = receiver.receive(referral("MSG-F"), "mllp", None, None)
    assert (first.ack_code, first.status) == ("AR", "failed")
    assert "resend it later" in _segments(first.ack)["ERR"][8]
    logged = store.messages.get(first.message_id)
    assert logged is not None
    assert (logged.status, logged.ack_code, logged.ack) == ("failed", "AR", first.ack)
    assert logged.errors is not None
    assert receiver.receive(referral("MSG-F"), "mllp", None, None).ack_code == "AA"


def test_a_module_failing_after_its_rules_fails_the_message(
    receiver: Hl7v2Receiver, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(bundle: object) -> list[object]:
        raise KeyError("resourceType")

    with monkeypatch.context() as patched:
        patched.setattr(_mappings, "validate_bundle", broken)
        receipt = receiver.receive(referral("MSG-M"), "mllp", None, None)
    assert (receipt.ack_code, receipt.status) == ("AE", "failed")
    assert "referral_module failed" in _segments(receipt.ack)["ERR"][8]
    replayed = receiver.replay(receipt.message_id)
    assert (replayed.status, replayed.ack_code) == ("processed", "AA")


def _left_received(store: Store, control_id: str) -> int:
    """A first copy logged as the receiver logs it, whose process died before an outcome."""
    inbound = InboundMessage(
        referral(control_id), "mllp", None, None, "GHH", "GHHFAC", control_id, "REF^I12^REF_I12"
    )
    return store.messages.record(inbound).id


def test_a_message_a_dead_process_left_received_is_recovered(
    receiver: Hl7v2Receiver, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    by_resend, by_replay = _left_received(store, "MSG-S1"), _left_received(store, "MSG-S2")
    monkeypatch.setattr(receiver_module, "_FIRST_COPY_WAIT_S", 0.1)
    # in progress, as far as anyone can tell: not run twice
    assert receiver.receive(referral("MSG-S1"), "mllp", None, None).ack_code == "AR"
    with pytest.raises(FhirError, match="received ones once 10 minutes have passed"):
        receiver.replay(by_replay)
    monkeypatch.setattr(replay, "ABANDONED_AFTER", timedelta(0))
    time.sleep(0.01)
    assert receiver.receive(referral("MSG-S1"), "mllp", None, None).ack_code == "AA"
    assert receiver.replay(by_replay).status == "processed"
    for message_id in (by_resend, by_replay):
        logged = store.messages.get(message_id)
        assert logged is not None
        assert (logged.status, logged.attempts) == ("processed", 2)


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        pytest.param(b"X|^ABC|def", "AR", id="delimiters where the segment id goes"),
        pytest.param(referral() + b"p\x1c\x07|bad\r", "AE", id="control bytes"),
    ],
)
def test_an_unparsed_line_goes_back_into_the_ack_escaped(
    receiver: Hl7v2Receiver, raw: bytes, code: str
) -> None:
    ack = receiver.receive(raw, "mllp", None, None).ack
    assert not any(byte < 0x20 and byte != 0x0D for byte in ack)
    segments = _segments(ack)
    assert (segments["MSA"][1], segments["ERR"][2], segments["ERR"][3][:3]) == (code, "", "100")
