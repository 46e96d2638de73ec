"""Validation of FHIR R4 resources: base R4 (structure, required bindings, invariants) and
painfhir's profiles. `validator.validate` is the one entry point the API, the write path and the
command line use."""
