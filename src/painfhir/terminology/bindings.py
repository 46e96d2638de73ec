"""Required bindings of base R4: which elements have one, and what breaking it means.

R4 says a `code` element bound as required must hold a code of the value set, and a bound
`CodeableConcept` must have at least one coding (system and code) from it: a concept with only
text, or only codings of other systems, breaks the binding. Elements whose value set cannot be
enumerated (`NOT_ENUMERABLE`) have no `RequiredBinding` and are not checked.

`painfhir.fhir.structure` links each bound element to its `RequiredBinding` once, at import,
and asks it about values during its own walk, so checking bindings costs no second pass over
the resource; messages are only made for problems found.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from painfhir.fhir.outcome import Issue
from painfhir.terminology import REQUIRED_BINDINGS, VALUE_SETS, ValueSetCodes

_CODE_INVALID = "code-invalid"
_LISTED_AT_MOST = 12  # a value set this small is spelled out in messages


@dataclass(frozen=True, slots=True)
class RequiredBinding:
    element: str  # the bound element's definition path, for messages: "Patient.gender"
    value_set: ValueSetCodes

    def code_issue(self, code: str, expression: str) -> Issue:
        """The issue for a code (already known to be well-formed) not in the value set."""
        message = (
            f"{self.element} must be a code from {self.value_set.url} (a required binding); "
            f"'{code}' is not {self._allowed_codes()}"
        )
        return Issue("error", _CODE_INVALID, message, expression)

    def concept_issue(self, concept: dict[str, Any], expression: str) -> Issue | None:
        """The issue for a CodeableConcept with no coding from the value set, if it has none."""
        codings = concept.get("coding")
        if type(codings) is list and any(_coding_in(c, self.value_set) for c in codings):
            return None
        shown = [_show_coding(c) for c in codings] if type(codings) is list else []
        if shown:
            found = "none of its codings is in that value set: " + ", ".join(shown)
        elif "text" in concept:
            found = "it has only text, which a required binding does not accept"
        else:
            found = "it has no coding"
        message = (
            f"{self.element} must have a coding from {self.value_set.url} (a required "
            f"binding), but {found}. Allowed: {self._allowed_codings()}"
        )
        return Issue("error", _CODE_INVALID, message, expression)

    def _allowed_codes(self) -> str:
        codes = self.value_set.codes
        if len(codes) > _LISTED_AT_MOST:
            return f"one of its {len(codes)} codes"
        return "one of: " + ", ".join(sorted(codes))

    def _allowed_codings(self) -> str:
        codings = self.value_set.codings
        if len(codings) > _LISTED_AT_MOST:
            return f"{len(codings)} codes, listed in the value set"
        by_system: dict[str, list[str]] = {}
        for system, code in sorted(codings):
            by_system.setdefault(system, []).append(code)
        return "; ".join(f"{system}: {', '.join(codes)}" for system, codes in by_system.items())


def required_binding(owner: str, name: str) -> RequiredBinding | None:
    """The checkable required binding of member `name` of structure table `owner`, if any."""
    url = REQUIRED_BINDINGS.get(owner, {}).get(name)
    value_set = VALUE_SETS.get(url) if url is not None else None
    return RequiredBinding(f"{owner}.{name}", value_set) if value_set is not None else None


def _coding_in(coding: Any, value_set: ValueSetCodes) -> bool:
    if type(coding) is not dict:
        return False
    system, code = coding.get("system"), coding.get("code")
    return type(system) is str and type(code) is str and (system, code) in value_set.codings


def _show_coding(coding: Any) -> str:
    system = coding.get("system") if type(coding) is dict else None
    code = coding.get("code") if type(coding) is dict else None
    if type(code) is not str:
        code = "(no code)"
    return f"{system}|{code}" if type(system) is str else f"{code} (no system)"
