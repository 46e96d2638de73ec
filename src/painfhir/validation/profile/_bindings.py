"""Bindings of profile elements, checked by strength.

- required: a code outside the value set is an error; a CodeableConcept needs one coding from
  it (text alone does not do);
- extensible: a warning when the codes given are all outside the value set (a code from it
  should be used when one fits; text alone is allowed, for when none does);
- preferred: an information issue, same test;
- example: not checked (the compiled guide does not carry them).

Codes (`code`, `string`, `uri` values) are looked up by code alone, Codings and Quantities by
system and code, CodeableConcepts by any of their codings: the shape of the JSON value tells
which, so a binding on a choice element works for each of its types. Value sets that cannot
be enumerated are not checked here; the generator lists them when it compiles the guide.
"""

from __future__ import annotations

from typing import Any

from painfhir.fhir.outcome import Severity
from painfhir.terminology import ValueSetCodes
from painfhir.validation.profile._run import Run
from painfhir.validation.profile._values import show

_SEVERITY: dict[str, Severity] = {
    "required": "error",
    "extensible": "warning",
    "preferred": "information",
}
_ARTICLE = {"required": "a", "extensible": "an", "preferred": "a"}
_VERB = {"required": "must", "extensible": "should", "preferred": "should preferably"}


def in_value_set(value: Any, value_set: ValueSetCodes) -> bool:
    """A code, Coding or Quantity of the value set (for slice discriminators too)."""
    if type(value) is str:
        return value in value_set.codes
    if type(value) is dict:
        return (value.get("system"), value.get("code")) in value_set.codings
    return False


class BindingCheck:
    __slots__ = ("label", "profile", "strength", "title", "value_set")

    def __init__(
        self, strength: str, value_set: ValueSetCodes, title: str, label: str, profile: str
    ) -> None:
        self.strength = strength
        self.value_set = value_set
        self.title = title
        self.label = label
        self.profile = profile

    def __call__(self, value: Any, expression: str, run: Run) -> None:
        if type(value) is str:
            if value not in self.value_set.codes:
                self._report(f"'{value}'", expression, run)
        elif type(value) is dict:
            if "coding" in value or "text" in value:
                self._check_concept(value, expression, run)
            elif (value.get("system"), value.get("code")) not in self.value_set.codings:
                self._report(_coding(value), expression, run)

    def _check_concept(self, concept: dict[str, Any], expression: str, run: Run) -> None:
        codings = concept.get("coding")
        codings = codings if type(codings) is list else []
        for coding in codings:  # a loop, not any() over a generator: every concept comes here
            if in_value_set(coding, self.value_set):
                return
        if codings:
            self._report(", ".join(_coding(c) for c in codings), expression, run)
        elif self.strength == "required":
            self._report(f"only the text {show(concept.get('text'))}", expression, run)

    def _report(self, found: str, expression: str, run: Run) -> None:
        message = (
            f"{self.profile}: {self.label} {_VERB[self.strength]} be a code from the value set "
            f"'{self.title}' ({self.value_set.url}, {_ARTICLE[self.strength]} {self.strength} "
            f"binding); found {found}"
        )
        run.issue(_SEVERITY[self.strength], "code-invalid", message, expression)


def _coding(coding: Any) -> str:
    if type(coding) is not dict:
        return show(coding)
    system, code = coding.get("system"), coding.get("code")
    return f"{system}|{code}" if system is not None else f"{code} (no system)"
