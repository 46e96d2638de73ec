"""Receiving HL7 v2 messages: log raw, check the header, map, validate, store, acknowledge.

The order is the guarantee: the raw bytes are committed to the message log first, so that
whatever fails afterwards the message stays there — failed or rejected, with its errors —
for a replay once the cause is fixed. The resources of one message are written in one
transaction (a transaction Bundle), so an AE means nothing was stored.

An AR of a `failed` entry (a conflicting write, an outage, an outcome the log could not take)
means "resend later": its resend is processed again. An AR of a `rejected` one is about the
message itself, and its resends get the same answer.
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import cast

from painfhir.fhir.codec import dump_json
from painfhir.fhir.outcome import FhirError, Issue, operation_outcome
from painfhir.ingress import ack, problems
from painfhir.ingress.ack import AckCode, AckError, build_ack, unlogged_control_id
from painfhir.ingress.header import HeaderReading, MessageHeader, read_header
from painfhir.ingress.replay import abandoned_before, claim_for_replay, logged_message
from painfhir.ingress.storing import store_mapped
from painfhir.mapping import MappingError, Mappings, NoModuleError
from painfhir.store import Channel, InboundMessage, LoggedMessage, MessageOutcome, Store
from painfhir.store import MessageStatus as Status
from painfhir.store._time import utc_now

log = logging.getLogger(__name__)

HL7_V2_ER7 = "x-application/hl7-v2+er7"
_VERSION = re.compile(r"2\.\d+(\.\d+)?")
_PROCESSING_IDS = ("P", "D", "T")  # HL7 table 0103: production, debugging, training
# How long a resend waits for its first copy, still being processed, to be answered.
_FIRST_COPY_WAIT_S = 5.0
_INTERNAL_ERROR = AckError(ack.APPLICATION_INTERNAL_ERROR, "Internal error; see the log")
_UNRECORDED = AckError(
    ack.APPLICATION_INTERNAL_ERROR,
    "The outcome could not be recorded, so the message counts as not processed; resend it later",
)


@dataclass(frozen=True, slots=True)
class Receipt:
    """The acknowledgement to send back, and the log entry of the message."""

    ack: bytes
    ack_code: AckCode
    message_id: int
    status: Status


@dataclass(slots=True)
class _Verdict:
    status: Status
    code: AckCode
    errors: list[AckError] = field(default_factory=list)
    # the log's issues where they say more than the ERR segments (validation's FHIR paths)
    issues: list[Issue] | None = None
    module: str | None = None
    output: bytes | None = None

    def outcome(self, ack_bytes: bytes) -> MessageOutcome:
        issues = self.issues if self.issues is not None else self._issues_of_errors()
        errors = dump_json(operation_outcome(issues)) if issues else None
        return MessageOutcome(self.status, self.code, ack_bytes, errors, self.module, self.output)

    def _issues_of_errors(self) -> list[Issue]:
        return [problems.as_issue(error) for error in self.errors]


def _rejected(error: AckError) -> _Verdict:
    return _Verdict("rejected", "AR", [error])


def _header_rejection(reading: HeaderReading) -> _Verdict | None:
    """AR: what makes the message as a whole unacceptable, before its content is looked at."""
    header = reading.header
    if header is None:
        assert reading.error is not None  # only a failed parse leaves no header
        return _rejected(problems.parse_error(reading.error))
    field_error = problems.header_field_error
    if not header.field(9):
        return _rejected(field_error(ack.REQUIRED_FIELD_MISSING, 9, "MSH-9 (message type)"))
    if header.control_id is None:
        return _rejected(field_error(ack.REQUIRED_FIELD_MISSING, 10, "MSH-10 (control id)"))
    if not _VERSION.fullmatch(header.version):
        message = f"HL7 version {header.version!r} (MSH-12) is not supported: 2.x is"
        return _rejected(field_error(ack.UNSUPPORTED_VERSION_ID, 12, message))
    processing = header.component(11, 1)
    if processing and processing not in _PROCESSING_IDS:
        message = f"processing id {processing!r} (MSH-11) is not one of P, D, T"
        return _rejected(field_error(ack.UNSUPPORTED_PROCESSING_ID, 11, message))
    if header.charset_unsupported:  # HL7 table 0211: MSH-18's values
        message = f"character set {header.component(18, 1)!r} (MSH-18) is not supported"
        return _rejected(field_error(ack.TABLE_VALUE_NOT_FOUND, 18, message))
    return None


def _inbound(
    raw: bytes,
    channel: Channel,
    remote_peer: str | None,
    content_type: str | None,
    header: MessageHeader | None,
) -> InboundMessage:
    if header is None:
        return InboundMessage(raw, channel, remote_peer, content_type)
    return InboundMessage(
        raw=raw,
        channel=channel,
        remote_peer=remote_peer,
        content_type=content_type,
        sending_application=header.stored(3),
        sending_facility=header.stored(4),
        control_id=header.stored(10) or None,
        message_type=header.stored(9) or None,
    )


class Hl7v2Receiver:
    """Takes in HL7 v2 messages from any channel; one per service, shared by all of them."""

    def __init__(self, store: Store, mappings: Mappings, base: str, lenient: bool) -> None:
        self._store = store
        self._mappings = mappings
        self._base = base
        self._lenient = lenient

    def receive(
        self, raw: bytes, channel: Channel, remote_peer: str | None, content_type: str | None
    ) -> Receipt:
        """Log, process and acknowledge one message. Raises only when the message log
        itself cannot be written (see `unavailable_ack`)."""
        reading = read_header(raw)
        inbound = _inbound(raw, channel, remote_peer, content_type, reading.header)
        logged = self._store.messages.record(inbound)
        if logged.duplicate_of is not None:
            return self._answer_resend(logged, reading)
        return self._process(logged, reading)

    def replay(self, message_id: int) -> LoggedMessage:
        """Process a failed or rejected message again, from its raw bytes as logged."""
        logged = claim_for_replay(self._store, message_id)
        self._process(logged, read_header(logged.raw))
        return logged_message(self._store, message_id)

    def unavailable_ack(self, raw: bytes, now: datetime) -> bytes:
        """The AR for a message that could not even be logged: the sender should resend."""
        error = AckError(
            ack.APPLICATION_INTERNAL_ERROR,
            "The message could not be recorded; resend it later",
        )
        return build_ack(read_header(raw).header, "AR", [error], unlogged_control_id(), now)

    def _process(self, logged: LoggedMessage, reading: HeaderReading) -> Receipt:
        verdict = self._verdict(logged, reading)
        ack_bytes = _ack(reading, verdict, logged.id)
        if not self._finish(logged.id, verdict.outcome(ack_bytes)):
            # An outcome the log does not hold did not happen, for the sender too: it is told
            # to resend, and the resend processes the message again (resources it stored
            # already are unchanged, and not written twice). Should this write fail as well,
            # the entry stays `received` until a resend or a replay finds it abandoned.
            verdict = _Verdict("failed", "AR", [_UNRECORDED], module=verdict.module)
            ack_bytes = _ack(reading, verdict, logged.id)
            self._finish(logged.id, verdict.outcome(ack_bytes))
        return Receipt(ack_bytes, verdict.code, logged.id, verdict.status)

    def _verdict(self, logged: LoggedMessage, reading: HeaderReading) -> _Verdict:
        try:
            return _header_rejection(reading) or self._map_and_store(logged, reading)
        except Exception:  # a bug fails this message, not the channel; it stays replayable
            log.exception("Message %s failed", logged.id)
            return _Verdict("failed", "AE", [_INTERNAL_ERROR])

    def _finish(self, message_id: int, outcome: MessageOutcome) -> bool:
        """Log the outcome; False when the log cannot be written."""
        try:
            self._store.messages.finish(message_id, outcome)
        except Exception:
            log.exception("The outcome of message %s could not be logged", message_id)
            return False
        return True

    def _map_and_store(self, logged: LoggedMessage, reading: HeaderReading) -> _Verdict:
        if reading.error is not None:
            return _Verdict("failed", "AE", [problems.parse_error(reading.error)])
        try:
            result = self._mappings.map(logged.raw, content_type=HL7_V2_ER7)
        except NoModuleError as error:
            return _rejected(problems.mapping_error(error))
        except MappingError as error:
            return _Verdict("failed", "AE", [problems.mapping_error(error)])
        # warnings stay in the log: they are about painfhir's output, not the sender's input
        errors = [
            problems.issue_error(issue)
            for issue in result.issues
            if issue.severity in ("error", "fatal")
        ]
        if errors:
            return _Verdict("failed", "AE", errors, result.issues, result.module)
        try:
            output = store_mapped(self._store, result, self._base, self._lenient)
        except FhirError as error:
            # a conflict with a concurrent write, or an outage, passes: the sender may resend
            code: AckCode = "AR" if error.status == 409 or error.status >= 500 else "AE"
            refusal = [problems.issue_error(issue) for issue in error.issues]
            return _Verdict("failed", code, refusal, error.issues, result.module)
        except Exception:  # a bug fails this message, not the channel; it stays replayable
            log.exception("Storing message %s failed", logged.id)
            return _Verdict("failed", "AE", [_INTERNAL_ERROR], module=result.module)
        told = problems.stored_with_changes(output)
        return _Verdict("processed", "AA", told, result.issues, result.module, output)

    def _answer_resend(self, logged: LoggedMessage, reading: HeaderReading) -> Receipt:
        """A resend is answered with what its first copy was answered — unless that was
        "resend later" (a `failed` AR), or a dead process left the first copy `received`:
        then the first copy is processed again, as a replay would, and the resend answered
        with the outcome."""
        first_id = logged.duplicate_of
        assert first_id is not None
        if self._store.messages.claim_for_resend(first_id, abandoned_before()):
            log.info("Message %s: processed again for its resend %s", first_id, logged.id)
            first = logged_message(self._store, first_id)
            again = self._process(first, read_header(first.raw))
            code, ack_bytes = again.ack_code, again.ack
        else:
            code, ack_bytes = self._first_answer(logged, reading)
        self._finish(logged.id, MessageOutcome("duplicate", code, ack_bytes))
        return Receipt(ack_bytes, code, logged.id, "duplicate")

    def _first_answer(self, logged: LoggedMessage, reading: HeaderReading) -> tuple[AckCode, bytes]:
        assert logged.duplicate_of is not None
        first = self._first_copy_answered(logged.duplicate_of)
        if first is not None and first.ack is not None and first.ack_code is not None:
            return cast(AckCode, first.ack_code), first.ack  # written by `_process`
        error = AckError(
            ack.APPLICATION_INTERNAL_ERROR,
            f"The first copy of this message (log entry {logged.duplicate_of}) is still"
            " being processed; resend it later",
        )
        return "AR", build_ack(reading.header, "AR", [error], str(logged.id), utc_now())

    def _first_copy_answered(self, first_id: int) -> LoggedMessage | None:
        deadline = time.monotonic() + _FIRST_COPY_WAIT_S
        while True:
            first = self._store.messages.get(first_id)
            if first is None or first.status != "received":
                return first
            if time.monotonic() > deadline:
                return None
            time.sleep(0.02)


def _ack(reading: HeaderReading, verdict: _Verdict, message_id: int) -> bytes:
    return build_ack(reading.header, verdict.code, verdict.errors, str(message_id), utc_now())
