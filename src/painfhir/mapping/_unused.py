"""The source fields no rule read: every non-empty leaf (subcomponent, component or field)
of the message, except those a read covered. A read of a whole field covers its components,
a read of a component its subcomponents; MSH-1 and MSH-2 are the delimiters, not data.
Of a FHIR source, every leaf element no read covered (a read of an element covers all
within it)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

from painfhir.mapping._trace import UnusedField
from painfhir.mapping.hl7v2 import Location, Message, Segment, unescape

# (segment number, field, repetition, component, subcomponent); None reads all of a level
_Key = tuple[int, int, int | None, int | None, int | None]


def unused_fields(message: Message, reads: Iterable[Location]) -> list[UnusedField]:
    covered: set[_Key] = set()
    for read in reads:
        if read.segment_number is not None and read.field is not None:
            covered.add(
                (
                    read.segment_number,
                    read.field,
                    read.repetition,
                    read.component,
                    read.subcomponent,
                )
            )
    unused = []
    for segment in message.segments:
        for key, text in _leaves(segment):
            if not _is_covered(key, covered):
                value = unescape(text, message.delimiters, message.charset)
                unused.append(UnusedField(_label(segment, key), value))
    return unused


def _leaves(segment: Segment) -> Iterator[tuple[_Key, str]]:
    first = 3 if segment.id == "MSH" else 1
    subcomponent_separator = segment.delimiters.subcomponent
    for field in range(first, segment.field_count + 1):
        for rep, components in enumerate(segment.tree(field), start=1):
            for comp, text in enumerate(components, start=1):
                for sub, part in enumerate(text.split(subcomponent_separator), start=1):
                    if part and part != '""':
                        yield (segment.number, field, rep, comp, sub), part


def _is_covered(key: _Key, covered: set[_Key]) -> bool:
    number, field, rep, comp, sub = key
    # a value() read of the first component or subcomponent records it as such; a read
    # that left a level out (None) took all of it
    for rep_read in (rep, None):
        for comp_read in (comp, None):
            for sub_read in (sub, None):
                if (number, field, rep_read, comp_read, sub_read) in covered:
                    return True
    return False


def _label(segment: Segment, key: _Key) -> str:
    _, field, rep, comp, sub = key
    return str(Location(segment.id, segment.number, segment.occurrence, field, rep, comp, sub))


# where a FHIR path steps into an element or an item: `.name`, `[0]`
_STEP = re.compile(r"[.\[]")


def unused_elements(resource: dict[str, Any], reads: Iterable[str]) -> list[UnusedField]:
    read = set(reads)
    return [
        UnusedField(path, value)
        for path, value in _fhir_leaves(resource, str(resource.get("resourceType")))
        if not any(path[: m.start()] in read for m in _STEP.finditer(path)) and path not in read
    ]


def _fhir_leaves(node: Any, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key != "resourceType":
                yield from _fhir_leaves(value, f"{path}.{key}")
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from _fhir_leaves(item, f"{path}[{index}]")
    else:
        yield path, str(node)
