"""Who makes a move: the side they act for and, where known, the person or system acting.

Until authentication arrives, the client says who it is in the `X-Painfhir-Actor` header
(`clinic` or `referrer`, optionally followed by a reference: `referrer Practitioner/raman`);
without the header a request acts for the clinic. `actor_from_header` is the one place that
decides, so a token's claims can replace the header without touching the workflow. A plain
write of a referral Task sees no request: the API layer hands the header on through
`painfhir.interactions.acting`, read by `acting_actor`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from painfhir.fhir.outcome import FhirError
from painfhir.interactions.acting import claimed_actor
from painfhir.workflow.referral._states import Side

ACTOR_HEADER = "X-Painfhir-Actor"
_REFERENCE = re.compile(r"[A-Z][A-Za-z]+/[A-Za-z0-9\-.]{1,64}")


@dataclass(frozen=True, slots=True)
class Actor:
    side: Side
    who: str | None = None  # a reference (`Practitioner/raman`); None: the side's party

    def reference(self, task: dict[str, Any]) -> dict[str, Any]:
        """Who acted, as a Reference: the named person, or else the side's party on the Task
        (its owner for the clinic, its requester for the referring side)."""
        if self.who is not None:
            return {"reference": self.who}
        party = task.get("owner" if self.side is Side.CLINIC else "requester")
        return dict(party) if isinstance(party, dict) else {"display": self.side.described}


def actor_from_header(value: str | None) -> Actor:
    """The actor a request's `X-Painfhir-Actor` header names; the clinic when it is absent."""
    if value is None or not value.strip():
        return Actor(Side.CLINIC)
    side, _, who = value.strip().partition(" ")
    try:
        acting_for = Side(side.lower())
    except ValueError:
        raise FhirError.of(
            400,
            "value",
            f"{ACTOR_HEADER} must start with 'clinic' or 'referrer', not {side!r}",
        ) from None
    who = who.strip()
    if who and _REFERENCE.fullmatch(who) is None:
        raise FhirError.of(
            400, "value", f"{ACTOR_HEADER}: {who!r} is not a reference like Practitioner/123"
        )
    return Actor(acting_for, who or None)


def acting_actor() -> Actor:
    """The actor of the writes under way: the one their request or channel claims."""
    return actor_from_header(claimed_actor())
