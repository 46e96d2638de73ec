"""Deterministic resource ids: the same source identifiers give the same id, so a resent
message maps to the same resources and its transaction updates them instead of adding
copies, and golden cases compare exactly.

An id is a name-based UUID (version 5) over the sender, the resource type and the key parts
a rule chooses (an identifier's system and value, say, or the referral's placer number and a
segment's set id for resources that carry no identifier of their own).
"""

from __future__ import annotations

import hashlib
import uuid
from functools import lru_cache

# painfhir's namespace for name-based ids: uuid5(NAMESPACE_URL, "http://painfhir.org/fhir/id")
PAINFHIR_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "http://painfhir.org/fhir/id")
# a unit separator cannot occur in an HL7 value or a FHIR string, so keys never run together
_SEPARATOR = "\x1f"


# Senders name the same providers, organizations and payers in message after message.
@lru_cache(maxsize=4096)
def resource_id(sender: str, resource_type: str, *key: str) -> str:
    name = _SEPARATOR.join((sender, resource_type, *key))
    return _uuid5_text(name)


def _uuid5_text(name: str) -> str:
    """`str(uuid.uuid5(PAINFHIR_NAMESPACE, name))` (RFC 4122 §4.3), without building the UUID
    object, which costs more than the hash on every mapped resource."""
    digest = bytearray(hashlib.sha1(PAINFHIR_NAMESPACE.bytes + name.encode()).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50  # version 5
    digest[8] = (digest[8] & 0x3F) | 0x80  # RFC 4122 variant
    text = digest.hex()
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"
