"""Terse paths, the notation mapping rules use to name a value: `PID-3`, `PID-3[2].1`,
`PRD-7.1.2`, `OBX[3]-5`, `MSH-9.2`.

    SEGMENT [occurrence] - field [repetition] . component . subcomponent

Every number counts from 1, as HL7 does; what is left out is the first (occurrence,
repetition) or, for a value, the first component and subcomponent, which is how HL7 tells a
receiver to read a composite where it expects a single value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from painfhir.mapping.hl7v2._errors import TersePathError

_NUMBER = "[1-9][0-9]*"
_TERSE_PATH = re.compile(
    rf"(?P<segment>[A-Z][A-Z0-9]{{2}})(?:\[(?P<occurrence>{_NUMBER})\])?"
    rf"(?:-(?P<field>{_NUMBER})(?:\[(?P<repetition>{_NUMBER})\])?"
    rf"(?:\.(?P<component>{_NUMBER})(?:\.(?P<subcomponent>{_NUMBER}))?)?)?"
)


@dataclass(frozen=True, slots=True)
class TersePath:
    """A parsed terse path; None where the path leaves a part out."""

    segment: str
    occurrence: int | None
    field: int | None
    repetition: int | None
    component: int | None
    subcomponent: int | None


@lru_cache(maxsize=4096)
def parse_terse_path(path: str) -> TersePath:
    """`path` parsed; raises `TersePathError` with the position where it stops making sense."""
    match = _TERSE_PATH.match(path)
    if match is None or match.end() != len(path):
        position = 0 if match is None else match.end()
        found = repr(path[position]) if position < len(path) else "the end"
        raise TersePathError(f"unexpected {found}", path, position)
    parts = match.groupdict()
    return TersePath(
        segment=match["segment"],
        **{name: int(text) if text else None for name, text in parts.items() if name != "segment"},
    )


@dataclass(frozen=True, slots=True)
class Location:
    """Where in the message a value was read: what a trace records.

    `segment_number` is the segment's 1-based position in the message and `occurrence` its
    1-based rank among the message's segments with the same id (both None when no such
    segment was there to read); the rest is as in the path, None where the read took all of
    the level above (a count or a raw field, say; no field at all for a raw segment).
    """

    segment: str
    segment_number: int | None
    occurrence: int | None
    field: int | None
    repetition: int | None
    component: int | None
    subcomponent: int | None

    def __str__(self) -> str:
        text = self.segment if self.occurrence is None else f"{self.segment}[{self.occurrence}]"
        if self.field is None:
            return text
        text += f"-{self.field}"
        if self.repetition is not None:
            text += f"[{self.repetition}]"
        for part in (self.component, self.subcomponent):
            if part is None:
                break
            text += f".{part}"
        return text
