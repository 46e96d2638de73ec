"""One HL7 v2 message in ER7 (pipe-and-hat) encoding, parsed so that it unparses to the same
bytes: the byte-order mark, every line and the terminator that ended it (`\\r`, `\\n` or
`\\r\\n`, mixed if the sender mixed them, none after the last line if it sent none), blank
lines, and each segment's text exactly as received, escape sequences included.

Segments are split into fields, repetitions and components only when something reads them,
since a mapper reads a few dozen of the hundreds of fields a referral carries.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from itertools import accumulate
from operator import add

from painfhir.mapping.hl7v2._charset import codec_for, declared_charset, decode
from painfhir.mapping.hl7v2._delimiters import Delimiters, read_delimiters
from painfhir.mapping.hl7v2._errors import Hl7ParseError

# One field: its repetitions, each a list of its components as sent (escaped). A component's
# subcomponents are `component.split(delimiters.subcomponent)`: few components have any, and
# splitting every one up front would double the cost of a full parse. An empty or absent
# field is one repetition of one empty component.
FieldTree = Sequence[Sequence[str]]

_EMPTY: FieldTree = (("",),)
_SEGMENT_ID = re.compile(r"[A-Z][A-Z0-9]{2}")
_TERMINATOR = re.compile(r"(\r\n|\r|\n)")
_VALID_IDS: set[str] = set()  # ids seen to be valid: at most 26 * 36 * 36 of them


def _valid_id(segment_id: str) -> bool:
    if _SEGMENT_ID.fullmatch(segment_id) is None:
        return False
    _VALID_IDS.add(segment_id)
    return True


class Segment:
    """One segment: its id, its text as received, and where it stands in the message.

    `number` counts segments from 1 in message order (ERR-2.2's segment sequence);
    `occurrence` counts from 1 among the message's segments with the same id (the `[2]` of
    `OBX[2]`). Fields are numbered as HL7 numbers them, MSH's included: MSH-1 is the field
    separator and MSH-2 the encoding characters, both read literally.
    """

    __slots__ = ("_fields", "_trees", "delimiters", "id", "number", "occurrence", "raw")

    def __init__(
        self, segment_id: str, raw: str, number: int, occurrence: int, delimiters: Delimiters
    ) -> None:
        self.id = segment_id
        self.raw = raw
        self.number = number
        self.occurrence = occurrence
        self.delimiters = delimiters
        self._fields: list[str] | None = None
        self._trees: list[FieldTree] | None = None

    def __repr__(self) -> str:
        return f"<Segment {self.id} #{self.number}>"

    @property
    def fields(self) -> Sequence[str]:
        """Each field's text as sent, indexed by field number; index 0 is the segment id."""
        if self._fields is None:
            parts = self.raw.split(self.delimiters.field)
            if self.id == "MSH":
                parts.insert(1, self.delimiters.field)
            self._fields = parts
        return self._fields

    @property
    def field_count(self) -> int:
        """The number of the last field present, empty trailing fields included."""
        return len(self.fields) - 1

    def field(self, number: int) -> str:
        """Field `number` as sent, "" when the segment stops before it."""
        fields = self.fields
        return fields[number] if 0 < number < len(fields) else ""

    def tree(self, number: int) -> FieldTree:
        """Field `number` split into repetitions and components, as sent."""
        trees = self.trees
        return trees[number] if 0 < number < len(trees) else _EMPTY

    @property
    def trees(self) -> Sequence[FieldTree]:
        """Every field's tree, indexed by field number (index 0 holds the segment id)."""
        if self._trees is None:
            repetition, component = self.delimiters.repetition, self.delimiters.component
            # more than half the fields of a typical message are empty: they share one tree
            trees: list[FieldTree] = [
                _EMPTY
                if not text
                else (text.split(component),)
                if repetition not in text
                else [rep.split(component) for rep in text.split(repetition)]
                for text in self.fields
            ]
            if self.id == "MSH":  # MSH-1 and MSH-2 are the delimiters themselves, not split
                trees[1:3] = [((self.fields[1],),), ((self.fields[2],),)]
            self._trees = trees
        return self._trees


@dataclass(frozen=True, slots=True)
class UndecodableByte:
    """A byte not valid in the message's charset, kept as received and reported here."""

    value: int
    offset: int  # in the input bytes
    segment_number: int | None  # None on a blank line
    field: int | None


@dataclass(frozen=True, slots=True)
class Message:
    """A parsed message. `charset` is the Python codec that gives back the input's bytes;
    `declared_charset` is MSH-18's first repetition as sent ("" when absent)."""

    segments: tuple[Segment, ...]
    delimiters: Delimiters
    charset: str
    declared_charset: str
    bom: bool
    undecodable: tuple[UndecodableByte, ...]
    lines: tuple[str, ...]  # every line, blank ones included, without its terminator
    endings: tuple[str, ...]  # the terminator after each line; "" after an unterminated last

    @property
    def header(self) -> Segment:
        """The MSH segment (a parse guarantees it comes first)."""
        return self.segments[0]

    @property
    def version(self) -> str:
        """MSH-12.1, the HL7 version the sender claims ("2.5.1")."""
        return self.header.tree(12)[0][0]

    @property
    def message_type(self) -> tuple[str, str, str]:
        """MSH-9's message code, trigger event and message structure ("" where absent)."""
        code, event, structure, *_ = (*self.header.tree(9)[0], "", "", "")
        return code, event, structure


def unparse_text(message: Message) -> str:
    """The message's text exactly as parsed (a str input comes back unchanged)."""
    return ("\ufeff" if message.bom else "") + "".join(map(add, message.lines, message.endings))


def unparse(message: Message) -> bytes:
    """The message's bytes: `unparse(parse_message(data)) == data`."""
    return unparse_text(message).encode(message.charset, "surrogateescape")


def parse_message(data: bytes | str) -> Message:
    """Parse one message; raises `Hl7ParseError` with the position when it is not one."""
    if isinstance(data, str):
        bom = data.startswith("\ufeff")
        text = data[1:] if bom else data
        declared = declared_charset(text)
        named = codec_for(declared)
        # a str has no bytes to match: unparse() encodes in the declared charset when it is
        # ASCII-compatible, else in UTF-8
        charset = named if named and not named.startswith(("utf-16", "utf-32")) else "utf-8"
        undecodable: tuple[int, ...] = ()
        encoded, bom_length = None, int(bom)
    else:
        decoded = decode(data)
        text, charset, declared = decoded.text, decoded.charset, decoded.declared
        bom, undecodable = bool(decoded.bom), decoded.undecodable
        encoded, bom_length = charset, len(decoded.bom)
    lines, endings = _split_lines(text)
    where = _Positions(text, encoded, bom_length, lines, endings)
    delimiters, segments = _segments(lines, where)
    return Message(
        segments=segments,
        delimiters=delimiters,
        charset=charset,
        declared_charset=declared,
        bom=bom,
        undecodable=where.undecodable(undecodable, delimiters.field) if undecodable else (),
        lines=lines,
        endings=endings,
    )


def _split_lines(text: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    has_cr, has_lf = "\r" in text, "\n" in text
    if has_cr and has_lf and not text.count("\r\n") == text.count("\r") == text.count("\n"):
        pieces = _TERMINATOR.split(text)
        lines, endings = pieces[0::2], [*pieces[1::2], ""]
        if len(lines) > 1 and not lines[-1]:
            del lines[-1], endings[-1]
        return tuple(lines), tuple(endings)
    terminator = ("\r\n" if has_lf else "\r") if has_cr else ("\n" if has_lf else "")
    lines = text.split(terminator) if terminator else [text]
    if len(lines) > 1 and not lines[-1]:
        del lines[-1]
        return tuple(lines), (terminator,) * len(lines)
    return tuple(lines), (*(terminator,) * (len(lines) - 1), "")


def _segments(lines: tuple[str, ...], where: _Positions) -> tuple[Delimiters, tuple[Segment, ...]]:
    delimiters: Delimiters | None = None
    segments: list[Segment] = []
    occurrences: dict[str, int] = {}
    for index, line in enumerate(lines):
        if not line or line.isspace():
            continue
        segment_id, number = line[:3], len(segments) + 1
        if delimiters is None:
            delimiters = _header_delimiters(line, index, where)
        elif segment_id == "MSH":
            raise where.error("a second MSH segment: parse one message at a time", index, 0, number)
        if segment_id not in _VALID_IDS and not _valid_id(segment_id):
            raise where.error(
                "a segment id must be 3 upper-case letters or digits, starting with a letter",
                index,
                0,
                number,
            )
        if line[3:4] not in ("", delimiters.field):
            raise where.error(
                f"segment id {line[:4]!r} is not followed by the field separator",
                index,
                3,
                number,
            )
        occurrence = occurrences.get(segment_id, 0) + 1
        occurrences[segment_id] = occurrence
        segments.append(Segment(segment_id, line, number, occurrence, delimiters))
    if delimiters is None:
        raise where.error("no MSH segment: the input is empty", len(lines), 0)
    return delimiters, tuple(segments)


def _header_delimiters(line: str, index: int, where: _Positions) -> Delimiters:
    if not line.startswith("MSH"):
        batch = " (a batch: split it into messages first)" if line[:3] in ("FHS", "BHS") else ""
        raise where.error(f"the message does not start with an MSH segment{batch}", index, 0, 1)
    delimiters = read_delimiters(line)
    if isinstance(delimiters, tuple):
        reason, field = delimiters
        raise where.error(reason, index, 3 if field == 1 else 4, 1, field)
    return delimiters


class _Positions:
    """Turns a line and column of the decoded text into a position in the input as given;
    only errors and undecodable bytes pay for it."""

    def __init__(
        self,
        text: str,
        encoded: str | None,
        bom_length: int,
        lines: tuple[str, ...],
        endings: tuple[str, ...],
    ) -> None:
        self._text = text
        self._encoded = encoded  # the charset of a bytes input, None for a str input
        self._bom_length = bom_length
        self._lines = lines
        self._endings = endings

    @cached_property
    def _starts(self) -> list[int]:
        pairs = zip(self._lines, self._endings, strict=True)
        return [0, *accumulate(len(line) + len(end) for line, end in pairs)]

    def offset(self, line_index: int, column: int) -> int:
        chars = self._starts[min(line_index, len(self._lines))] + column
        if self._encoded is None:
            return self._bom_length + chars
        prefix = self._text[:chars].encode(self._encoded, "surrogateescape")
        return self._bom_length + len(prefix)

    def error(
        self,
        reason: str,
        line_index: int,
        column: int,
        segment_number: int | None = None,
        field: int | None = None,
    ) -> Hl7ParseError:
        segment_id = None
        if segment_number is not None and line_index < len(self._lines):
            segment_id = self._lines[line_index][:3]
        return Hl7ParseError(
            reason,
            offset=self.offset(line_index, column),
            segment_number=segment_number,
            segment_id=segment_id,
            field=field,
        )

    def undecodable(
        self, char_offsets: tuple[int, ...], separator: str
    ) -> tuple[UndecodableByte, ...]:
        """Where each byte kept as a surrogate sits; one pass, however many there are."""
        found: list[UndecodableByte] = []
        segment_numbers = list(accumulate(1 if line.strip() else 0 for line in self._lines))
        byte_offset, done = self._bom_length, 0
        for char_offset in char_offsets:  # ascending, as the decoder found them
            assert self._encoded is not None  # only bytes have undecodable bytes
            byte_offset += len(
                self._text[done:char_offset].encode(self._encoded, "surrogateescape")
            )
            done = char_offset
            line_index = bisect_right(self._starts, char_offset) - 1
            line = self._lines[line_index]
            column = char_offset - self._starts[line_index]
            segment_number: int | None = None
            field: int | None = None
            if line.strip():
                segment_number = segment_numbers[line_index]
                # MSH-1 is the first separator itself, so MSH's fields count one further
                field = line.count(separator, 0, column) + (1 if line.startswith("MSH") else 0)
            value = ord(self._text[char_offset]) - 0xDC00
            found.append(UndecodableByte(value, byte_offset, segment_number, field))
        return tuple(found)
