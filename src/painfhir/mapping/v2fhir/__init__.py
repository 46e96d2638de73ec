"""HL7 v2 to canonical FHIR R4: the segment rules the HL7 v2 mapping modules are made of.

A module's `module.py` can take `map_hl7v2` whole (the rules per message structure), or
build its own from the parts: `patient`, `provider`, `coverage`, `encounter`, `condition`,
`observation`, the referral (`Referral`, `add_referral`), and the data type readers.
"""

from painfhir.mapping._canonical import REFERRAL_PROFILE, REFERRAL_TASK_PROFILE
from painfhir.mapping.v2fhir._clinical import (
    allergy,
    condition,
    diagnostic_report,
    notes,
    observation,
    procedure,
)
from painfhir.mapping.v2fhir._coverage import coverage, encounter
from painfhir.mapping.v2fhir._messages import RULES_BY_MESSAGE_TYPE, map_hl7v2
from painfhir.mapping.v2fhir._people import organization, patient, practitioner, provider
from painfhir.mapping.v2fhir._referral import (
    Referral,
    add_referral,
    placer_identifier,
    request_cancellation,
)
from painfhir.mapping.v2fhir._types import (
    addresses,
    codeable_concept,
    date,
    date_time,
    human_names,
    identifier,
    identifiers,
    table_coding,
    telecoms,
)

__all__ = [
    "REFERRAL_PROFILE",
    "REFERRAL_TASK_PROFILE",
    "RULES_BY_MESSAGE_TYPE",
    "Referral",
    "add_referral",
    "addresses",
    "allergy",
    "codeable_concept",
    "condition",
    "coverage",
    "date",
    "date_time",
    "diagnostic_report",
    "encounter",
    "human_names",
    "identifier",
    "identifiers",
    "map_hl7v2",
    "notes",
    "observation",
    "organization",
    "patient",
    "placer_identifier",
    "practitioner",
    "procedure",
    "provider",
    "request_cancellation",
    "table_coding",
    "telecoms",
]
