"""FHIR R4 resource handling: JSON codec, structural checks, references, Bundles."""
