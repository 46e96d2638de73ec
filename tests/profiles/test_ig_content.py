"""The implementation guide in profiles/ holds together: valid R4, one naming convention, every
canonical resolving, differentials that fit their base, codes that exist, an example per profile,
and docs pages that are what the generator makes.

These are checks of the guide's content, not of conformance to it: whether the examples meet
their profiles is the profile validator's test.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from painfhir.fhir.definitions import ANY_RESOURCE, PRIMITIVES, TYPES
from painfhir.fhir.structure import check_resource
from painfhir.validation import profile_docs
from tests.profiles.fhir_json import formatted

Resource = dict[str, Any]

PROJECT = Path(__file__).resolve().parents[2]
PROFILES = PROJECT / "profiles"
EXAMPLES = PROFILES / "examples"
DOCS = PROJECT / "docs" / "profiles"

BASE = "http://painfhir.org/fhir/"
VERSION = "0.1.0"
R4_DEFINITION = "http://hl7.org/fhir/StructureDefinition/"
CONFORMANCE_TYPES = {
    "StructureDefinition",
    "ValueSet",
    "CodeSystem",
    "ConceptMap",
    "ImplementationGuide",
}

# Canonicals outside the guide that it may name. Base R4 definitions of types
# (`http://hl7.org/fhir/StructureDefinition/<Type>`) are allowed besides these.
R4_EXTENSIONS = {
    "http://hl7.org/fhir/StructureDefinition/condition-assertedDate",
    "http://hl7.org/fhir/StructureDefinition/valueset-concept-comments",
}
EXTERNAL_CODE_SYSTEMS = {
    "http://snomed.info/sct",
    "http://loinc.org",
    "http://hl7.org/fhir/sid/icd-10-cm",
    "http://www.ama-assn.org/go/cpt",
    "http://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets",
    "http://nucc.org/provider-taxonomy",
    "http://www.nlm.nih.gov/research/umls/rxnorm",
    "http://unitsofmeasure.org",
    "http://hl7.org/fhir/us/bser/CodeSystem/TaskBusinessStatusCS",
    "http://hl7.org/fhir/us/core/CodeSystem/condition-category",
    "http://hl7.org/fhir/us/core/CodeSystem/careplan-category",
    "http://hl7.org/fhir/CodeSystem/task-code",
    "http://hl7.org/fhir/narrative-status",
    "http://terminology.hl7.org/CodeSystem/v2-0203",
    "http://terminology.hl7.org/CodeSystem/condition-category",
    "http://terminology.hl7.org/CodeSystem/condition-clinical",
    "http://terminology.hl7.org/CodeSystem/condition-ver-status",
    "http://terminology.hl7.org/CodeSystem/observation-category",
    "http://terminology.hl7.org/CodeSystem/medicationrequest-category",
    "http://terminology.hl7.org/CodeSystem/v3-orderableDrugForm",
}
EXTERNAL = R4_EXTENSIONS | EXTERNAL_CODE_SYSTEMS

ID = re.compile(r"[a-z][a-z0-9]*(-[a-z0-9]+)*")
CONSTRAINT_KEY = re.compile(r"[a-z]{3}-\d+")
CANONICAL_IN_EXPRESSION = re.compile(r"(?:extension|memberOf)\('([^']+)'\)")


# --- loading ---------------------------------------------------------------------------------


def _relative(path: Path) -> str:
    return path.relative_to(PROFILES).as_posix()


GUIDE_FILES = sorted(PROFILES.glob("*.json"))
EXAMPLE_FILES = sorted(EXAMPLES.glob("*.json"))
ALL_FILES = GUIDE_FILES + EXAMPLE_FILES


@cache
def _load(path: Path) -> Resource:
    resource: Resource = json.loads(path.read_text(encoding="utf-8"))
    return resource


def _guide() -> list[Resource]:
    return [_load(path) for path in GUIDE_FILES]


def _examples() -> list[Resource]:
    return [_load(path) for path in EXAMPLE_FILES]


def _by_url() -> dict[str, Resource]:
    return {r["url"]: r for r in _guide()}


def _of_type(resource_type: str) -> list[Resource]:
    return [r for r in _guide() if r["resourceType"] == resource_type]


def _structure_definitions() -> list[Resource]:
    return _of_type("StructureDefinition")


def _profiles() -> list[Resource]:
    return [sd for sd in _structure_definitions() if sd["type"] != "Extension"]


def _pascal(id_: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in id_.split("-"))


def _walk(value: Any) -> Iterator[Resource]:
    """Every JSON object inside a value, the value itself included."""
    if isinstance(value, dict):
        yield value
        for item in value.values():
            yield from _walk(item)
    elif isinstance(value, list):
        for item in value:
            yield from _walk(item)


def test_the_guide_is_there() -> None:
    kinds = {r["resourceType"] for r in _guide()}
    assert kinds == CONFORMANCE_TYPES
    assert len(_of_type("ImplementationGuide")) == 1
    assert EXAMPLE_FILES


# --- every file ------------------------------------------------------------------------------

files = pytest.mark.parametrize("path", ALL_FILES, ids=_relative)


@files
def test_every_file_is_structurally_valid_r4(path: Path) -> None:
    assert check_resource(_load(path)) == []


@files
def test_every_file_is_formatted_in_fhir_element_order(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert text == formatted(json.loads(text)), (
        f"run: python -m tests.profiles.fhir_json profiles/{_relative(path)}"
    )


# --- naming ----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", GUIDE_FILES, ids=_relative)
def test_conformance_resources_follow_one_naming_convention(path: Path) -> None:
    resource = _load(path)
    kind, id_ = resource["resourceType"], resource["id"]
    assert path.name == f"{kind}-{id_}.json"
    assert ID.fullmatch(id_), "ids are lower-case words joined by hyphens"
    assert resource["url"] == f"{BASE}{kind}/{id_}"
    assert resource["name"] == _pascal(id_)
    assert resource["title"].strip()
    assert resource["description"].strip()
    assert (resource["version"], resource["status"], resource["publisher"]) == (
        VERSION,
        "draft",
        "painfhir",
    )


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=_relative)
def test_examples_are_named_by_type_and_id_and_claim_a_profile(path: Path) -> None:
    example = _load(path)
    assert path.name == f"{example['resourceType']}-{example['id']}.json"
    assert ID.fullmatch(example["id"])
    profiles = {sd["url"]: sd for sd in _profiles()}
    claimed = example["meta"]["profile"]
    assert len(claimed) == 1
    assert claimed[0] in profiles, "an example claims one of the guide's profiles"
    assert profiles[claimed[0]]["type"] == example["resourceType"]


def test_structure_definitions_are_differentials_on_r4() -> None:
    for sd in _structure_definitions():
        assert sd["fhirVersion"] == "4.0.1", sd["id"]
        assert sd["derivation"] == "constraint", sd["id"]
        assert "snapshot" not in sd, f"{sd['id']}: the project generates snapshots"
        assert sd["differential"]["element"], sd["id"]
        assert sd["baseDefinition"] == R4_DEFINITION + sd["type"], sd["id"]
        assert sd.get("purpose"), f"{sd['id']}: the docs show what it is for"
    for sd in _profiles():
        assert "US Core" in sd["description"], f"{sd['id']}: say which US Core profile"
    ig = _of_type("ImplementationGuide")[0]
    assert ig["fhirVersion"] == ["4.0.1"]


# --- canonical references --------------------------------------------------------------------


def _canonicals(resource: Resource) -> Iterator[tuple[str, str]]:
    """(where, canonical) for every canonical the resource names."""
    kind = resource["resourceType"]
    if kind == "StructureDefinition":
        yield "baseDefinition", resource["baseDefinition"]
        for element in resource["differential"]["element"]:
            at = element["id"]
            for type_ in element.get("type", []):
                for url in type_.get("profile", []) + type_.get("targetProfile", []):
                    yield f"{at} type", url
            if "valueSet" in element.get("binding", {}):
                yield f"{at} binding", element["binding"]["valueSet"]
            for constraint in element.get("constraint", []):
                yield f"{at} {constraint['key']} source", constraint["source"]
                for url in CANONICAL_IN_EXPRESSION.findall(constraint.get("expression", "")):
                    yield f"{at} {constraint['key']}", url
            for discriminator in element.get("slicing", {}).get("discriminator", []):
                for url in CANONICAL_IN_EXPRESSION.findall(discriminator["path"]):
                    yield f"{at} discriminator", url
    elif kind == "ValueSet":
        for include in resource["compose"]["include"]:
            if "system" in include:
                yield "compose.include.system", include["system"]
            for url in include.get("valueSet", []):
                yield "compose.include.valueSet", url
    elif kind == "CodeSystem":
        yield "valueSet", resource["valueSet"]
    elif kind == "ConceptMap":
        yield "sourceCanonical", resource["sourceCanonical"]
        yield "targetCanonical", resource["targetCanonical"]
        for group in resource["group"]:
            yield "group.source", group["source"]
            yield "group.target", group["target"]
            for element in group["element"]:
                for target in element["target"]:
                    for depends in target.get("dependsOn", []):
                        yield "dependsOn.system", depends["system"]
                        yield "dependsOn.property", depends["property"].split("#")[0]
    elif kind == "ImplementationGuide":
        for entry in resource["definition"]["resource"]:
            if "exampleCanonical" in entry:
                yield "exampleCanonical", entry["exampleCanonical"]
    for url in resource.get("meta", {}).get("profile", []):
        yield "meta.profile", url
    for node in _walk(resource):
        extensions = node.get("extension", []) if isinstance(node.get("extension"), list) else []
        for extension in extensions:
            yield "extension", extension["url"]
        if isinstance(node.get("system"), str) and "code" in node:
            yield "coding or quantity system", node["system"]


def _resolves(url: str, ours: dict[str, Resource]) -> bool:
    url = url.partition("|")[0]
    if url.startswith(BASE):
        return url in ours
    if url.startswith(R4_DEFINITION) and url[len(R4_DEFINITION) :] in TYPES:
        return True
    return url in EXTERNAL


@files
def test_every_canonical_resolves_in_the_guide_or_is_a_listed_external_one(path: Path) -> None:
    ours = _by_url()
    unresolved = [
        f"{where}: {url}" for where, url in _canonicals(_load(path)) if not _resolves(url, ours)
    ]
    assert unresolved == []


def test_targets_and_bindings_name_the_right_kind_of_resource() -> None:
    ours = _by_url()
    for sd in _structure_definitions():
        for element in sd["differential"]["element"]:
            for type_ in element.get("type", []):
                for url in type_.get("targetProfile", []):
                    if url in ours:
                        assert ours[url]["resourceType"] == "StructureDefinition", url
                for url in type_.get("profile", []):
                    if url in ours:
                        assert ours[url]["type"] == type_["code"], url
            url = element.get("binding", {}).get("valueSet")
            if url in ours:
                assert ours[url]["resourceType"] == "ValueSet", url


def test_the_implementation_guide_lists_every_resource_and_example() -> None:
    ig = _of_type("ImplementationGuide")[0]
    listed = [entry["reference"]["reference"] for entry in ig["definition"]["resource"]]
    expected = [
        f"{r['resourceType']}/{r['id']}"
        for r in _guide() + _examples()
        if r["resourceType"] != "ImplementationGuide"
    ]
    assert sorted(listed) == sorted(expected)
    assert len(set(listed)) == len(listed)
    groups = {group["id"] for group in ig["definition"]["grouping"]}
    examples = {f"{e['resourceType']}/{e['id']}": e for e in _examples()}
    for entry in ig["definition"]["resource"]:
        assert entry["groupingId"] in groups
        example = examples.get(entry["reference"]["reference"])
        if example is not None:
            assert entry["exampleCanonical"] == example["meta"]["profile"][0]
        else:
            assert "exampleCanonical" not in entry


# --- differentials ---------------------------------------------------------------------------


def _base_types(path: str) -> tuple[str, ...] | None:
    """The types base R4 allows at a definition path, or None if there is no such element."""
    parts = path.split(".")
    if parts[0] not in TYPES:
        return None
    allowed: tuple[str, ...] = (parts[0],)
    for name in parts[1:]:
        rows = [row for type_ in allowed for row in _children(type_)]
        if name.endswith("[x]"):
            found = [row for row in rows if row.choice == name[:-3]]
        else:
            found = [row for row in rows if row.name == name and row.choice is None]
        if not found:
            return None
        allowed = tuple(dict.fromkeys(row.type for row in found))
    return allowed


def _children(type_name: str) -> tuple[Any, ...]:
    if type_name in PRIMITIVES:
        return TYPES["Element"]  # a primitive's id and extensions
    return TYPES.get(type_name, ())


def _type_code(model_type: str) -> str:
    """How ElementDefinition.type.code names a type of the structure model."""
    if model_type == ANY_RESOURCE:
        return "Resource"
    return "BackboneElement" if "." in model_type else model_type


definitions = pytest.mark.parametrize(
    "sd", [pytest.param(sd, id=sd["id"]) for sd in _structure_definitions()]
)


@definitions
def test_differential_paths_exist_in_the_base_and_types_are_allowed(sd: Resource) -> None:
    elements = sd["differential"]["element"]
    assert elements[0]["path"] == sd["type"]
    for element in elements:
        id_, path = element["id"], element["path"]
        assert re.sub(r":[^.]+", "", id_) == path, f"{id_}: the id is the path with slice names"
        last = id_.rsplit(".", 1)[-1]
        if ":" in last:
            assert element.get("sliceName") == last.split(":", 1)[1], id_
        allowed = _base_types(path)
        assert allowed is not None, f"{id_}: no such element in base R4"
        codes = {_type_code(t) for t in allowed}
        for type_ in element.get("type", []):
            assert type_["code"] in codes, f"{id_}: {type_['code']} is not one of {sorted(codes)}"


def _order_key(id_: str, slice_ranks: dict[str, int]) -> tuple[tuple[int, int], ...]:
    """Where an element sits in a snapshot: per step, the base element's position, then 0 for
    the element itself or the rank of its slice (slices follow the unsliced element)."""
    steps = id_.split(".")
    key: list[tuple[int, int]] = []
    types: tuple[str, ...] = (steps[0],)
    prefix = steps[0]
    for step in steps[1:]:
        name, _, slice_name = step.partition(":")
        rows = [row for type_ in types for row in _children(type_)]
        position = next(
            index
            for index, row in enumerate(rows)
            if (row.choice == name[:-3] if name.endswith("[x]") else row.name == name)
        )
        rank = 0
        if slice_name:
            rank = slice_ranks.setdefault(f"{prefix}.{step}", len(slice_ranks) + 1)
        key.append((position, rank))
        types = tuple(
            row.type
            for row in rows
            if (row.choice == name[:-3] if name.endswith("[x]") else row.name == name)
        )
        prefix = f"{prefix}.{step}"
    return tuple(key)


@definitions
def test_differentials_are_in_base_order_and_slices_follow_their_slicing(sd: Resource) -> None:
    elements = sd["differential"]["element"]
    ids = [element["id"] for element in elements]
    assert len(set(ids)) == len(ids)
    ranks: dict[str, int] = {}
    keys = [_order_key(id_, ranks) for id_ in ids]
    for before, after, key_before, key_after in zip(ids, ids[1:], keys, keys[1:], strict=False):
        assert key_before < key_after, f"{after} must come before {before}"
    for element in elements:
        id_ = element["id"]
        if "sliceName" in element and not element["path"].endswith("xtension"):
            sliced = id_.rsplit(":", 1)[0]
            base = next((e for e in elements if e["id"] == sliced), None)
            assert base is not None and "slicing" in base, f"{id_}: no slicing declared"
        if "slicing" in element:
            assert element["slicing"]["discriminator"], id_


def test_constraint_keys_are_unique_and_carry_fhirpath() -> None:
    keys: list[str] = []
    for sd in _structure_definitions():
        for element in sd["differential"]["element"]:
            for constraint in element.get("constraint", []):
                assert CONSTRAINT_KEY.fullmatch(constraint["key"]), constraint["key"]
                assert constraint["severity"] in {"error", "warning"}
                assert constraint["human"].strip() and constraint["expression"].strip()
                assert constraint["source"] == sd["url"]
                keys.append(constraint["key"])
    assert len(set(keys)) == len(keys)


def test_constraints_are_fhirpath_that_holds_on_the_examples() -> None:
    """Each constraint compiles in painfhir's FHIRPath engine and holds on its profile's example
    (a constraint on an element is checked on each occurrence of it)."""
    fhirpath = pytest.importorskip("painfhir.fhirpath")
    examples = {e["meta"]["profile"][0]: e for e in _examples()}
    for sd in _profiles():
        example = examples[sd["url"]]
        for element in sd["differential"]["element"]:
            steps = element["path"].replace("[x]", "").split(".")[1:]
            for constraint in element.get("constraint", []):
                expression = constraint["expression"]
                if steps:  # on an element: every occurrence of it must meet it
                    expression = f"{'.'.join(steps)}.all({expression})"
                compiled = fhirpath.compile_fhirpath(expression)
                assert compiled.holds(example, resource=example), (
                    f"{constraint['key']} fails on {example['id']}"
                )


# --- codes -----------------------------------------------------------------------------------


def _our_codes() -> dict[str, set[str]]:
    return {cs["url"]: {c["code"] for c in cs["concept"]} for cs in _of_type("CodeSystem")}


@files
def test_codes_of_painfhir_code_systems_are_defined(path: Path) -> None:
    codes = _our_codes()
    undefined = [
        f"{node['system']}#{node['code']}"
        for node in _walk(_load(path))
        if node.get("system") in codes
        and "code" in node
        and node["code"] not in codes[node["system"]]
    ]
    for node in _walk(_load(path)):  # value set includes name codes without "system" beside them
        if node.get("system") in codes:
            for concept in node.get("concept", []):
                if concept["code"] not in codes[node["system"]]:
                    undefined.append(f"{node['system']}#{concept['code']}")
    assert undefined == []


def test_code_systems_are_complete_and_their_value_sets_hold_every_code() -> None:
    ours = _by_url()
    for cs in _of_type("CodeSystem"):
        assert cs["content"] == "complete" and cs["count"] == len(cs["concept"])
        assert len({c["code"] for c in cs["concept"]}) == len(cs["concept"])
        assert all(c.get("display") and c.get("definition") for c in cs["concept"]), cs["id"]
        assert ours[cs["valueSet"]]["compose"]["include"] == [{"system": cs["url"]}]


def _enumerated(value_set_url: str) -> set[tuple[str, str]]:
    """(system, code) of every code a value set of the guide holds, following its includes."""
    ours = _by_url()
    codes: set[tuple[str, str]] = set()
    for include in ours[value_set_url]["compose"]["include"]:
        for url in include.get("valueSet", []):
            if url in ours:
                codes |= _enumerated(url)
        system = include.get("system")
        if system in _our_codes() and "concept" not in include:
            codes |= {(system, code) for code in _our_codes()[system]}
        codes |= {(system, c["code"]) for c in include.get("concept", [])}
    return codes


def test_value_sets_on_external_systems_enumerate_their_codes() -> None:
    ours = _by_url()
    for vs in _of_type("ValueSet"):
        for include in vs["compose"]["include"]:
            if "system" in include and include["system"] not in ours:
                assert include.get("concept"), f"{vs['id']}: list the codes of {include['system']}"
                assert "filter" not in include, vs["id"]
            for url in include.get("valueSet", []):
                assert url in ours, f"{vs['id']}: {url} is not one of the guide's value sets"
        assert _enumerated(vs["url"]), vs["id"]


def test_concept_maps_map_codes_of_their_value_sets() -> None:
    for cm in _of_type("ConceptMap"):
        sources = _enumerated(cm["sourceCanonical"])
        targets = _enumerated(cm["targetCanonical"])
        for group in cm["group"]:
            for element in group["element"]:
                assert (group["source"], element["code"]) in sources, element["code"]
                for target in element["target"]:
                    if target["equivalence"] == "unmatched":
                        assert "code" not in target and target.get("comment")
                    else:
                        assert (group["target"], target["code"]) in targets, target["code"]


def test_required_bindings_of_the_profiles_cover_the_codes_of_the_examples() -> None:
    """A light check that the examples use the closed code lists: each coding of an example
    under a required binding of its profile is in the bound value set."""
    profiles = {sd["url"]: sd for sd in _profiles()}
    for example in _examples():
        sd = profiles[example["meta"]["profile"][0]]
        for element in sd["differential"]["element"]:
            binding = element.get("binding", {})
            if binding.get("strength") != "required" or "." not in element["path"]:
                continue
            name = element["path"].split(".")[1].replace("[x]", "")
            if ":" in element["id"] or element["path"].count(".") > 1:
                continue
            allowed = _enumerated(binding["valueSet"])
            for key, value in example.items():
                if key == name or (key.startswith(name) and element["path"].endswith("[x]")):
                    for concept in value if isinstance(value, list) else [value]:
                        codings = {(c["system"], c["code"]) for c in concept["coding"]}
                        assert codings & allowed, f"{example['id']}: {key}"


# --- examples --------------------------------------------------------------------------------


def test_every_profile_has_exactly_one_example_and_extensions_are_used() -> None:
    claimed = [e["meta"]["profile"][0] for e in _examples()]
    for sd in _profiles():
        assert claimed.count(sd["url"]) == 1, sd["id"]
    used = {url for e in _examples() for where, url in _canonicals(e) if where == "extension"}
    for sd in _structure_definitions():
        if sd["type"] == "Extension":
            assert sd["url"] in used, f"no example shows {sd['id']}"


# --- docs ------------------------------------------------------------------------------------


def test_the_docs_pages_are_what_the_generator_makes() -> None:
    pages = profile_docs.render_pages(profile_docs.load_guide(PROFILES))
    assert profile_docs.stale_pages(pages, DOCS) == [], (
        "run: python -m painfhir.validation.profile_docs"
    )


def test_every_structure_definition_has_a_page_and_the_index_links_it() -> None:
    index = (DOCS / "index.md").read_text(encoding="utf-8")
    for sd in _structure_definitions():
        assert (DOCS / f"{sd['id']}.md").is_file()
        assert f"]({sd['id']}.md)" in index
