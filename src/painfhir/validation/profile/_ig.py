"""The compiled implementation guide: painfhir's profiles and the value sets they bind.

`compiled_ig.json` is written by `python -m painfhir.validation.profile.generate`. Its layout
(compact JSON):

    {"fhirVersion": "4.0.1", "canonical": "http://painfhir.org/fhir",
     "profiles": {url: {"url", "name", "title", "type", "kind", "context" (extensions),
                        "elements": [element, ...]}},
     "valueSets": {url: {"title": ..., "codes": {system: [code, ...]}}},
     "notEnumerable": {url: reason}}

`elements` lists, in snapshot order, the elements the profile constrains beyond base R4 and
their ancestors (see `_compact`). An element:

    {"id": "ServiceRequest.identifier:placer", "label": ..., "key": "identifier", "many": true,
     "min": 1, "max": 1,                  # only where the profile changes base R4's, and slices
     "choice": {"valueQuantity": "Quantity", ...},     # a choice element: its JSON members
     "types": [{"code": "Reference", "profile": [url], "targetProfile": [[url, type]]}],
     "fixed": {"type": "Uri", "value": ...}, "pattern": {...},
     "maxLength": 80, "minValue": {"type": "Integer", "value": 0}, "maxValue": {...},
     "binding": {"strength": "required", "valueSet": url},
     "constraints": [{"key", "severity", "human", "expression"}], "fhirType": "Period",
     "mustSupport": true, "sliceName": "placer", "typeSlice": true (value[x]:valueQuantity),
     "slicing": {"rules": "open", "ordered": false,
                 "slices": {name: [{"kind": "pattern", "path": "type", "steps": [["get",
                            "type"]], "pattern": {...}}, ...]}}}

Profiles are compiled into node trees (`_nodes`) at first use, once each.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any, cast

import orjson

from painfhir.fhir.outcome import Issue
from painfhir.terminology import ValueSetCodes
from painfhir.validation.profile._nodes import Lookups, Profile, ValueCheck, build_profile
from painfhir.validation.profile._run import Resolver, Run
from painfhir.validation.profile._walk import ProfileCheck, check_profile
from painfhir.validation.profile.snapshot import canonical

COMPILED = Path(__file__).with_name("compiled_ig.json")
_BLOCKING = ("fatal", "error")


class Guide:
    """A compiled implementation guide, ready to validate resources against its profiles."""

    def __init__(self, table: dict[str, Any]) -> None:
        self.canonical: str = table["canonical"]
        self._compact: dict[str, dict[str, Any]] = table["profiles"]
        self._value_sets: dict[str, dict[str, Any]] = table["valueSets"]
        self._profiles: dict[str, Profile] = {}
        self._codes: dict[str, ValueSetCodes] = {}
        self._lookups = Lookups(self.value_set, self.value_set_title, _profile_check)

    @classmethod
    def load(cls, path: Path = COMPILED) -> Guide:
        return cls(cast(dict[str, Any], orjson.loads(path.read_bytes())))

    def extension_definitions(self) -> dict[str, dict[str, Any]]:
        """The guide's extension definitions (compact, by url)."""
        return {url: p for url, p in self._compact.items() if p.get("type") == "Extension"}

    def is_painfhir(self, url: str) -> bool:
        return canonical(url).startswith(self.canonical + "/")

    def compiled(self, url: str) -> Profile | None:
        """The profile at `url`, compiled at first use; None if the guide does not have it."""
        profile = self._profiles.get(url)
        if profile is None and url in self._compact:
            profile = self._profiles[url] = build_profile(self._compact[url], self._lookups)
        return profile

    def title(self, url: str) -> str:
        compact = self._compact.get(url, {})
        return f"'{compact.get('title') or compact.get('name') or url}'"

    def value_set(self, url: str) -> ValueSetCodes | None:
        codes = self._codes.get(url)
        if codes is None and url in self._value_sets:
            by_system = self._value_sets[url]["codes"]
            codings = frozenset((s, c) for s, codes_ in by_system.items() for c in codes_)
            codes = self._codes[url] = ValueSetCodes(url, codings, frozenset(c for _, c in codings))
        return codes

    def value_set_title(self, url: str) -> str:
        return str(self._value_sets.get(url, {}).get("title", url))

    def validate(
        self,
        resource: dict[str, Any],
        profile_url: str,
        *,
        must_support: bool = False,
        resolve: Resolver | None = None,
    ) -> list[Issue]:
        """The problems of `resource` against the profile at `profile_url`, one issue each."""
        url = canonical(profile_url)
        profile = self.compiled(url)
        kind = resource.get("resourceType")
        if profile is None:
            message = f"The profile {url} is not known to painfhir"
            return [Issue("error", "not-found", message, f"{kind}.meta.profile")]
        if kind != profile.type:
            message = f"Profile '{profile.title}' is for {profile.type} resources, not {kind}"
            return [Issue("error", "structure", message, str(kind))]
        run = Run(self, resource, must_support=must_support, resolve=resolve)
        check_profile(profile, resource, kind, run)
        return run.issues

    def problems(
        self, value: dict[str, Any], url: str, run: Run, expression: str | None = None
    ) -> list[Issue]:
        """The errors of `value` (a resource or datatype) against a profile, on the side."""
        profile = self.compiled(url)
        if profile is None:
            return []
        resource = value if "resourceType" in value else run.resource
        side = Run(self, resource, must_support=False, resolve=run.resolve)
        check_profile(profile, value, expression or profile.type, side)
        return [issue for issue in side.issues if issue.severity in _BLOCKING]

    def conforms(self, value: Any, url: str, run: Run) -> bool:
        return type(value) is dict and not self.problems(value, url, run)


def _profile_check(urls: list[str], label: str, profile: str) -> ValueCheck:
    return ProfileCheck(urls, label, profile)


@cache
def default_guide() -> Guide:
    """painfhir's own guide, as compiled into the package."""
    return Guide.load()
