"""The FastAPI application: routes, and every error as an OperationOutcome."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from starlette.exceptions import HTTPException
from starlette.responses import Response

from painfhir import __version__, workflow
from painfhir.api import hl7v2, ingest, notifications, operations, resources, system, transform
from painfhir.api.acting import ActingMiddleware
from painfhir.api.negotiation import FHIR_JSON
from painfhir.fhir.codec import dump_json
from painfhir.fhir.outcome import FhirError
from painfhir.ingress import MllpLimits, MllpListener, Receivers
from painfhir.interactions import reactions
from painfhir.mapping import Mappings
from painfhir.notify import DeliveryPolicy, DeliveryWorker
from painfhir.settings import Settings
from painfhir.store import Store, open_store

log = logging.getLogger(__name__)

_HTTP_ISSUE_CODES = {404: "not-found", 405: "not-supported"}


def _outcome_response(error: FhirError, headers: Mapping[str, str] | None = None) -> Response:
    return Response(
        dump_json(error.outcome()), status_code=error.status, headers=headers, media_type=FHIR_JSON
    )


async def _on_fhir_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, FhirError)
    return _outcome_response(exc)


async def _on_http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code = _HTTP_ISSUE_CODES.get(exc.status_code, "processing")
    message = f"{request.method} {request.url.path}: {exc.detail}"
    return _outcome_response(FhirError.of(exc.status_code, code, message), exc.headers)


async def _on_unexpected(request: Request, exc: Exception) -> Response:
    log.exception("Unexpected error on %s %s", request.method, request.url.path)
    return _outcome_response(FhirError.of(500, "exception", "Internal error; see the server log"))


def _mappings(settings: Settings) -> Mappings:
    """The mapping modules; one that fails to load is logged and left out, so the others
    and the FHIR REST API keep serving (its inputs are answered "no module")."""
    mappings = Mappings.discover(settings.mappings_folders, settings.mapping_clients)
    for name, error in mappings.failures.items():
        log.error("Mapping module %s is not loaded: %s", name, error.reason)
    return mappings


def create_app(settings: Settings | None = None, store: Store | None = None) -> FastAPI:
    """The painfhir ASGI app; it opens (and closes) the store named by the settings."""
    settings = settings or Settings()
    reactions.install(workflow.reactions_for)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.store = store or open_store(
            settings.database_url, migrate=settings.migrate_on_start
        )
        workflow.install_content(app.state.store)
        app.state.receivers = Receivers(
            app.state.store,
            _mappings(settings),
            base=settings.base_url or "",
            lenient=settings.validation == "lenient",
        )
        app.state.hl7v2 = app.state.receivers.hl7v2
        mllp = None
        if settings.mllp_port is not None:
            mllp = MllpListener(
                app.state.hl7v2,
                settings.mllp_host,
                settings.mllp_port,
                settings.max_body_bytes,
                MllpLimits.of(settings),
            )
            await mllp.start()
        notifier = DeliveryWorker(app.state.store, DeliveryPolicy.of(settings))
        if settings.notify_worker:
            notifier.start()
        try:
            yield
        finally:
            await notifier.stop()
            if mllp is not None:
                await mllp.stop()
            app.state.store.close()

    app = FastAPI(
        title="painfhir",
        version=__version__,
        lifespan=lifespan,
        # The FHIR API describes itself in its CapabilityStatement (GET /metadata).
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.settings = settings
    app.add_exception_handler(FhirError, _on_fhir_error)
    app.add_exception_handler(HTTPException, _on_http_error)
    app.add_exception_handler(Exception, _on_unexpected)
    app.add_middleware(ActingMiddleware)
    # Plain Starlette routes: painfhir reads raw bodies and writes raw bytes, so FastAPI's
    # per-request parameter machinery would be pure overhead on the hot read path.
    app.router.routes.extend(
        [
            *resources.routes,
            *operations.routes,
            *system.routes,
            *hl7v2.routes,
            *notifications.routes,
            *ingest.routes,
            *transform.routes,
        ]
    )
    return app
