"""What the profile generator reads: the official R4 package and painfhir's profiles/ folder."""

from __future__ import annotations

import json
import tarfile
from dataclasses import dataclass, field
from graphlib import CycleError, TopologicalSorter
from pathlib import Path
from typing import Any

from painfhir.validation.profile.snapshot import Definition, SnapshotError, canonical

PAINFHIR_CANONICAL = "http://painfhir.org/fhir"
"""The canonical base of painfhir's conformance resources."""


def package_definitions(tarball: Path) -> dict[str, Definition]:
    """Every StructureDefinition of the package (with its published snapshot), by URL."""
    found: dict[str, Definition] = {}
    with tarfile.open(tarball, "r:gz") as archive:
        for member in archive:
            name = member.name
            if not (name.startswith("package/StructureDefinition-") and name.endswith(".json")):
                continue
            file = archive.extractfile(member)
            if file is not None:
                definition = json.load(file)
                found[definition["url"]] = definition
    return found


@dataclass
class IgSources:
    """The conformance resources of an implementation guide folder (profiles/)."""

    structure_definitions: list[Definition] = field(default_factory=list)
    value_sets: dict[str, dict[str, Any]] = field(default_factory=dict)
    code_systems: dict[str, dict[str, Any]] = field(default_factory=dict)


def read_ig(folder: Path) -> IgSources:
    """The StructureDefinitions, ValueSets and CodeSystems at the top of `folder`, sorted by URL.

    Sub-folders (examples/) hold instances, not definitions, and are not read. A missing folder
    is an empty guide, so the generator runs before any profile is written.
    """
    sources = IgSources()
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else ():
        resource = json.loads(path.read_text(encoding="utf-8"))
        kind = resource.get("resourceType")
        if kind == "StructureDefinition":
            sources.structure_definitions.append(resource)
        elif kind == "ValueSet":
            _add(sources.value_sets, resource, path)
        elif kind == "CodeSystem":
            _add(sources.code_systems, resource, path)
    sources.structure_definitions.sort(key=lambda d: d["url"])
    return sources


def _add(into: dict[str, dict[str, Any]], resource: dict[str, Any], path: Path) -> None:
    url = resource["url"]
    if url in into:
        raise ValueError(f"{path.name}: a second {resource['resourceType']} with the url {url}")
    into[url] = resource


def dependency_order(definitions: list[Definition]) -> list[Definition]:
    """`definitions` ordered so that each comes after the ones it is built on: its base, and the
    profiles its differential puts on types (extension definitions, above all)."""
    by_url = {d["url"]: d for d in definitions}
    graph: dict[str, set[str]] = {}
    for definition in definitions:
        needs = {canonical(definition.get("baseDefinition", ""))}
        for element in definition.get("differential", {}).get("element", ()):
            for type_ in element.get("type", ()):
                needs.update(canonical(url) for url in type_.get("profile", ()))
        graph[definition["url"]] = {url for url in needs if url in by_url}
    try:
        return [by_url[url] for url in TopologicalSorter(graph).static_order()]
    except CycleError as exc:
        raise SnapshotError(f"profiles build on each other in a cycle: {exc.args[1]}") from exc
