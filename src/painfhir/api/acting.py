"""The actor every request claims (the `X-Painfhir-Actor` header), made the actor of the
writes it causes: a plain PUT or PATCH of a referral Task, an entry of a Bundle, is a move
of the side the header names, as an operation is (docs/workflow.md)."""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from painfhir.interactions.acting import acting
from painfhir.workflow.referral import ACTOR_HEADER


class ActingMiddleware:
    """Pure ASGI, so the claim is set in the request's own task and the worker threads its
    writes run in inherit it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        with acting(Headers(scope=scope).get(ACTOR_HEADER)):
            await self.app(scope, receive, send)
