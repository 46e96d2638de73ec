"""painfhir's own profiles (profiles/, compiled into the package): every example in
profiles/examples conforms to the profiles it claims, and every constraint of the profiles is
tested, the cases generated from the compiled profiles themselves: for each element a profile
requires, the example without it; for each fixed or pattern value, the example with another;
for each required or extensible binding, a code from outside the value set; for each
required slice, the example without its members. Each must give exactly the right issue.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from painfhir.fhir.outcome import Issue
from painfhir.fhir.structure import check_resource
from painfhir.validation.profile import validate_against_profile, validate_claimed_profiles
from painfhir.validation.profile._ig import COMPILED, default_guide
from painfhir.validation.profile._run import Run

EXAMPLES = Path(__file__).resolve().parents[2] / "profiles" / "examples"
TABLE: dict[str, Any] = json.loads(COMPILED.read_text())
CANONICAL = TABLE["canonical"] + "/StructureDefinition/"
PROFILES = {
    url: profile
    for url, profile in TABLE["profiles"].items()
    if url.startswith(CANONICAL) and profile["type"] != "Extension"
}


def _examples() -> dict[str, dict[str, Any]]:
    return {path.name: json.loads(path.read_text()) for path in sorted(EXAMPLES.glob("*.json"))}


def _claimed(resource: dict[str, Any]) -> list[str]:
    return [url for url in resource.get("meta", {}).get("profile", []) if url in PROFILES]


@pytest.mark.parametrize("name", sorted(_examples()))
def test_an_example_conforms_to_every_profile_it_claims(name: str) -> None:
    resource = _examples()[name]
    assert check_resource(resource) == []
    assert _claimed(resource), "an example claims a painfhir profile"
    issues = validate_claimed_profiles(resource)
    assert [i for i in issues if i.severity in ("fatal", "error", "warning")] == []


def test_every_profile_has_an_example() -> None:
    claimed = {url for resource in _examples().values() for url in _claimed(resource)}
    assert set(PROFILES) <= claimed


# --- cases generated from the profiles -------------------------------------------------------


def _cases() -> Iterator[Any]:
    for name, resource in _examples().items():
        for url in _claimed(resource):
            yield from _cases_of(name, resource, url, PROFILES[url])


def _cases_of(name: str, resource: dict[str, Any], url: str, profile: dict[str, Any]) -> Any:
    kind = profile["type"]
    for element in profile["elements"][1:]:
        if element["id"].count(".") != 1 or "sliceName" in element:
            continue  # top-level elements; slices below
        key = element["key"]
        present = [k for k in element.get("choice", {key: None}) if k in resource]
        label = f"{name}:{element['id']}"
        if element.get("min", 0) >= 1 and present:
            where = f"{kind}.{key}[x]" if "choice" in element else f"{kind}.{key}"
            yield pytest.param(
                name, url, ("drop", present), ("error", "required", where), id=f"{label}:required"
            )
        if not present or "choice" in element:
            continue
        where = f"{kind}.{key}[0]" if element["many"] else f"{kind}.{key}"
        if "fixed" in element or "pattern" in element:
            yield pytest.param(
                name, url, ("change", key), ("error", "value", where), id=f"{label}:value"
            )
        binding = element.get("binding", {})
        strength = {"required": "error", "extensible": "warning"}.get(binding.get("strength", ""))
        if strength is not None and binding["valueSet"] in TABLE["valueSets"]:
            yield pytest.param(
                name, url, ("recode", key), (strength, "code-invalid", where), id=f"{label}:binding"
            )
    for element in profile["elements"]:
        if element.get("slicing") and element["id"].count(".") == 1:
            yield from _slice_cases(name, resource, url, profile, element)


def _slice_cases(
    name: str, resource: dict[str, Any], url: str, profile: dict[str, Any], entry: dict[str, Any]
) -> Any:
    for element in profile["elements"]:
        top_slice = element["id"].startswith(entry["id"] + ":") and element["id"].count(".") == 1
        if top_slice and element.get("min", 0) >= 1:
            where = f"{profile['type']}.{entry['key']}"
            yield pytest.param(
                name,
                url,
                ("unslice", (entry["key"], element["sliceName"])),
                ("error", "required", where),
                id=f"{name}:{element['id']}:required",
            )


def _mutated(resource: dict[str, Any], url: str, mutation: tuple[str, Any]) -> dict[str, Any]:
    resource = json.loads(json.dumps(resource))
    how, what = mutation
    if how == "drop":
        for key in what:
            del resource[key]
    elif how == "change":
        resource[what] = _changed(resource[what])
    elif how == "recode":
        resource[what] = _recoded(resource[what])
    else:
        _drop_slice(resource, url, *what)
    return resource


def _changed(value: Any) -> Any:
    if type(value) is list:
        return [_changed(value[0]), *value[1:]]
    if type(value) is dict:
        return {
            k: _changed(v) if k in ("coding", "code", "value", "system") else v
            for k, v in value.items()
        }
    return f"changed-{value}" if type(value) is str else value


def _recoded(value: Any) -> Any:
    if type(value) is list:
        return [_recoded(value[0]), *value[1:]]
    if type(value) is dict and "coding" in value:
        return {**value, "coding": [{**c, "code": "not-in-the-value-set"} for c in value["coding"]]}
    return "not-in-the-value-set"


def _drop_slice(resource: dict[str, Any], url: str, key: str, slice_name: str) -> None:
    profile = default_guide().compiled(url)
    assert profile is not None
    entry = next(n for n in profile.root.every_child if n.key == key and n.slicing)
    assert entry.slicing is not None
    match = next(m for node, m in entry.slicing.slices if node.slice_name == slice_name)
    run = Run(default_guide(), resource, must_support=False, resolve=None)
    # At least one entry is kept, one matching no slice, so the entry's own minimum holds.
    kept = [item for item in resource[key] if not match(item, run)]
    resource[key] = kept or [{"extension": [{"url": "http://example.org/x", "valueString": "x"}]}]


@pytest.mark.parametrize(("name", "url", "mutation", "expected"), list(_cases()))
def test_breaking_one_constraint_of_a_profile_gives_exactly_its_issue(
    name: str, url: str, mutation: tuple[str, Any], expected: tuple[str, str, str | None]
) -> None:
    resource = _mutated(_examples()[name], url, mutation)
    issues: list[Issue] = validate_against_profile(resource, url)
    found: list[tuple[str, str, str | None]] = [(i.severity, i.code, i.expression) for i in issues]
    assert found.count(expected) == 1, [i.diagnostics for i in issues]
    # Besides it, only the profile's own invariants that restate the same rule (an MDT has a
    # pain physician among its participants, ...) may fail.
    others = [
        issue for issue in issues if (issue.severity, issue.code, issue.expression) != expected
    ]
    assert [i for i in others if i.code != "invariant"] == []
