"""Receiving FHIR dialects: log raw, map, validate, store, answer in FHIR.

The HL7 v2 receiver's order and guarantees, for a sender's FHIR JSON: the raw bytes are
committed to the message log first; the mapped resources are written in one transaction,
or not at all; a failure stays in the log with its errors, replayable once fixed. The
answer is the transaction-response Bundle (200), or an OperationOutcome: 400 for input no
module takes (not FHIR, no module), 422 for input the module cannot map or whose mapping
is not valid, the store's own status when it refuses the write; 500, logged as failed, when
painfhir itself fails on it.

A message Bundle is logged with its MessageHeader's source endpoint as sender and its
Bundle.identifier (else its id) as control id, so a resend is recognised as the HL7 v2
one is: answered as its first copy was, not processed twice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import orjson

from painfhir.fhir.codec import dump_json
from painfhir.fhir.outcome import FhirError, Issue, operation_outcome
from painfhir.ingress.replay import claim_for_replay
from painfhir.ingress.storing import store_mapped
from painfhir.mapping import MappingError, Mappings, NoModuleError, UnreadableMessageError
from painfhir.mapping._detection import message_header, message_sender
from painfhir.store import InboundMessage, LoggedMessage, MessageOutcome, Store
from painfhir.store import MessageStatus as Status

log = logging.getLogger(__name__)

FHIR_JSON = "application/fhir+json"
_INTERNAL = Issue("error", "exception", "Internal error; see the server log")


@dataclass(frozen=True, slots=True)
class FhirReceipt:
    """The HTTP answer (status and FHIR JSON body) and the log entry of the input."""

    status: int
    body: bytes
    message_id: int
    outcome: Status


@dataclass(frozen=True, slots=True)
class _Verdict:
    http_status: int
    status: Status
    issues: list[Issue]
    module: str | None = None
    output: bytes | None = None

    def body(self) -> bytes:
        return self.output if self.output is not None else dump_json(operation_outcome(self.issues))

    def outcome(self) -> MessageOutcome:
        errors = dump_json(operation_outcome(self.issues)) if self.issues else None
        return MessageOutcome(self.status, None, None, errors, self.module, self.output)


class FhirReceiver:
    """Takes in FHIR dialect inputs; one per service."""

    def __init__(self, store: Store, mappings: Mappings, base: str, lenient: bool) -> None:
        self._store = store
        self._mappings = mappings
        self._base = base
        self._lenient = lenient

    def receive(
        self,
        raw: bytes,
        remote_peer: str | None,
        content_type: str | None,
        *,
        module: str | None = None,
        client: str | None = None,
    ) -> FhirReceipt:
        """Log, map, store and answer one input; `module` or `client` choose the module
        as `Mappings.map` says. Raises only when the log itself cannot be written."""
        logged = self._store.messages.record(_inbound(raw, remote_peer, content_type, client))
        if logged.duplicate_of is not None:
            return self._answer_resend(logged)
        verdict = self._map_and_store(logged.raw, module, client)
        self._store.messages.finish(logged.id, verdict.outcome())
        return FhirReceipt(verdict.http_status, verdict.body(), logged.id, verdict.status)

    def replay(self, message_id: int) -> None:
        """Process a failed or rejected input again: with the module that took it before,
        if one did, else chosen afresh (for the client it came from)."""
        logged = claim_for_replay(self._store, message_id)
        client = logged.sending_facility or None
        verdict = self._map_and_store(logged.raw, logged.module, client)
        self._store.messages.finish(logged.id, verdict.outcome())

    def _map_and_store(self, raw: bytes, module: str | None, client: str | None) -> _Verdict:
        try:
            return self._verdict(raw, module, client)
        except Exception:  # a bug fails this input, not the service; it stays replayable
            log.exception("Mapping a FHIR input failed")
            return _Verdict(500, "failed", [_INTERNAL])

    def _verdict(self, raw: bytes, module: str | None, client: str | None) -> _Verdict:
        try:
            # chosen first, so that a failure is logged with the module that failed
            chosen = self._mappings.module(module) if module else None
            chosen = chosen or self._mappings.detect(raw, FHIR_JSON, client)
        except MappingError as error:
            return _Verdict(400, "rejected", [error.issue()])
        try:
            result = self._mappings.map(raw, module=chosen.name, content_type=FHIR_JSON)
        except (UnreadableMessageError, NoModuleError) as error:
            return _Verdict(400, "rejected", [error.issue()], chosen.name)
        except MappingError as error:
            return _Verdict(422, "failed", [error.issue()], chosen.name)
        if any(issue.severity in ("error", "fatal") for issue in result.issues):
            return _Verdict(422, "failed", result.issues, result.module)
        try:
            output = store_mapped(self._store, result, self._base, self._lenient)
        except FhirError as error:
            return _Verdict(error.status, "failed", error.issues, result.module)
        except Exception:  # as above, but the log entry names the module that mapped it
            log.exception("Storing a FHIR input failed")
            return _Verdict(500, "failed", [_INTERNAL], result.module)
        # warnings stay in the log: they are about painfhir's output, not the sender's input
        return _Verdict(200, "processed", result.issues, result.module, output)

    def _answer_resend(self, logged: LoggedMessage) -> FhirReceipt:
        assert logged.duplicate_of is not None
        first = self._store.messages.get(logged.duplicate_of)
        if first is not None and first.status == "processed" and first.output is not None:
            status, body = 200, first.output
        elif first is not None and first.status in ("failed", "rejected") and first.errors:
            status, body = (400 if first.status == "rejected" else 422), first.errors
        else:
            status = 409
            message = f"The first copy of this message (log entry {logged.duplicate_of}) is"
            body = dump_json(
                operation_outcome([Issue("error", "conflict", f"{message} being processed")])
            )
        self._store.messages.finish(logged.id, MessageOutcome("duplicate", None, None))
        return FhirReceipt(status, body, logged.id, "duplicate")


def _inbound(
    raw: bytes, remote_peer: str | None, content_type: str | None, client: str | None
) -> InboundMessage:
    """The log entry of an input, with what can be read of who sent it; JSON that does not
    parse is logged all the same, to be rejected after."""
    try:
        resource: Any = orjson.loads(raw)
    except orjson.JSONDecodeError:
        resource = None
    if not isinstance(resource, dict):
        return InboundMessage(
            raw, "fhir", remote_peer, content_type, sending_facility=_text(client) or ""
        )
    header = message_header(resource)
    control_id = None
    if header is not None:
        identifier = resource.get("identifier")
        value = identifier.get("value") if isinstance(identifier, dict) else None
        control_id = _text(value) or _text(resource.get("id"))
    event = header.get("eventCoding") if header is not None else None
    code = _text(event.get("code")) if isinstance(event, dict) else None
    kind = " ".join(k for k in (_text(resource.get("resourceType")), code) if k)
    return InboundMessage(
        raw=raw,
        channel="fhir",
        remote_peer=remote_peer,
        content_type=content_type,
        sending_application=_text(message_sender(resource)) or "",
        sending_facility=_text(client) or "",
        control_id=control_id,
        message_type=kind or None,
    )


def _text(value: Any) -> str | None:
    """A header value the log can hold: a string, and one without NUL, which PostgreSQL's
    text cannot store; anything else a sender put there is read as absent (the raw input
    keeps it), so that the log write cannot fail on what the input holds."""
    return value if isinstance(value, str) and "\x00" not in value else None
