"""Constraints a profile adds (FHIRPath invariants), evaluated with painfhir's FHIRPath engine.

Each expression is compiled once, when its profile is; one FHIRPath scope (%resource, the
services resolve() and memberOf() use) is made per run and shared by its constraints. A
constraint that cannot be evaluated (an expression the engine does not compile, or cannot
answer on this data, e.g. memberOf() a value set nobody here can enumerate) is never taken as
passed: the run reports it once as an `information` issue saying it was not evaluated. One
that fails is reported with the constraint's own severity (error or warning), key and human
description.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any

from painfhir.fhir.outcome import Severity
from painfhir.fhirpath import (
    Context,
    FhirPathError,
    FhirPathExpression,
    FhirPathServices,
    compile_fhirpath,
    scope,
)
from painfhir.validation.profile._bindings import in_value_set
from painfhir.validation.profile._run import Resolver, Run

if TYPE_CHECKING:
    from painfhir.validation.profile._ig import Guide


class ConstraintCheck:
    __slots__ = (
        "expression",
        "fhir_type",
        "human",
        "key",
        "label",
        "profile",
        "severity",
        "why_not",
    )

    def __init__(
        self, constraint: dict[str, Any], fhir_type: str | dict[str, str], label: str, profile: str
    ) -> None:
        self.key: str = constraint["key"]
        self.severity: Severity = "warning" if constraint.get("severity") == "warning" else "error"
        self.human: str = constraint.get("human", "")
        # The element's FHIR type, or for a choice element its type by JSON member.
        self.fhir_type = fhir_type
        self.label = label
        self.profile = profile
        self.expression: FhirPathExpression | None = None
        self.why_not = ""  # why it cannot be evaluated, when `expression` is None
        try:
            self.expression = compile_fhirpath(constraint["expression"])
        except FhirPathError as exc:
            self.why_not = str(exc)

    def __call__(self, value: Any, expression: str, run: Run) -> None:
        if self.expression is None:
            self._not_evaluated(self.why_not, expression, run)
            return
        fhir_type = self.fhir_type
        if not isinstance(fhir_type, str):  # a choice element: the type of the member it is in
            fhir_type = fhir_type.get(expression.rsplit(".", 1)[-1], "")
        focus = [(fhir_type, value, None)]
        try:
            holds = self.expression.holds_alone(focus)  # most need no scope: none is made
            if holds is None:
                holds = self.expression.holds_on(focus, _scope(run))
        except FhirPathError as exc:  # an expression the engine cannot answer on this data
            self._not_evaluated(str(exc), expression, run)
            return
        if not holds:
            message = f"{self.profile}: {self.label} breaks {self.key}: {self.human}"
            run.issue(self.severity, "invariant", message, expression)

    def _not_evaluated(self, why: str, expression: str, run: Run) -> None:
        if self.key in run.reported:
            return
        run.reported.add(self.key)
        message = (
            f"{self.profile}: constraint {self.key} on {self.label} ({self.human}) was not "
            f"evaluated: {why}"
        )
        run.issue("information", "informational", message, expression)


def _scope(run: Run) -> Context:
    if run.fhirpath is None:
        services = _services(run.guide, run.resolve)
        run.fhirpath = scope(resource=run.resource, services=services)
    return run.fhirpath


@lru_cache(maxsize=64)
def _services(guide: Guide, resolve: Resolver | None) -> FhirPathServices:
    """What conformsTo(), memberOf() and resolve() ask; made once per guide and resolver."""

    def conforms(value: Any, url: str) -> bool | None:
        if guide.compiled(url) is None:
            return None
        side = Run(guide, value, must_support=False, resolve=resolve)
        return guide.conforms(value, url, side)

    return FhirPathServices(
        resolve=resolve,
        conforms_to=conforms,
        member_of=lambda value, url: _member_of(guide, value, url),
    )


def _member_of(guide: Guide, value: Any, url: str) -> bool | None:
    value_set = guide.value_set(url)
    if value_set is None:
        return None
    if type(value) is dict and "coding" in value:
        codings = value["coding"] if type(value["coding"]) is list else []
        return any(in_value_set(coding, value_set) for coding in codings)
    return in_value_set(value, value_set)
