"""The inputs of a referral operation: a Parameters body (https://hl7.org/fhir/R4/parameters.html).

Each operation names the parameters it takes; anything else, or a value of the wrong type,
is refused with 400 and the parameter's place in the body.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from painfhir.fhir.outcome import FhirError

Json = dict[str, Any]


@dataclass(frozen=True, slots=True)
class OperationInput:
    operation: str
    parameters: list[Json]

    @classmethod
    def of(cls, operation: str, body: Any, accepted: frozenset[str]) -> OperationInput:
        """The Parameters of a request (None: no body), checked against the names `accepted`."""
        if body is None:
            return cls(operation, [])
        if not isinstance(body, dict) or body.get("resourceType") != "Parameters":
            raise FhirError.of(400, "invalid", f"${operation} takes a Parameters resource")
        parameters = body.get("parameter") or []
        for index, parameter in enumerate(parameters):
            name = parameter.get("name") if isinstance(parameter, dict) else None
            if name not in accepted:
                known = ", ".join(sorted(accepted)) or "no parameters"
                raise FhirError.of(
                    400,
                    "not-supported",
                    f"${operation} has no parameter {name!r}; it takes {known}",
                    f"Parameters.parameter[{index}]",
                )
        return cls(operation, parameters)

    def _values(self, name: str, *kinds: str) -> list[tuple[str, Any]]:
        found = []
        for index, parameter in enumerate(self.parameters):
            if parameter["name"] != name:
                continue
            value = next(
                ((k, parameter[f"value{k}"]) for k in kinds if f"value{k}" in parameter), None
            )
            if value is None:
                wanted = " or ".join(f"value{k}" for k in kinds)
                raise FhirError.of(
                    400,
                    "invalid",
                    f"${self.operation}: parameter {name!r} must have {wanted}",
                    f"Parameters.parameter[{index}]",
                )
            found.append(value)
        return found

    def _single(self, name: str, *kinds: str) -> tuple[str, Any] | None:
        values = self._values(name, *kinds)
        if len(values) > 1:
            raise FhirError.of(400, "invalid", f"${self.operation}: give {name!r} once")
        return values[0] if values else None

    def concept(self, name: str) -> Json | None:
        """A string or a CodeableConcept parameter, as a CodeableConcept."""
        value = self._single(name, "String", "CodeableConcept")
        if value is None:
            return None
        kind, content = value
        return {"text": content} if kind == "String" else dict(content)

    def text(self, name: str) -> str | None:
        value = self._single(name, "String", "Markdown")
        return None if value is None else str(value[1])

    def date_time(self, name: str) -> str | None:
        value = self._single(name, "DateTime", "Instant")
        return None if value is None else str(value[1])

    def reference(self, name: str) -> Json | None:
        value = self._single(name, "Reference")
        return None if value is None else dict(value[1])

    def references(self, name: str) -> list[Json]:
        return [dict(content) for _, content in self._values(name, "Reference")]

    def required(self, name: str, value: Any) -> Any:
        if value is None:
            raise FhirError.of(400, "required", f"${self.operation} needs the parameter {name!r}")
        return value
