"""Tracing: which source field produced which target element, and which source fields no
rule read.

Rules do not report what they write: the trace finds it. Every value a rule reads (through
the Terser, or a FHIR source element) is recorded; when the rule adds a resource, each read
since the last resource is matched to the resource's leaf elements with the same value — the
value as read, its digits for a date or time (`20240312` is `2024-03-12`), or the code a
ConceptMap translated it to. A read that matches nothing was consulted (an identifier that
only fed an id, a code that chose a branch) and still counts as used.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from painfhir.mapping.hl7v2 import Location

_DIGITS = re.compile(r"\D")
# an HL7 date/time (DT, DTM, TS): at least a full date, digits with an optional offset
_HL7_TIME = re.compile(r"\d{8}[\d.]*([+-]\d{4})?")
_NOT_TRACED = frozenset({"resourceType", "id", "reference", "fullUrl"})


@dataclass(frozen=True, slots=True)
class FieldUse:
    """One source field that produced one target element."""

    source: str  # a Terser location (`PID-5.1`) or a FHIR source path
    target: str  # `Patient/<id>.name[0].family`
    value: str  # the value as read


@dataclass(frozen=True, slots=True)
class UnusedField:
    """A non-empty source field that no rule read."""

    source: str
    value: str


@dataclass(slots=True)
class Trace:
    """What a mapping did: `uses` in the order rules wrote them, `unused` in source order."""

    uses: list[FieldUse] = field(default_factory=list)
    unused: list[UnusedField] = field(default_factory=list)

    def to_text(self) -> str:
        lines = [f"{use.source:<18} -> {use.target}  ({use.value})" for use in self.uses]
        if self.unused:
            lines.append("")
            lines.append("source fields no rule read:")
            lines.extend(f"{unused.source:<18}    {unused.value}" for unused in self.unused)
        return "\n".join(lines)

    def to_json(self) -> dict[str, Any]:
        return {
            "uses": [{"source": u.source, "target": u.target, "value": u.value} for u in self.uses],
            "unused": [{"source": u.source, "value": u.value} for u in self.unused],
        }


class TraceRecorder:
    """Collects reads as rules make them and turns them into `FieldUse`s per resource."""

    def __init__(self) -> None:
        self.trace = Trace()
        self._pending: list[tuple[str, str]] = []
        self._translations: dict[str, set[str]] = {}
        self.read_locations: list[Location] = []
        self.read_paths: set[str] = set()  # of a FHIR source

    def on_read(self, source: Location | str, value: str) -> None:
        if isinstance(source, Location):
            self.read_locations.append(source)
        else:
            self.read_paths.add(source)
        if value and value != '""':
            self._pending.append((str(source), value))

    def on_translate(self, source_code: str, target_code: str) -> None:
        self._translations.setdefault(source_code, set()).add(target_code)

    def on_resources(self, resources: Sequence[dict[str, Any]]) -> None:
        """Attribute the reads since the last resource to these resources' elements (one,
        or several built from the same reads)."""
        unclaimed = [
            leaf
            for resource in resources
            for leaf in _leaves(resource, f"{resource['resourceType']}/{resource.get('id', '')}")
        ]
        # each read claims the first element it can have produced that no earlier read
        # claimed: rules build elements in the order they read, so a value read twice (a
        # patient's and a contact's shared address) lands once in each place
        for source, value in self._pending:
            forms = self._forms(value)
            for index, (path, leaf) in enumerate(unclaimed):
                if leaf in forms or (_HL7_TIME.fullmatch(value) and _same_time(value, leaf)):
                    self.trace.uses.append(FieldUse(source, path, value))
                    del unclaimed[index]
                    break
        self._pending.clear()

    def _forms(self, value: str) -> set[str]:
        return {value, value.strip(), *self._translations.get(value, ())}


def _same_time(hl7_value: str, leaf: str) -> bool:
    digits = _DIGITS.sub("", leaf)
    return len(digits) >= 8 and digits == _DIGITS.sub("", hl7_value)


def _leaves(node: Any, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key not in _NOT_TRACED:
                yield from _leaves(value, f"{path}.{key}")
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from _leaves(item, f"{path}[{index}]")
    elif not isinstance(node, bool):
        yield path, str(node)
