"""painfhir: a FHIR R4 interoperability service for chronic-pain clinics."""

__version__ = "0.1.0"
