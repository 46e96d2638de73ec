"""An Epic-style EHR's FHIR referral: a ServiceRequest in a transaction Bundle with its
patient, conditions, coverage and prior results, or alone with them contained, coded in
the hospital's local systems (OIDs under the EHR vendor's root; customer 99999 is made
up). Its ConceptMaps translate the local referral types to SNOMED CT, specialties to NUCC,
diagnoses to SNOMED CT and ICD-10-CM, and the MRN and referral-number systems to the URIs
the clinic knows the hospital's identifiers by."""

from painfhir.mapping import FhirMapping
from painfhir.mapping.fhirdialect import map_referral

LOCAL_MRN = "urn:oid:1.2.840.114350.1.13.99999.1.7.5.737384.14"
LOCAL_REFERRAL_NUMBER = "urn:oid:1.2.840.114350.1.13.99999.1.7.2.798268"

MAPPING = FhirMapping(
    resource_types=("Bundle", "ServiceRequest"),
    rules=map_referral,
    identifier_systems=(LOCAL_MRN, LOCAL_REFERRAL_NUMBER),
)
