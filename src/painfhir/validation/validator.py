"""One entry point for validating a resource: `$validate`, the write path and
`painfhir validate` all use this module, so they can never disagree.

Checks run in order of what they assume: the structure first (element names, cardinality,
types, formats, required bindings of base R4), then base R4's rules beyond the structure — its
invariants, and every extension whose url is an official R4 extension definition checked
against that definition wherever it occurs (its context, value[x] types, sub-extensions,
bindings, fixed and pattern values) — then painfhir's: every painfhir extension checked alike
against its definition, wherever it occurs, and the profiles the resource claims in
meta.profile, and any the caller asks for. Deeper checks are only meaningful on a well-formed
resource, so a resource with structural errors gets those errors alone. Extensions with other
urls are not looked at (R4 allows them); the base step finds the known ones on the walk it
makes for the invariants, so a resource without extensions pays nothing for them.

On a write, a structurally broken resource is refused with 400; one that breaks an invariant of
base R4 or misuses an official extension with 400 too (it is not valid R4); one that misuses a
painfhir extension or breaks a painfhir profile it claims with 422 (valid R4, but not what
painfhir says it is). In lenient mode only the structure refuses a write:
the other problems are logged and the resource is stored, since a clinic may prefer to take in
an imperfect referral over losing it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from painfhir.fhir.outcome import FhirError, Issue
from painfhir.validation._base_checks import BLOCKING, base_checks, has_errors
from painfhir.validation.profile import (
    Resolver,
    validate_against_profile,
    validate_claimed_profiles,
)

__all__ = ["BLOCKING", "has_errors", "validate", "write_refusal"]

log = logging.getLogger(__name__)


def validate(
    resource: Any,
    *,
    profiles: Sequence[str] = (),
    must_support: bool = False,
    resolve: Resolver | None = None,
) -> list[Issue]:
    """Every problem found in `resource`, one issue each, most fundamental first; `profiles`
    are checked besides those the resource claims."""
    issues, base, extensions = base_checks(resource)
    if has_errors(issues):
        return issues
    issues += base
    profiled = validate_claimed_profiles(resource, must_support=must_support, resolve=resolve)
    claimed = set(resource.get("meta", {}).get("profile", []))
    for url in dict.fromkeys(profiles):
        if url not in claimed:
            profiled += validate_against_profile(
                resource, url, must_support=must_support, resolve=resolve
            )
    return issues + _painfhir(base, extensions, profiled)


def _painfhir(base: list[Issue], extensions: list[Issue], profiled: list[Issue]) -> list[Issue]:
    """The issues of painfhir's extensions, then those of profiles, without the ones a
    profile's extension slice found again (the same definition, checked on the same value, as
    base validation or painfhir's extensions did)."""
    if not extensions and not base:
        return profiled
    seen = {*base, *extensions}
    return extensions + [issue for issue in profiled if issue not in seen]


def write_refusal(
    resource: Any, *, lenient: bool = False, resolve: Resolver | None = None
) -> FhirError | None:
    """Why a write of `resource` must be refused (the error to raise), or None to accept it."""
    structure, base, extensions = base_checks(resource)
    if has_errors(structure):
        return FhirError(400, structure)
    profiled = _painfhir(base, extensions, validate_claimed_profiles(resource, resolve=resolve))
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
