"""The HTTP face of painfhir: FastAPI app, FHIR REST routes, content negotiation, errors."""

from painfhir.api.app import create_app

__all__ = ["create_app"]
