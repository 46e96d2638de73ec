"""A mapping module: what its `module.py` declares, and the loaded module the engine runs.

A module's `module.py` defines `MAPPING`, an `Hl7v2Mapping` or a `FhirMapping`: which
inputs it takes, and the rules — one function that reads the source through its context and
adds the canonical resources to it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from painfhir.mapping._conceptmap import ConceptMaps
    from painfhir.mapping._context import FhirContext, Hl7v2Context


@dataclass(frozen=True, slots=True)
class Hl7v2Mapping:
    """An HL7 v2 module's declaration.

    `message_types` are MSH-9 code^trigger (`REF^I12`) or message structures (`REF_I12`).
    `senders` narrows the module to messages from these sending applications or facilities
    (MSH-3.1 / MSH-4.1): a site's module for one EHR then wins over the general one.
    """

    message_types: tuple[str, ...]
    rules: Callable[[Hl7v2Context], None]
    senders: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class FhirMapping:
    """A FHIR dialect module's declaration: the resource types it takes (`Bundle` for a
    transaction or message Bundle), and the marks of its sender's inputs. Each kind of mark
    declared must be found for the module to take an input: `message_events` (a message
    Bundle's MessageHeader.eventCoding as `system|code`, or its eventUri),
    `source_endpoints` (MessageHeader.source.endpoint or meta.source: one sender), and
    `profiles` (meta.profile) or `identifier_systems` (either will do), anywhere in the
    input."""

    resource_types: tuple[str, ...]
    rules: Callable[[FhirContext], None]
    profiles: tuple[str, ...] = ()
    identifier_systems: tuple[str, ...] = ()
    message_events: tuple[str, ...] = ()
    source_endpoints: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Case:
    """A golden case: an input and the transaction Bundle it must map to."""

    module: str
    name: str
    input: Path
    expected: Path


@dataclass(frozen=True, slots=True)
class MappingModule:
    """A loaded module: its folder, its declaration, its ConceptMaps and its cases."""

    name: str
    folder: Path
    mapping: Hl7v2Mapping | FhirMapping
    concept_maps: ConceptMaps
    builtin: bool
    cases: tuple[Case, ...] = field(default=())
