"""Which character set a message's bytes are in, and decoding them so that encoding the text
again gives the same bytes.

The order of evidence: a byte-order mark (it is in the bytes, MSH-18 is only a claim about
them); then UTF-16 without a mark, recognised by the NUL bytes around "MSH"; then MSH-18's
first repetition (HL7 table 0211, or any name Python knows); then what decodes: UTF-8, else
Windows-1252 (what most Western senders mean when they send 8-bit text without saying so).

Bytes that are not valid in the charset chosen are kept as lone surrogates
(`surrogateescape`), so the message still round-trips byte for byte, and their positions are
reported; readers see U+FFFD in their place.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

from painfhir.mapping.hl7v2._errors import Hl7ParseError

_BOMS = ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"))

# HL7 table 0211 (alternate character sets) as Python codecs. "UNICODE" alone is the
# deprecated ISO/IEC 10646 entry; senders using it send UTF-8 in practice.
_TABLE_0211 = {
    "ASCII": "ascii",
    "ISO IR6": "ascii",
    "8859/1": "iso8859-1",
    "ISO IR100": "iso8859-1",
    "8859/2": "iso8859-2",
    "ISO IR101": "iso8859-2",
    "8859/3": "iso8859-3",
    "ISO IR109": "iso8859-3",
    "8859/4": "iso8859-4",
    "ISO IR110": "iso8859-4",
    "8859/5": "iso8859-5",
    "ISO IR144": "iso8859-5",
    "8859/6": "iso8859-6",
    "ISO IR127": "iso8859-6",
    "8859/7": "iso8859-7",
    "ISO IR126": "iso8859-7",
    "8859/8": "iso8859-8",
    "ISO IR138": "iso8859-8",
    "8859/9": "iso8859-9",
    "ISO IR148": "iso8859-9",
    "8859/15": "iso8859-15",
    "UNICODE": "utf-8",
    "UNICODE UTF-8": "utf-8",
    "ISO IR192": "utf-8",
    "UNICODE UTF-16": "utf-16",
    "UNICODE UTF-32": "utf-32",
    "BIG-5": "big5",
    "GB 18030-2000": "gb18030",
    "KS X 1001": "euc_kr",
}

# Codecs for which decoding then encoding gives back every byte; for any other, a parse checks
# that it does rather than risk a message that no longer matches what was received.
_CANONICAL = frozenset(
    ["utf-8", "ascii", "cp1252", "utf-16-le", "utf-16-be"] + [f"iso8859-{n}" for n in range(1, 17)]
)
_ASCII_INCOMPATIBLE = ("utf-16", "utf-32")
_PRINTABLE_ASCII = bytes(range(0x20, 0x7F))
_PRINTABLE_TEXT = _PRINTABLE_ASCII.decode("ascii")
_LONE_SURROGATE = re.compile("[\udc80-\udcff]")
_LINE_END = re.compile("[\r\n]")
_LINE_END_BYTES = re.compile(b"[\r\n]")


@dataclass(frozen=True, slots=True)
class Decoded:
    text: str
    charset: str  # the Python codec name that encodes `text` back into the input
    bom: bytes
    declared: str  # MSH-18's first repetition as sent, "" when there is none
    undecodable: tuple[int, ...]  # character offsets in `text` of bytes kept as surrogates


def replace_undecodable(text: str) -> str:
    """`text` with each byte kept as a surrogate shown as U+FFFD, the replacement character."""
    return _LONE_SURROGATE.sub("\ufffd", text)


def codec_for(declared: str) -> str | None:
    """The Python codec for an MSH-18 value, or None when there is none to be had. Beyond
    table 0211, a name Python knows counts only for a charset that keeps ASCII as it is: an
    HL7 message's delimiters and segment ids are ASCII (so not UTF-16 or EBCDIC by Python's
    names, nor idna, punycode or bytes-to-bytes codecs such as base64)."""
    declared = declared.strip()
    name = _TABLE_0211.get(declared.upper())
    if name is not None or not declared:
        return name
    try:
        name = codecs.lookup(declared).name
    except (LookupError, ValueError):  # ValueError: a name with a NUL in it
        return None
    return name if _keeps_ascii(name) else None


def _keeps_ascii(name: str) -> bool:
    """True when printable ASCII decodes as itself and encodes back to the same bytes."""
    try:
        text = _PRINTABLE_ASCII.decode(name)
        return text == _PRINTABLE_TEXT and text.encode(name, "surrogateescape") == _PRINTABLE_ASCII
    except (LookupError, ValueError):  # not a text codec; or UnicodeError, a ValueError
        return False


def declared_charset(text: str) -> str:
    """MSH-18's first repetition and component as sent, "" when there is none. Delimiters are
    validated later, by the parse; here they are only used as found."""
    head = text.lstrip("\r\n")
    if not head.startswith("MSH") or len(head) < 8:
        return ""
    line = _LINE_END.split(head, maxsplit=1)[0]
    fields = line.split(line[3])
    if len(fields) <= 17:
        return ""
    component, repetition = line[4], line[5]
    return fields[17].split(repetition)[0].split(component)[0].strip()


def _header_line(body: bytes) -> str:
    """The first line of an ASCII-compatible message, readable before its charset is known
    (Latin-1 maps every byte to a character and keeps ASCII as it is)."""
    head = body.lstrip(b"\r\n")
    end = _LINE_END_BYTES.search(head)
    return head[: end.start() if end else len(head)].decode("latin-1")


def decode(data: bytes) -> Decoded:
    bom, charset = b"", ""
    for mark, name in _BOMS:
        if data.startswith(mark):
            bom, charset = mark, name
            break
    body = data[len(bom) :]
    if not charset and body[:6] in (b"M\0S\0H\0", b"\0M\0S\0H"):
        charset = "utf-16-le" if body[0] else "utf-16-be"
    declared = "" if charset.startswith("utf-16") else declared_charset(_header_line(body))
    if not charset:
        named = codec_for(declared)
        if named is not None and not named.startswith(_ASCII_INCOMPATIBLE):
            charset = named
    if charset:
        return _decode_as(body, charset, bom, declared)
    try:
        return Decoded(body.decode("utf-8"), "utf-8", bom, declared, ())
    except UnicodeDecodeError:
        return _decode_as(body, "cp1252", bom, declared)


def _decode_as(body: bytes, charset: str, bom: bytes, declared: str) -> Decoded:
    try:
        text = body.decode(charset)
        undecodable: tuple[int, ...] = ()
    except UnicodeDecodeError as strict:
        try:
            text = body.decode(charset, "surrogateescape")
        except UnicodeDecodeError:  # surrogateescape cannot keep bytes below 0x80 (UTF-16)
            raise Hl7ParseError(
                f"bytes not valid in {charset}", offset=len(bom) + strict.start
            ) from strict
        undecodable = tuple(match.start() for match in _LONE_SURROGATE.finditer(text))
    if charset not in _CANONICAL and not _encodes_back(text, charset, body):
        raise Hl7ParseError(
            f"{charset} text does not encode back to the bytes received", offset=len(bom)
        )
    return Decoded(text, charset, bom, declared, undecodable)


def _encodes_back(text: str, charset: str, body: bytes) -> bool:
    try:
        return text.encode(charset, "surrogateescape") == body
    except UnicodeError:  # a stateful codec may refuse text it decoded (ISO-2022 escapes)
        return False
