"""The profiles a resource claims in meta.profile, and which of them painfhir checks.

A claimed profile of the guide is checked. A painfhir canonical the guide does not have is
an error (a misspelt or withdrawn profile: the resource cannot be said to conform). Another
canonical is a warning, "not known, not checked", except the base definition of the
resource's own type, which says nothing beyond R4 and is checked by the structural validator.
"""

from __future__ import annotations

from typing import Any

from painfhir.fhir.outcome import Issue
from painfhir.validation.profile._ig import Guide
from painfhir.validation.profile.snapshot import CORE, canonical


def claimed_profiles(resource: dict[str, Any], guide: Guide) -> tuple[list[str], list[Issue]]:
    """(the claimed profiles the guide checks, issues about the other claims)."""
    kind = resource.get("resourceType")
    meta = resource.get("meta")
    claims = meta.get("profile") if type(meta) is dict else None
    if type(claims) is not list:
        return [], []
    known: list[str] = []
    issues: list[Issue] = []
    for index, claim in enumerate(claims):
        if type(claim) is not str:
            continue  # the structural check reports a malformed canonical
        url = canonical(claim)
        if guide.compiled(url) is not None:
            known.append(url)
        elif guide.is_painfhir(url):
            message = f"The resource claims the painfhir profile {url}, which does not exist"
            issues.append(Issue("error", "not-found", message, f"{kind}.meta.profile[{index}]"))
        elif url != f"{CORE}{kind}":
            message = (
                f"The profile {url} is not known to painfhir: the resource was not checked "
                "against it"
            )
            issues.append(
                Issue("warning", "not-supported", message, f"{kind}.meta.profile[{index}]")
            )
    return (known if len(known) < 2 else list(dict.fromkeys(known))), issues
