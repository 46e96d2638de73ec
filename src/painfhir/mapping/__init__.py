"""Mapping modules: the dialects outside systems speak (HL7 v2, their FHIR flavours, local
codes, R4 or R5) translated into painfhir's canonical FHIR R4. `painfhir.mapping.hl7v2` reads
HL7 v2 messages for the v2 mapping modules."""
