"""One entry point for validating a resource: the API's `$validate`, the write path and
`painfhir validate` all call `validate`, so they can never disagree.

Checks run in order of what they assume: the structure first (element names, cardinality,
types, formats, required bindings of base R4). Deeper checks are only meaningful on a
well-formed resource, so a resource with structural errors gets those errors alone.
"""

from __future__ import annotations

from typing import Any

from painfhir.fhir.outcome import Issue
from painfhir.fhir.structure import check_resource

BLOCKING = frozenset({"fatal", "error"})


def has_errors(issues: list[Issue]) -> bool:
    return any(issue.severity in BLOCKING for issue in issues)


def validate(resource: Any) -> list[Issue]:
    """Every problem found in `resource`, one issue each, most fundamental first."""
    return check_resource(resource)
