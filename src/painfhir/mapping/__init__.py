"""Mapping modules: the dialects outside systems speak (HL7 v2, their FHIR flavours, local
codes) translated into painfhir's canonical FHIR R4.

    mappings = Mappings.discover(settings.mappings_folders)   # built-in + PAINFHIR_MAPPINGS_PATH
    result = mappings.map(raw, content_type="x-application/hl7-v2+er7", trace=True)
    result.module, result.bundle, result.issues, result.trace

`map` picks the module (`detect`: MSH-9 for HL7 v2; resourceType, meta.profile or
identifier systems for FHIR JSON) unless one is named, and gives a transaction Bundle of PUT
entries with deterministic ids, the validation issues of its resources and, when asked, the
trace of which source field produced which element. Every failure is a `MappingError`, with
the segment and field it concerns where known (for an acknowledgement's ERR segment).

A module is a folder (`mappings/<name>/`): `module.py` declaring `MAPPING`, `conceptmaps/`,
and golden `cases/`; see docs/mapping.md. `painfhir.mapping.hl7v2` reads HL7 v2 messages;
`painfhir.mapping.v2fhir` holds the segment rules the v2 modules are made of.
"""

from painfhir.mapping._cases import CaseOutcome, run_case
from painfhir.mapping._conceptmap import Coding, ConceptMaps
from painfhir.mapping._context import FhirContext, Hl7v2Context, MappingContext
from painfhir.mapping._errors import (
    InvalidValueError,
    MappingError,
    MissingSourceError,
    ModuleLoadError,
    NoModuleError,
    RuleError,
    UnmappedCodeError,
    UnreadableMessageError,
)
from painfhir.mapping._ids import resource_id
from painfhir.mapping._mappings import MappingResult, Mappings, validate_bundle
from painfhir.mapping._module import Case, FhirMapping, Hl7v2Mapping, MappingModule
from painfhir.mapping._trace import FieldUse, Trace, UnusedField

__all__ = [
    "Case",
    "CaseOutcome",
    "Coding",
    "ConceptMaps",
    "FhirContext",
    "FhirMapping",
    "FieldUse",
    "Hl7v2Context",
    "Hl7v2Mapping",
    "InvalidValueError",
    "MappingContext",
    "MappingError",
    "MappingModule",
    "MappingResult",
    "Mappings",
    "MissingSourceError",
    "ModuleLoadError",
    "NoModuleError",
    "RuleError",
    "Trace",
    "UnmappedCodeError",
    "UnreadableMessageError",
    "UnusedField",
    "resource_id",
    "run_case",
    "validate_bundle",
]
