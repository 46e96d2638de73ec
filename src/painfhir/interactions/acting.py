"""Who the writes of a request are made for, as the client claims it: carried from the edge
(an HTTP request's `X-Painfhir-Actor` header, a message channel's sender) to the reactions
its writes run, which see no request.

The claim is kept in the header's words (`clinic Practitioner/dr-lee`, `referrer`); what it
means, and whether it is well formed, is the workflow's business
(`painfhir.workflow.referral.actor_from_header`), so this layer never imports the workflow.
Until authentication arrives the claim is trusted; a token's claims will replace it here.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

# In the header's words: messages that come in on a channel are the referring side's.
REFERRING_SIDE = "referrer"

_claim: ContextVar[str | None] = ContextVar("acting_claim", default=None)


@contextmanager
def acting(claim: str | None) -> Iterator[None]:
    """Make `claim` (None: no one claimed; the workflow decides the default) the actor of
    the writes made inside the block — and in the worker threads it starts with a copy of
    its context, as Starlette's `run_in_threadpool` does."""
    token = _claim.set(claim)
    try:
        yield
    finally:
        _claim.reset(token)


def claimed_actor() -> str | None:
    return _claim.get()
