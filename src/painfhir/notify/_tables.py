"""FHIR codes → HL7 tables for outbound messages, through the ConceptMaps in `conceptmaps/`.

They ship inside the package next to the code that uses them (not in profiles/, which holds
what painfhir's own resources conform to): they are this outbound mapping's rules, the way a
mapping module's ConceptMaps are its rules, and a site can read or review them as FHIR JSON.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

import orjson

from painfhir.mapping import Coding, ConceptMaps

BUSINESS_STATUS = "http://hl7.org/fhir/us/bser/CodeSystem/TaskBusinessStatusCS"
REFERRAL_STATUS = "http://terminology.hl7.org/CodeSystem/v2-0283"
GENDER = "http://hl7.org/fhir/administrative-gender"
SEX = "http://terminology.hl7.org/CodeSystem/v2-0001"
REQUEST_PRIORITY = "http://hl7.org/fhir/request-priority"
REFERRAL_PRIORITY = "http://terminology.hl7.org/CodeSystem/v2-0280"


@cache
def outbound_maps() -> ConceptMaps:
    folder = resources.files("painfhir.notify").joinpath("conceptmaps")
    files = sorted(
        (entry for entry in folder.iterdir() if entry.name.endswith(".json")),
        key=lambda entry: entry.name,
    )
    return ConceptMaps(orjson.loads(entry.read_bytes()) for entry in files)


def translate(system: str, code: str | None, target: str) -> Coding | None:
    return outbound_maps().translate(system, code, target) if code else None
