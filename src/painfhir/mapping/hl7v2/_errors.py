"""The exceptions of the HL7 v2 reader: one tree, rooted at `Hl7Error`."""

from __future__ import annotations


class Hl7Error(ValueError):
    """Anything that stops an HL7 v2 message from being read."""


class Hl7ParseError(Hl7Error):
    """Input that is not an HL7 v2 message in ER7 (pipe-and-hat) encoding.

    The location is what an acknowledgement's ERR-2 needs: `segment_number` counts segments
    from 1 as ERR-2.2 does (None when the problem comes before any segment), `segment_id` is
    the segment's id as far as it could be read, `field` is the 1-based field number where
    one applies, and `offset` is the 0-based position in the input as given: a byte offset for
    bytes, a character offset for text.
    """

    def __init__(
        self,
        reason: str,
        *,
        offset: int,
        segment_number: int | None = None,
        segment_id: str | None = None,
        field: int | None = None,
    ) -> None:
        where = [f"offset {offset}"]
        if segment_number is not None:
            label = f" ({segment_id})" if segment_id else ""
            where.insert(0, f"segment {segment_number}{label}")
        if field is not None:
            where.insert(1, f"field {field}")
        super().__init__(f"{reason} at {', '.join(where)}")
        self.reason = reason
        self.offset = offset
        self.segment_number = segment_number
        self.segment_id = segment_id
        self.field = field


class TersePathError(Hl7Error):
    """A terse path (`PID-3[2].1`) that does not parse; `position` is the 0-based offset."""

    def __init__(self, reason: str, path: str, position: int) -> None:
        super().__init__(f"{reason} at position {position} in terse path {path!r}")
        self.path = path
        self.position = position


class UnsupportedStructureError(Hl7Error):
    """A message whose MSH-9 names no message structure the walkers know."""

    def __init__(self, message_type: str) -> None:
        super().__init__(f"no segment-group walker for message type {message_type!r}")
        self.message_type = message_type
