"""References checked against the targets a profile allows.

A reference's target type is read from the reference itself (`Patient/1`, an absolute URL
ending so, `Reference.type`), or from the resource it resolves to: a contained resource
(`#id`), or one the caller can find (the other entries of a Bundle, with `bundle_resolver`).
When the profile allows only particular profiles of that type, and the target is at hand, the
target must conform to one of them. Logical references (an identifier only) and targets whose
type cannot be told are not checked.
"""

from __future__ import annotations

from typing import Any

from painfhir.validation.profile._run import Resolver, Run
from painfhir.validation.profile.snapshot import CORE


class ReferenceCheck:
    __slots__ = ("allowed", "label", "profile", "profiles")

    def __init__(self, targets: list[list[str]], label: str, profile: str) -> None:
        types = {target_type for _, target_type in targets}
        self.allowed: frozenset[str] | None = None if "Resource" in types else frozenset(types)
        # The profiles a target of a type must conform to, for types allowed only so.
        any_of_type = {kind for url, kind in targets if url == CORE + kind}
        self.profiles: dict[str, list[str]] = {}
        for url, kind in targets:
            if kind not in any_of_type:
                self.profiles.setdefault(kind, []).append(url)
        self.label = label
        self.profile = profile

    def __call__(self, value: Any, expression: str, run: Run) -> None:
        if type(value) is not dict:
            return
        reference = value.get("reference")
        target, kind = run.target(reference) if type(reference) is str else (None, None)
        if kind is None and type(value.get("type")) is str:
            kind = value["type"].removeprefix(CORE)
        if kind is None:
            return
        if self.allowed is not None and kind not in self.allowed:
            shown = reference if type(reference) is str else f"a {kind}"
            message = (
                f"{self.profile}: {self.label} must refer to "
                f"{' or '.join(sorted(self.allowed))}; found a reference to {kind} ({shown})"
            )
            run.issue("error", "structure", message, expression)
        elif target is not None and kind in self.profiles:
            shown = reference if type(reference) is str else f"a {kind}"
            self._check_target(target, kind, shown, expression, run)

    def _check_target(
        self, target: dict[str, Any], kind: str, shown: str, expression: str, run: Run
    ) -> None:
        urls = self.profiles[kind]
        failures = [run.guide.problems(target, url, run) for url in urls]
        if any(not problems for problems in failures):
            return
        names = " or ".join(run.guide.title(url) for url in urls)
        first = failures[0][0].diagnostics if failures[0] else ""
        message = (
            f"{self.profile}: {self.label} must refer to a {kind} conforming to {names}; "
            f"{shown} does not: {first}"
        )
        run.issue("error", "structure", message, expression)


def bundle_resolver(bundle: dict[str, Any]) -> Resolver:
    """Finds the entries of `bundle` by fullUrl and by `Type/id`."""
    found: dict[str, dict[str, Any]] = {}
    for entry in bundle.get("entry", ()):
        resource = entry.get("resource") if type(entry) is dict else None
        if type(resource) is not dict:
            continue
        if type(entry.get("fullUrl")) is str:
            found[entry["fullUrl"]] = resource
        if type(resource.get("resourceType")) is str and type(resource.get("id")) is str:
            found[f"{resource['resourceType']}/{resource['id']}"] = resource
    return found.get
