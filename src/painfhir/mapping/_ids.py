"""Deterministic resource ids: the same source identifiers give the same id, so a resent
message maps to the same resources and its transaction updates them instead of adding
copies, and golden cases compare exactly.

An id is a name-based UUID (version 5) over the sender, the resource type and the key parts
a rule chooses (an identifier's system and value, say, or the referral's placer number and a
segment's set id for resources that carry no identifier of their own).
"""

from __future__ import annotations

import uuid

# painfhir's namespace for name-based ids: uuid5(NAMESPACE_URL, "http://painfhir.org/fhir/id")
PAINFHIR_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "http://painfhir.org/fhir/id")
# a unit separator cannot occur in an HL7 value or a FHIR string, so keys never run together
_SEPARATOR = "\x1f"


def resource_id(sender: str, resource_type: str, *key: str) -> str:
    name = _SEPARATOR.join((sender, resource_type, *key))
    return str(uuid.uuid5(PAINFHIR_NAMESPACE, name))
