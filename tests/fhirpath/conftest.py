"""A pain-clinic Observation and a helper to evaluate expressions on it."""

from __future__ import annotations

from typing import Any, cast

import pytest

from painfhir.fhir.codec import parse_json
from painfhir.fhirpath import compile_fhirpath

PAIN_SCORE = parse_json(
    b"""{
  "resourceType": "Observation",
  "id": "pain-1",
  "contained": [{"resourceType": "Practitioner", "id": "nurse", "name": [{"family": "Okafor"}]}],
  "extension": [{"url": "http://example.org/site", "valueString": "clinic A"}],
  "status": "final",
  "_status": {"id": "s1", "extension": [{"url": "http://example.org/why", "valueCode": "ok"}]},
  "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category",
                            "code": "survey"}]}],
  "code": {"coding": [{"system": "http://loinc.org", "code": "72514-3", "display": "Pain"}],
           "text": "Pain severity"},
  "subject": {"reference": "Patient/p1"},
  "performer": [{"reference": "#nurse"}, {"display": "Dr. Haddad"}],
  "effectivePeriod": {"start": "2024-03-05", "end": "2024-03-05T10:30:00Z"},
  "issued": "2024-03-05T10:31:12.250+01:00",
  "valueQuantity": {"value": 7.50, "unit": "score", "system": "http://unitsofmeasure.org",
                    "code": "{score}"},
  "note": [{"text": "Worse at night"}, {"text": "Better after walking"}],
  "component": [
    {"code": {"text": "worst"}, "valueInteger": 9},
    {"code": {"text": "least"}, "valueInteger": 3}
  ]
}"""
)


def run(expression: str, focus: Any = None, **environment: Any) -> list[Any]:
    """The plain result of `expression` on `focus` (the Observation by default)."""
    target = PAIN_SCORE if focus is None else focus
    environment.setdefault("resource", target)
    return compile_fhirpath(expression).evaluate(target, **environment)


@pytest.fixture
def observation() -> dict[str, Any]:
    return cast(dict[str, Any], PAIN_SCORE)
