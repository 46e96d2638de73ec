"""The inbound message's MSH, as the message log and the acknowledgement need it.

Reading it never raises: a message whose header cannot be read is still logged and answered
(with AR). When a later segment is what breaks the parse, the header alone is read again
from the first line, so the answer can still name the sender and the control id.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from painfhir.mapping.hl7v2 import Delimiters, Hl7Error, Hl7ParseError, Message, parse_message
from painfhir.mapping.hl7v2._charset import codec_for

log = logging.getLogger(__name__)

# What a database text column cannot hold: NUL (PostgreSQL refuses it) and the lone surrogates
# that stand for bytes the charset could not decode (neither backend encodes them).
_UNSTORABLE = re.compile("[\x00\udc80-\udcff]")


@dataclass(frozen=True, slots=True)
class MessageHeader:
    """MSH fields as sent (escaped, in the message's own delimiters), indexed by number."""

    delimiters: Delimiters
    charset: str  # the Python codec of the message's bytes
    fields: tuple[str, ...]

    @classmethod
    def of(cls, message: Message) -> MessageHeader:
        return cls(message.delimiters, message.charset, tuple(message.header.fields))

    def field(self, number: int) -> str:
        return self.fields[number] if 0 < number < len(self.fields) else ""

    def component(self, number: int, component: int) -> str:
        """One component of a field's first repetition, as sent."""
        first = self.field(number).split(self.delimiters.repetition)[0]
        parts = first.split(self.delimiters.component)
        return parts[component - 1] if component <= len(parts) else ""

    @property
    def control_id(self) -> str | None:
        """MSH-10, None when the sender left it empty."""
        return self.field(10) or None

    @property
    def version(self) -> str:
        return self.component(12, 1)

    @property
    def charset_unsupported(self) -> bool:
        """MSH-18 names a character set painfhir does not read messages in."""
        declared = self.component(18, 1).strip()
        return bool(declared) and codec_for(declared) is None

    def stored(self, number: int) -> str:
        """A field as the message log stores it: a byte the charset could not decode, or a
        NUL, as an HL7 hex escape (`\\X81\\`), so the value stays as distinct as sent."""
        mark = self.delimiters.escape
        return _UNSTORABLE.sub(
            lambda found: f"{mark}X{ord(found.group()) & 0xFF:02X}{mark}", self.field(number)
        )


@dataclass(frozen=True, slots=True)
class HeaderReading:
    """What could be read: the whole message, or the header alone and the parse error."""

    header: MessageHeader | None
    message: Message | None
    error: Hl7ParseError | None

    @property
    def header_broken(self) -> bool:
        """True when not even MSH could be read: nothing in the message can be trusted."""
        return self.header is None


def read_header(raw: bytes) -> HeaderReading:
    try:
        return _read(raw)
    except Exception as error:  # a parser bug must not keep the message out of the log
        log.exception("A message could not be read")
        return HeaderReading(None, None, Hl7ParseError(f"unreadable: {error!r}", offset=0))


def _read(raw: bytes) -> HeaderReading:
    try:
        message = parse_message(raw)
    except Hl7ParseError as error:
        return HeaderReading(_header_alone(raw), None, error)
    return HeaderReading(MessageHeader.of(message), message, None)


def _header_alone(raw: bytes) -> MessageHeader | None:
    ends = [i for i in (raw.find(b"\r"), raw.find(b"\n")) if i >= 0]
    first_line = raw[: min(ends)] if ends else raw
    try:
        return MessageHeader.of(parse_message(first_line))
    except Hl7Error:
        return None
