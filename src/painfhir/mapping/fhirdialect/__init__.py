"""FHIR dialects to canonical FHIR R4: the rules FHIR dialect modules are made of.

A module's `module.py` can take `map_referral` whole — a referral ServiceRequest with its
context, in a transaction Bundle, a message Bundle (BSeR) or contained, carried into the
canonical referral with the module's ConceptMaps translating local codes and identifier
systems — or build its own from `SourceBundle` (the input's resources, by type and by
reference) and `Carrier` (deterministic ids, rewritten references, translated codes).
"""

from painfhir.mapping.fhirdialect._carry import URI_SYSTEM, Carrier
from painfhir.mapping.fhirdialect._referral import REFERRAL_PACKAGE, map_referral
from painfhir.mapping.fhirdialect._source import SourceBundle, SourceResource

__all__ = [
    "REFERRAL_PACKAGE",
    "URI_SYSTEM",
    "Carrier",
    "SourceBundle",
    "SourceResource",
    "map_referral",
]
