"""Enumerating a value set from its `compose`, with the code systems of a FHIR package.

`Terminology.expand(url)` is the set of (system, code) a value set holds, for checking codes in
data: `compose.include` parts are unions, `compose.exclude` parts are taken away, and within one
part the system's selection (all its concepts, a `concept` list or `filter`s) and any imported
`valueSet`s are intersected, as the R4 ValueSet resource defines. Concepts marked
`notSelectable` (abstract groupings such as item-type `question`) are left out: data may not
carry them.

A value set that cannot be listed raises `NotEnumerableError` with the reason: it or a code system
it takes from is not in the package, a code system is only partly there (`content` other than
`complete`) or matches codes regardless of case, or a filter is one this module does not
evaluate. An explicit `concept` list needs no code system (units-of-time lists its UCUM codes).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

Code = tuple[str, str]
"""(system, code)"""

_NOT_SELECTABLE = "http://hl7.org/fhir/concept-properties#notSelectable"
# Hierarchies are nested `concept`s, plus a `child` property for the extra links of a
# polyhierarchy, as the v3 code systems write them.
_CHILD = "child"


class NotEnumerableError(Exception):
    """A value set whose codes cannot be listed from the package; the message says why."""


def canonical(url: str) -> str:
    """A canonical URL without its `|version`."""
    return url.split("|", 1)[0]


class _CodeSystem:
    """The concepts of one complete code system: codes, hierarchy and properties."""

    def __init__(self, resource: dict[str, Any]) -> None:
        self.url: str = resource["url"]
        self.concepts: dict[str, dict[str, Any]] = {}
        self.children: dict[str, set[str]] = {}
        not_selectable = {"notSelectable"} | {
            p["code"] for p in resource.get("property", ()) if p.get("uri") == _NOT_SELECTABLE
        }
        for parent, concept in _walk(resource.get("concept", ()), None):
            code = concept["code"]
            self.concepts[code] = concept
            if parent is not None:
                self.children.setdefault(parent, set()).add(code)
            for prop in concept.get("property", ()):
                if prop["code"] == _CHILD:
                    self.children.setdefault(code, set()).add(prop["valueCode"])
        self.selectable = frozenset(
            code
            for code, concept in self.concepts.items()
            if not any(
                p["code"] in not_selectable and p.get("valueBoolean") is True
                for p in concept.get("property", ())
            )
        )

    def descendants(self, code: str) -> set[str]:
        """Every code below `code` in the hierarchy, not `code` itself."""
        found: set[str] = set()
        pending = [code]
        while pending:
            for child in self.children.get(pending.pop(), ()):
                if child not in found:
                    found.add(child)
                    pending.append(child)
        return found

    def ancestors(self, code: str) -> set[str]:
        return {other for other in self.concepts if code in self.descendants(other)}

    def known(self, code: str) -> str:
        if code not in self.concepts:
            raise ValueError(f"{code!r} is not a code of {self.url}")
        return code


def _walk(concepts: Any, parent: str | None) -> Iterator[tuple[str | None, dict[str, Any]]]:
    for concept in concepts:
        yield parent, concept
        yield from _walk(concept.get("concept", ()), concept["code"])


@dataclass
class Terminology:
    """The code systems and value sets of a package, by canonical URL."""

    code_systems: Mapping[str, dict[str, Any]]
    value_sets: Mapping[str, dict[str, Any]]
    _code_systems_read: dict[str, _CodeSystem] = field(default_factory=dict, init=False, repr=False)
    _expansions: dict[str, frozenset[Code]] = field(default_factory=dict, init=False, repr=False)
    _expanding: set[str] = field(default_factory=set, init=False, repr=False)

    def expand(self, url: str) -> frozenset[Code]:
        """The (system, code) pairs valid in data for the value set at `url`."""
        url = canonical(url)
        if url in self._expansions:
            return self._expansions[url]
        if url in self._expanding:
            raise ValueError(f"value set {url} includes itself")
        value_set = self.value_sets.get(url)
        if value_set is None:
            raise NotEnumerableError(f"the value set {url} is not in the package")
        self._expanding.add(url)
        try:
            codes = self._compose(value_set.get("compose"), url)
        finally:
            self._expanding.discard(url)
        self._expansions[url] = codes
        return codes

    def _compose(self, compose: dict[str, Any] | None, url: str) -> frozenset[Code]:
        if compose is None:
            raise NotEnumerableError(f"the value set {url} has no compose to expand")
        if compose.get("inactive") is False:
            # No value set of the package asks this; telling inactive concepts apart would be
            # needed first.
            raise ValueError(f"{url}: compose.inactive = false is not supported")
        included: set[Code] = set()
        for part in compose["include"]:
            included |= self._part(part)
        for part in compose.get("exclude", ()):
            included -= self._part(part)
        return frozenset(included)

    def _part(self, part: dict[str, Any]) -> set[Code]:
        """One include or exclude: its system selection and imported value sets, intersected."""
        selections: list[set[Code]] = []
        if "system" in part:
            system = part["system"]
            selections.append({(system, code) for code in self._system_codes(system, part)})
        selections.extend(set(self.expand(url)) for url in part.get("valueSet", ()))
        if not selections:
            raise ValueError(f"a compose part with neither system nor valueSet: {part}")
        return set.intersection(*selections)

    def _system_codes(self, system: str, part: dict[str, Any]) -> set[str]:
        if "concept" in part:
            if "filter" in part:
                raise ValueError(f"a compose part for {system} with both concept and filter")
            listed = {concept["code"] for concept in part["concept"]}
            if system not in self.code_systems:
                return listed  # the list is the value set, whether or not we know the system
            code_system = self._code_system(system)
            return {code_system.known(code) for code in listed} & code_system.selectable
        code_system = self._code_system(system)
        codes = set(code_system.selectable)
        for rule in part.get("filter", ()):
            codes &= _filtered(code_system, rule)
        return codes

    def _code_system(self, system: str) -> _CodeSystem:
        if system not in self._code_systems_read:
            resource = self.code_systems.get(system)
            if resource is None:
                raise NotEnumerableError(f"the code system {system} is not in the package")
            content = resource.get("content")
            if content != "complete":
                raise NotEnumerableError(
                    f"the code system {system} is not complete here ({content})"
                )
            if resource.get("caseSensitive") is False:
                raise NotEnumerableError(f"the code system {system} ignores case")
            self._code_systems_read[system] = _CodeSystem(resource)
        return self._code_systems_read[system]


def _filtered(code_system: _CodeSystem, rule: dict[str, Any]) -> set[str]:
    """The codes of a code system that pass one compose filter."""
    prop, op, value = rule["property"], rule["op"], rule["value"]
    if prop == "concept" and op == "is-a":
        return {code_system.known(value)} | code_system.descendants(value)
    if prop == "concept" and op == "descendent-of":
        return code_system.descendants(code_system.known(value))
    if prop == "concept" and op == "is-not-a":
        return (
            set(code_system.concepts) - {code_system.known(value)} - code_system.descendants(value)
        )
    if prop == "concept" and op == "generalizes":
        return {code_system.known(value)} | code_system.ancestors(value)
    if prop == "code" and op == "regex":
        return {code for code in code_system.concepts if re.fullmatch(value, code)}
    if op == "=":
        return {
            code
            for code, concept in code_system.concepts.items()
            if any(_property_is(p, prop, value) for p in concept.get("property", ()))
        }
    raise NotEnumerableError(
        f"the filter {prop} {op} {value} on {code_system.url} is not evaluated here"
    )


def _property_is(prop: dict[str, Any], code: str, value: str) -> bool:
    if prop["code"] != code:
        return False
    for key, held in prop.items():
        if key.startswith("value"):
            shown = str(held).lower() if isinstance(held, bool) else str(held)
            return shown == value
    return False
