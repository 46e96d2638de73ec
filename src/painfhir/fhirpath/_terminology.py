"""memberOf(): answered from painfhir's own terminology where it knows the value set.

painfhir enumerates the value sets base R4 binds as required (`painfhir.terminology`); for
those, membership is a look-up. Any other value set is asked of the caller's services, and
when nobody knows it the engine says so (FhirPathUnanswerableError) rather than guess.
"""

from __future__ import annotations

from typing import Any

from painfhir.fhirpath._context import FhirPathServices
from painfhir.fhirpath._errors import FhirPathUnanswerableError
from painfhir.terminology import NOT_ENUMERABLE, VALUE_SETS, ValueSetCodes


def _codings(item: Any) -> tuple[list[tuple[Any, Any]], str | None]:
    """The (system, code) pairs of a Coding or CodeableConcept, or the bare code of a code."""
    kind, value = (item[0], item[1]) if type(item) is tuple else (None, item)
    if isinstance(value, str):
        return [], value
    if kind == "Coding" and type(value) is dict:
        return [(value.get("system"), value.get("code"))], None
    if kind == "CodeableConcept" and type(value) is dict:
        codings = value.get("coding") or []
        pairs = [(c.get("system"), c.get("code")) for c in codings if type(c) is dict]
        return pairs, None
    return [], None


def _known(codes: ValueSetCodes, item: Any) -> bool:
    pairs, code = _codings(item)
    if code is not None:
        return code in codes.codes
    return any(pair in codes.codings for pair in pairs)


def member_of(item: Any, url: str, services: FhirPathServices | None) -> bool:
    canonical = url.split("|", 1)[0]
    codes = VALUE_SETS.get(canonical)
    if codes is not None:
        return _known(codes, item)
    if services is not None and services.member_of is not None:
        value = item[1] if type(item) is tuple else item
        answer = services.member_of(value, url)
        if answer is not None:
            return answer
    reason = NOT_ENUMERABLE.get(canonical, "painfhir does not hold its codes")
    raise FhirPathUnanswerableError(f"memberOf(): cannot tell for the value set {url}: {reason}")
