"""The Parameters of `PlanDefinition/{id}/$apply`: R4's `subject` (one Patient), `encounter`,
`practitioner` and `organization` as strings or References, and painfhir's `careTeam` and
`referral` References."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from painfhir.fhir.outcome import FhirError

Json = dict[str, Any]

_NAMES = ("subject", "encounter", "practitioner", "organization", "careTeam", "referral")


def _reference(parameter: Json) -> Json:
    if isinstance(parameter.get("valueReference"), dict):
        reference: Json = parameter["valueReference"]
        return reference
    if isinstance(parameter.get("valueString"), str):
        return {"reference": parameter["valueString"]}
    raise FhirError.of(
        400, "invalid", f"$apply parameter '{parameter.get('name')}' must be a string or Reference"
    )


@dataclass(frozen=True, slots=True)
class ApplyParameters:
    subject: Json
    encounter: Json | None = None
    practitioner: Json | None = None
    care_team: Json | None = None
    referral: Json | None = None

    @classmethod
    def of(cls, body: Any) -> ApplyParameters:
        if not isinstance(body, dict) or body.get("resourceType") != "Parameters":
            raise FhirError.of(400, "invalid", "The body of $apply must be a Parameters resource")
        given: dict[str, list[Json]] = {}
        for parameter in body.get("parameter") or []:
            name = parameter.get("name")
            if name not in _NAMES:
                raise FhirError.of(
                    400,
                    "not-supported",
                    f"$apply takes no parameter '{name}' ({', '.join(_NAMES)})",
                )
            given.setdefault(name, []).append(_reference(parameter))
        subjects = given.get("subject", [])
        if len(subjects) != 1:
            raise FhirError.of(400, "required", "$apply needs exactly one `subject`: the Patient")
        for name, values in given.items():
            if len(values) > 1:
                raise FhirError.of(400, "invalid", f"$apply takes one `{name}`")

        def single(name: str) -> Json | None:
            return given.get(name, [None])[0]

        return cls(
            subject=subjects[0],
            encounter=single("encounter"),
            practitioner=single("practitioner"),
            care_team=single("careTeam"),
            referral=single("referral"),
        )
