"""HL7 v2 acknowledgements in original mode: MSH, MSA and one ERR per problem.

The ACK's MSH swaps the inbound sending and receiving application and facility, keeps the
inbound's version, processing id, character set and delimiters (MSH-1, MSH-2), and carries
its own control id. MSA-1 is AA (accepted), AE (an error in the content: nothing was stored)
or AR (rejected: the header, message type or version cannot be taken, or the service could
not process it now). From v2.5 on an ERR names the location (ERR-2, `SEG^seq^field`), the
code of HL7 table 0357 (ERR-3), the severity (ERR-4) and a message for people (ERR-8); older
versions get the same in ERR-1, the error code and location of v2.3/v2.4.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from painfhir.ingress.header import MessageHeader
from painfhir.mapping.hl7v2 import Delimiters, escape

AckCode = Literal["AA", "AE", "AR"]
Severity = Literal["E", "W", "I"]  # HL7 table 0516

# HL7 table 0357, message error condition codes
MESSAGE_ACCEPTED = 0  # with severity I: stored, and here is something to know
SEGMENT_SEQUENCE_ERROR = 100
REQUIRED_FIELD_MISSING = 101
DATA_TYPE_ERROR = 102
TABLE_VALUE_NOT_FOUND = 103
UNSUPPORTED_MESSAGE_TYPE = 200
UNSUPPORTED_PROCESSING_ID = 202
UNSUPPORTED_VERSION_ID = 203
APPLICATION_INTERNAL_ERROR = 207
_TABLE_0357 = {
    MESSAGE_ACCEPTED: "Message accepted",
    SEGMENT_SEQUENCE_ERROR: "Segment sequence error",
    REQUIRED_FIELD_MISSING: "Required field missing",
    DATA_TYPE_ERROR: "Data type error",
    TABLE_VALUE_NOT_FOUND: "Table value not found",
    UNSUPPORTED_MESSAGE_TYPE: "Unsupported message type",
    UNSUPPORTED_PROCESSING_ID: "Unsupported processing id",
    UNSUPPORTED_VERSION_ID: "Unsupported version id",
    APPLICATION_INTERNAL_ERROR: "Application internal error",
}

# When the inbound header cannot be read there is nothing to echo: answer in the defaults.
_FALLBACK_VERSION = "2.5.1"
_SEGMENT_ID = re.compile("[A-Z][A-Z0-9]{2}")
# Control characters never go out: 0x0B or 0x1C would break the MLLP framing of the answer.
_CONTROL = re.compile("[\x00-\x1f\x7f]")


@dataclass(frozen=True, slots=True)
class AckError:
    """One ERR segment: what is wrong and where."""

    code: int  # HL7 table 0357
    message: str  # ERR-8, for the people reading the sender's interface log
    severity: Severity = "E"
    segment: str | None = None  # segment id, e.g. "PID"
    segment_number: int | None = None  # 1-based position in the message
    field: int | None = None


def _version_at_least(version: str, wanted: tuple[int, int]) -> bool:
    try:
        return tuple(int(part) for part in version.split(".")[:2]) >= wanted
    except ValueError:
        return True  # an unreadable version is answered in the current form


def _timestamp(now: datetime) -> str:
    return now.astimezone(UTC).strftime("%Y%m%d%H%M%S") + "+0000"


def _without_controls(text: str, delimiters: Delimiters) -> str:
    """`text`, escaped already, with each control character as an HL7 hex escape."""
    mark = delimiters.escape
    return _CONTROL.sub(lambda found: f"{mark}X{ord(found.group()):02X}{mark}", text)


def _own_text(text: str, delimiters: Delimiters, charset: str) -> str:
    """Text painfhir writes into the ACK: escaped, and made encodable in the charset (`?`
    for a character it cannot carry, or a byte kept undecoded)."""
    carried = "".join(char if _carries(charset, char) else "?" for char in text)
    return _without_controls(escape(carried, delimiters), delimiters)


def _carries(charset: str, character: str) -> bool:
    try:
        character.encode(charset)
    except UnicodeError:
        return False
    return True


def _location(error: AckError) -> list[str]:
    """Segment id, sequence and field, as ERR-2 (ERL) and ERR-1 (ELD) both begin. The id
    of a line that did not parse is whatever the sender put there: unless it is a segment
    id, the location is left out (ERR-8 says where, escaped)."""
    if error.segment is None or not _SEGMENT_ID.fullmatch(error.segment):
        return ["", "", ""]
    return [error.segment, str(error.segment_number or ""), str(error.field or "")]


def _err_segment(error: AckError, version: str, d: Delimiters, charset: str) -> str:
    text = _own_text(error.message, d, charset)
    code_text = _TABLE_0357.get(error.code, "")
    if not _version_at_least(version, (2, 5)):
        # ERR-1 (ELD): segment ^ sequence ^ field ^ code & text & table
        code = d.subcomponent.join([str(error.code), text or code_text, "HL70357"])
        return d.field.join(["ERR", d.component.join([*_location(error), code])])
    location = d.component.join(_location(error)).rstrip(d.component)
    code = d.component.join([str(error.code), code_text, "HL70357"])
    return d.field.join(["ERR", "", location, code, error.severity, "", "", "", text])


def _echo(header: MessageHeader | None, number: int) -> str:
    return _without_controls(header.field(number), header.delimiters) if header else ""


def unlogged_control_id() -> str:
    """The ACK's own control id when the message has no log entry to be named after."""
    return f"x{uuid.uuid4().hex[:19]}"  # 20 characters: MSH-10's length before v2.7


def build_ack(
    header: MessageHeader | None,
    code: AckCode,
    errors: list[AckError],
    control_id: str,
    now: datetime,
) -> bytes:
    """The acknowledgement of a message whose header is `header` (None: it was unreadable)."""
    d = header.delimiters if header else Delimiters()
    charset = header.charset if header else "ascii"
    version = (header.version if header else "") or _FALLBACK_VERSION
    event = _without_controls(header.component(9, 2), header.delimiters) if header else ""
    message_type = "ACK"
    if event:  # the message structure ACK is named from v2.4 on
        parts = ["ACK", event, "ACK"] if _version_at_least(version, (2, 4)) else ["ACK", event]
        message_type = d.component.join(parts)
    # MSH-18 says what the ACK is in: not a character set painfhir does not write
    charset_field = "" if header and header.charset_unsupported else _echo(header, 18)
    msh = [
        "MSH",
        d.encoding_characters,
        _echo(header, 5) or "painfhir",
        _echo(header, 6),
        _echo(header, 3),
        _echo(header, 4),
        _timestamp(now),
        "",
        message_type,
        control_id,
        _echo(header, 11) or "P",
        _echo(header, 12) or version,
        *(["", "", "", "", "", charset_field] if charset_field else []),
    ]
    segments = [
        d.field.join(msh),
        d.field.join(["MSA", code, _echo(header, 10)]),
        *(_err_segment(error, version, d, charset) for error in errors),
    ]
    return _encoded("".join(f"{segment}\r" for segment in segments), charset)


def _encoded(text: str, charset: str) -> bytes:
    """The ACK in the sender's charset. Bytes the sender sent undecodable go back as they came;
    a character the charset cannot carry at all — in a diagnostic that quotes a message read
    in the wrong charset — becomes `?`, so the sender always gets its acknowledgement."""
    try:
        return text.encode(charset, "surrogateescape")
    except UnicodeEncodeError:
        return b"".join(_encoded_character(character, charset) for character in text)


def _encoded_character(character: str, charset: str) -> bytes:
    try:
        return character.encode(charset, "surrogateescape")
    except UnicodeEncodeError:
        return b"?"
