"""One validation run: where its issues go, and what it may look at besides the resource."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from painfhir.fhir.outcome import Issue, Severity
from painfhir.fhirpath import Context

if TYPE_CHECKING:
    from painfhir.validation.profile._ig import Guide

Resolver = Callable[[str], dict[str, Any] | None]
"""Reference string -> the resource it points at (in the same Bundle, say), or None."""

# A literal reference's type: `Patient/1`, `Patient/1/_history/2`, or an absolute URL ending so.
_LITERAL = re.compile(
    r"(?:^|/)([A-Z][A-Za-z]+)/[A-Za-z0-9\-.]{1,64}(?:/_history/[A-Za-z0-9\-.]{1,64})?$"
)


class Run:
    """The state of one `validate` call, handed to every check."""

    __slots__ = (
        "fhirpath",
        "guide",
        "issues",
        "must_support",
        "reported",
        "resolve",
        "resource",
        "targets",
    )

    def __init__(
        self,
        guide: Guide,
        resource: dict[str, Any],
        *,
        must_support: bool,
        resolve: Resolver | None,
    ) -> None:
        self.guide = guide
        self.resource = resource
        self.must_support = must_support
        self.resolve = resolve
        self.issues: list[Issue] = []
        self.reported: set[str] = set()  # constraints already reported as not evaluated
        self.fhirpath: Context | None = None  # this run's FHIRPath scope, made at first need
        # References already looked at: slicing by resolve() and target checks both ask.
        self.targets: dict[str, tuple[dict[str, Any] | None, str | None]] = {}

    def issue(self, severity: Severity, code: str, message: str, expression: str) -> None:
        self.issues.append(Issue(severity, code, message, expression))

    def target(self, reference: str) -> tuple[dict[str, Any] | None, str | None]:
        """What `reference` points at: (the resource if it can be found, its type if known)."""
        known = self.targets.get(reference)
        if known is not None:
            return known
        found: dict[str, Any] | None = None
        if reference[:1] == "#":
            for contained in self.resource.get("contained", ()):
                if type(contained) is dict and contained.get("id") == reference[1:]:
                    found = contained
        elif self.resolve is not None:
            found = self.resolve(reference)
        if found is not None:
            kind = found.get("resourceType")
            known = found, kind if type(kind) is str else None
        else:
            match = _LITERAL.search(reference)
            known = None, match[1] if match is not None else None
        self.targets[reference] = known
        return known
