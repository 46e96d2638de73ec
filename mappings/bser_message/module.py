"""A BSeR referral message (https://hl7.org/fhir/us/bser/): a Bundle of type `message`
whose MessageHeader has the event I12 (HL7 table 0003, REF/RRI patient referral) and
focuses the referral ServiceRequest; its context — patient, initiator and recipient
PractitionerRoles, conditions, coverage, observations — travels as further entries. The
sender's own Task and the MessageHeader are not stored (the message log keeps them).
Its ConceptMap adds SNOMED CT to conditions coded in ICD-10-CM only."""

from painfhir.mapping import FhirMapping
from painfhir.mapping.fhirdialect import map_referral

REFERRAL_EVENT = "http://terminology.hl7.org/CodeSystem/v2-0003|I12"

MAPPING = FhirMapping(
    resource_types=("Bundle",),
    rules=map_referral,
    message_events=(REFERRAL_EVENT,),
)
