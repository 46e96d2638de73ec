"""The Terser: the one place mapping rules read values from a message.

Every value a mapping takes from a message passes through `Terser._read`, so a trace (the
`on_read` callback) sees each field that was consulted, with the value it gave, whether the
rule asked for one value, every repetition, a count of repetitions or the raw text. Asking
which segments are there (`segments`, `count("OBX")`) reads no field and is not recorded.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from painfhir.mapping.hl7v2._charset import replace_undecodable
from painfhir.mapping.hl7v2._errors import TersePathError
from painfhir.mapping.hl7v2._escape import unescape
from painfhir.mapping.hl7v2._message import Message, Segment
from painfhir.mapping.hl7v2._path import Location, TersePath, parse_terse_path
from painfhir.mapping.hl7v2._walker import Group

OnRead = Callable[[Location, str], None]


class Terser:
    """Reads a message by terse path (`PID-5.1`, `OBX[3]-5`), values unescaped.

    `within(group)` narrows the scope to one segment group (or one segment), keeping the
    same trace: there `OBX[2]` is the group's second OBX. Occurrences, repetitions and
    components that are not there read as "". HL7's explicit null `""` comes back as the two
    quote characters, for the mapping to decide what deleting a value means.
    """

    __slots__ = ("_by_id", "_message", "_on_read", "_replace_undecodable", "_segments")

    def __init__(
        self,
        message: Message,
        on_read: OnRead | None = None,
        *,
        scope: Group | Segment | None = None,
    ) -> None:
        self._message = message
        self._on_read = on_read
        if scope is None:
            self._segments: Sequence[Segment] = message.segments
        elif isinstance(scope, Segment):
            self._segments = (scope,)
        else:
            self._segments = scope.segments()
        # bytes the charset could not decode are kept in the message as lone surrogates;
        # a value carrying one would fail wherever it is encoded, so readers get U+FFFD
        self._replace_undecodable = bool(message.undecodable)
        self._by_id: dict[str, list[Segment]] | None = None

    def within(self, scope: Group | Segment) -> Terser:
        """A Terser over `scope` only, recording to the same trace."""
        return Terser(self._message, self._on_read, scope=scope)

    def segments(self, segment_id: str) -> list[Segment]:
        """The segments with this id in scope, in message order."""
        return list(self._index().get(segment_id, ()))

    def _index(self) -> dict[str, list[Segment]]:
        if self._by_id is None:
            by_id: dict[str, list[Segment]] = {}
            for segment in self._segments:
                by_id.setdefault(segment.id, []).append(segment)
            self._by_id = by_id
        return self._by_id

    def value(self, path: str) -> str:
        """The unescaped value at `path`; a component or subcomponent left out is the first."""
        terse = self._field_path(path, "value")
        return self._read(
            self._segment(terse),
            terse,
            terse.repetition or 1,
            terse.component or 1,
            terse.subcomponent or 1,
            unescaped=True,
        )

    def values(self, path: str) -> list[str]:
        """The value at `path` in every repetition of its field (none when it is empty)."""
        terse = self._field_path(path, "values")
        if terse.repetition is not None:
            raise TersePathError("values() reads every repetition: leave out [n]", path, 0)
        segment = self._segment(terse)
        component, subcomponent = terse.component or 1, terse.subcomponent or 1
        return [
            self._read(segment, terse, rep, component, subcomponent, unescaped=True)
            for rep in range(1, self._repetitions(segment, terse) + 1)
        ]

    def raw(self, path: str) -> str:
        """The text at `path` as sent, escape sequences and all: the whole segment, field,
        repetition, component or subcomponent, as far as the path goes."""
        terse = parse_terse_path(path)
        segment = self._segment(terse)
        repetition = terse.repetition
        if repetition is None and terse.component is not None:
            repetition = 1
        return self._read(segment, terse, repetition, terse.component, terse.subcomponent)

    def count(self, path: str) -> int:
        """How many segments a bare id (`OBX`) names in scope, or how many repetitions a
        field (`PID-3`) holds (0 when it is empty)."""
        terse = parse_terse_path(path)
        if terse.field is None:
            return len(self._index().get(terse.segment, ()))
        segment = self._segment(terse)
        self._read(segment, terse, None, None, None)
        return self._repetitions(segment, terse)

    def _field_path(self, path: str, reader: str) -> TersePath:
        terse = parse_terse_path(path)
        if terse.field is None:
            raise TersePathError(f"{reader}() needs a field, as in {path}-1", path, len(path))
        return terse

    def _segment(self, terse: TersePath) -> Segment | None:
        found = self._index().get(terse.segment, ())
        index = (terse.occurrence or 1) - 1
        return found[index] if index < len(found) else None

    @staticmethod
    def _repetitions(segment: Segment | None, terse: TersePath) -> int:
        field = terse.field or 0
        if segment is None or not segment.field(field):
            return 0
        return len(segment.tree(field))

    def _read(
        self,
        segment: Segment | None,
        terse: TersePath,
        repetition: int | None,
        component: int | None,
        subcomponent: int | None,
        *,
        unescaped: bool = False,
    ) -> str:
        """Every read ends here: the text at one location (None: all of the level above, a
        whole segment when the path names no field), unescaped for values, recorded when a
        trace listens."""
        field = terse.field
        text = ""
        if segment is not None:
            text = _text_at(segment, field, repetition, component, subcomponent)
        if unescaped and text and not (terse.segment == "MSH" and (field or 0) <= 2):
            text = unescape(text, self._message.delimiters, self._message.charset)
        if self._replace_undecodable:
            text = replace_undecodable(text)
        if self._on_read is not None:
            number = None if segment is None else segment.number
            occurrence = None if segment is None else segment.occurrence
            location = Location(
                terse.segment, number, occurrence, field, repetition, component, subcomponent
            )
            self._on_read(location, text)
        return text


def _text_at(
    segment: Segment,
    field: int | None,
    repetition: int | None,
    component: int | None,
    subcomponent: int | None,
) -> str:
    if field is None:
        return segment.raw
    if repetition is None:
        return segment.field(field)
    tree = segment.tree(field)
    if repetition > len(tree):
        return ""
    components = tree[repetition - 1]
    if component is None:
        return segment.delimiters.component.join(components)
    if component > len(components):
        return ""
    text = components[component - 1]
    separator = segment.delimiters.subcomponent
    if subcomponent is None:
        return text
    if separator not in text or (field <= 2 and segment.id == "MSH"):
        return text if subcomponent == 1 else ""
    parts = text.split(separator)
    return parts[subcomponent - 1] if subcomponent <= len(parts) else ""
