"""What an evaluation runs in: the environment variables, the services, the iteration state."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from painfhir.fhirpath import _temporal
from painfhir.fhirpath._errors import FhirPathEvaluationError

Run = Callable[[list[Any], "Context"], list[Any]]
"""A compiled expression: ($this, context) -> result collection."""


@dataclass(frozen=True, slots=True)
class FhirPathServices:
    """Answers the engine cannot find in the data alone; each is optional.

    `resolve(reference)` gives the resource a reference string points to (beyond contained
    resources and the Bundle's entries, which the engine resolves itself) or None.
    `conforms_to(resource, url)` and `member_of(value, url)` give True/False, or None for
    "cannot say", which makes `conformsTo()` / `memberOf()` raise FhirPathUnanswerableError.
    `member_of` receives a code string, a Coding or a CodeableConcept (JSON).
    """

    resolve: Callable[[str], Any] | None = None
    conforms_to: Callable[[Any, str], bool | None] | None = None
    member_of: Callable[[Any, str], bool | None] | None = None


class Context:
    """One evaluation's state. `index` and `total` are `$index` and `$total` of the innermost
    iteration; functions that iterate set them and put the outer values back."""

    __slots__ = (
        "_clock",
        "bundle",
        "context",
        "index",
        "memo",
        "resource",
        "root_resource",
        "services",
        "total",
        "variables",
    )

    def __init__(
        self,
        *,
        resource: list[Any],
        root_resource: list[Any],
        context: list[Any],
        variables: Mapping[str, list[Any]],
        services: FhirPathServices | None,
        bundle: Any,
    ) -> None:
        self.resource = resource
        self.root_resource = root_resource
        self.context = context
        self.variables = variables
        self.services = services
        self.bundle = bundle  # the Bundle resource the data sits in, if any, for resolve()
        self.index: int | None = None
        self.total: list[Any] = []
        self._clock: dict[str, _temporal.Temporal] = {}
        self.memo: dict[str, list[Any]] = {}  # results about the resource, which is fixed

    def variable(self, name: str) -> list[Any]:
        found = self.variables.get(name)
        if found is None:
            raise FhirPathEvaluationError(f"%{name} is not defined")
        return found

    def clock(self, what: str) -> _temporal.Temporal:
        """now(), today() and timeOfDay() are fixed for the whole of one evaluation."""
        value = self._clock.get(what)
        if value is None:
            make = {"now": _temporal.now, "today": _temporal.today}.get(what, _temporal.time_of_day)
            value = self._clock[what] = make()
        return value
