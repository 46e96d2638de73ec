"""One entry point for validating a resource: `$validate`, the write path and
`painfhir validate` all use this module, so they can never disagree.

Checks run in order of what they assume: the structure first (element names, cardinality,
types, formats, required bindings of base R4), then the invariants of base R4, then painfhir's
profiles — those the resource claims in meta.profile, and any the caller asks for. Deeper checks
are only meaningful on a well-formed resource, so a resource with structural errors gets those
errors alone.

On a write, a structurally broken resource is refused with 400; one that breaks an invariant of
base R4 with 400 too (it is not valid R4); one that breaks a painfhir profile it claims with 422
(valid R4, but not what it says it is). In lenient mode only the structure refuses a write:
the other problems are logged and the resource is stored, since a clinic may prefer to take in
an imperfect referral over losing it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from painfhir.fhir.outcome import FhirError, Issue
from painfhir.fhir.structure import check_resource
from painfhir.validation.invariants import check_invariants
from painfhir.validation.profile import (
    Resolver,
    validate_against_profile,
    validate_claimed_profiles,
)

BLOCKING = frozenset({"fatal", "error"})

log = logging.getLogger(__name__)


def has_errors(issues: list[Issue]) -> bool:
    return any(issue.severity in BLOCKING for issue in issues)


def validate(
    resource: Any,
    *,
    profiles: Sequence[str] = (),
    must_support: bool = False,
    resolve: Resolver | None = None,
) -> list[Issue]:
    """Every problem found in `resource`, one issue each, most fundamental first; `profiles`
    are checked besides those the resource claims."""
    issues = check_resource(resource)
    if has_errors(issues):
        return issues
    issues += check_invariants(resource)
    issues += validate_claimed_profiles(resource, must_support=must_support, resolve=resolve)
    claimed = set(resource.get("meta", {}).get("profile", []))
    for url in dict.fromkeys(profiles):
        if url not in claimed:
            issues += validate_against_profile(
                resource, url, must_support=must_support, resolve=resolve
            )
    return issues


def write_refusal(
    resource: Any, *, lenient: bool = False, resolve: Resolver | None = None
) -> FhirError | None:
    """Why a write of `resource` must be refused (the error to raise), or None to accept it."""
    structure = check_resource(resource)
    if has_errors(structure):
        return FhirError(400, structure)
    base = check_invariants(resource)
    profiled = validate_claimed_profiles(resource, resolve=resolve)
    if lenient:
        if has_errors(base) or has_errors(profiled):
            log.warning(
                "Accepted (lenient validation) a %s with errors: %s",
                resource.get("resourceType"),
                "; ".join(i.diagnostics for i in base + profiled if i.severity in BLOCKING),
            )
        return None
    if has_errors(base):
        return FhirError(400, base + profiled)
    if has_errors(profiled):
        return FhirError(422, base + profiled)
    return None
