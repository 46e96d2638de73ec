"""painfhir's profiles: snapshot generation, and validation of resources against them.

    validate_against_profile(resource, url)   the issues of a resource against one profile
    claimed_profiles(resource)                the painfhir profiles it claims in meta.profile,
                                              and issues about the claims painfhir cannot check
    validate_claimed_profiles(resource)       both: what validate-on-write needs
    bundle_resolver(bundle)                   resolves references between a Bundle's entries

Each takes `must_support=True` to add one information issue per must-support element that is
absent, and `resolve=` to find reference targets outside the resource (contained ones are
always found). The profiles come from `compiled_ig.json`, generated from profiles/ by
`python -m painfhir.validation.profile.generate`; `Guide` validates against another compiled
guide (tests build theirs from fixtures). See `_bindings` for how each binding strength is
reported, `_constraints` for profile invariants, and `_extensions` for how base validation
checks every known extension (official R4 ones from `r4_extensions.json`, painfhir's) against
its definition wherever it occurs.
"""

from __future__ import annotations

from typing import Any

from painfhir.fhir.outcome import Issue
from painfhir.validation.profile._claims import claimed_profiles as _claimed_profiles
from painfhir.validation.profile._ig import Guide, default_guide
from painfhir.validation.profile._references import bundle_resolver
from painfhir.validation.profile._run import Resolver

__all__ = [
    "Guide",
    "Resolver",
    "bundle_resolver",
    "claimed_profiles",
    "default_guide",
    "validate_against_profile",
    "validate_claimed_profiles",
]


def validate_against_profile(
    resource: dict[str, Any],
    profile_url: str,
    *,
    must_support: bool = False,
    resolve: Resolver | None = None,
    guide: Guide | None = None,
) -> list[Issue]:
    """The problems of `resource` against the profile at `profile_url` (painfhir's guide unless
    `guide` is given). An unknown profile is one error."""
    guide = guide or default_guide()
    return guide.validate(resource, profile_url, must_support=must_support, resolve=resolve)


def claimed_profiles(
    resource: dict[str, Any], *, guide: Guide | None = None
) -> tuple[list[str], list[Issue]]:
    """The profiles of the guide that `resource` claims in meta.profile, and an issue for each
    other claim: an unknown painfhir canonical is an error, a foreign one a warning."""
    return _claimed_profiles(resource, guide or default_guide())


def validate_claimed_profiles(
    resource: dict[str, Any],
    *,
    must_support: bool = False,
    resolve: Resolver | None = None,
    guide: Guide | None = None,
) -> list[Issue]:
    """Validate-on-write: the resource against every painfhir profile it claims."""
    guide = guide or default_guide()
    urls, issues = _claimed_profiles(resource, guide)
    for url in urls:
        issues += guide.validate(resource, url, must_support=must_support, resolve=resolve)
    return issues
