"""HL7 v2 as the standard says it (v2.3 to v2.8): referrals (REF^I12, REF^I14, OMG^O19) and
orders (ORM^O01, OML^O21, RDE^O11) from any sender no more specific module claims."""

from painfhir.mapping import Hl7v2Mapping
from painfhir.mapping.v2fhir import RULES_BY_MESSAGE_TYPE, map_hl7v2

MAPPING = Hl7v2Mapping(message_types=tuple(RULES_BY_MESSAGE_TYPE), rules=map_hl7v2)
