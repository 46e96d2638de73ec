"""Generate `compiled_ig.json`: painfhir's profiles, compiled for the validator.

    python -m painfhir.validation.profile.generate [--profiles DIR] [--output FILE]
                                                   [--cache-dir DIR] [--emit DIR]

Reads every StructureDefinition in profiles/ (their differentials), generates each one's
snapshot against its base (an official R4 definition from the CC0 package
`hl7.fhir.r4.examples@4.0.1`, or another painfhir profile: bases first), reduces each snapshot
to what the validator checks (`_compact`), and writes that, with the expansions of every value
set the profiles bind (painfhir's from profiles/, official ones from the package), into the
package; beside it, `r4_extensions.json`: every official R4 extension definition of the
package, compiled alike, for base validation to check extensions wherever they occur (only
when writing the package's own compiled_ig.json). Official profiles the painfhir ones point
at (extension definitions, profiles on types and targets) are compiled too, from their
published snapshots. `--emit DIR` also writes
each painfhir StructureDefinition with its generated snapshot, for publication.

The runtime reads only the written file: neither the npm package nor profiles/ is needed by
an installed painfhir.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import platformdirs

from painfhir.fhir.definitions.generate import VERSION, cached_tarball
from painfhir.terminology.expansion import NotEnumerableError, Terminology
from painfhir.terminology.generate import package_terminology
from painfhir.validation.profile._compact import compact_profile
from painfhir.validation.profile._sources import (
    PAINFHIR_CANONICAL,
    IgSources,
    dependency_order,
    package_definitions,
    read_ig,
)
from painfhir.validation.profile.snapshot import Definition, SnapshotError, generate_snapshot

OUTPUT = Path(__file__).with_name("compiled_ig.json")
EXTENSIONS_OUTPUT = Path(__file__).with_name("r4_extensions.json")
PROFILES = Path(__file__).resolve().parents[4] / "profiles"


@dataclass
class CompiledIg:
    table: dict[str, Any]  # what compiled_ig.json holds
    snapshots: dict[str, Definition]  # painfhir's StructureDefinitions with their snapshots


def build(
    sources: IgSources, package: dict[str, Definition], terminology: Terminology
) -> CompiledIg:
    snapshots = _snapshots(sources, package)

    def definitions(url: str) -> Definition | None:
        return snapshots.get(url) or package.get(url)

    profiles: dict[str, Any] = {}
    value_sets: set[str] = set()
    pending = list(snapshots)
    while pending:
        url = pending.pop()
        if url in profiles:
            continue
        definition = definitions(url)
        if definition is None:
            raise SnapshotError(f"{url} is referenced but not known")
        compact = compact_profile(definition, definitions)
        profiles[url] = compact.profile
        value_sets |= compact.value_sets
        pending.extend(sorted(compact.references - profiles.keys()))
    expansions, not_enumerable = _expansions(value_sets, terminology)
    table = {
        "fhirVersion": VERSION,
        "canonical": PAINFHIR_CANONICAL,
        "profiles": dict(sorted(profiles.items())),
        "valueSets": expansions,
        "notEnumerable": not_enumerable,
    }
    return CompiledIg(table, snapshots)


def build_extensions(package: dict[str, Definition], terminology: Terminology) -> dict[str, Any]:
    """The official R4 extension definitions of the package, compiled as a guide of their own
    (`r4_extensions.json`): base validation checks every extension with one of their urls."""
    profiles: dict[str, Any] = {}
    value_sets: set[str] = set()
    for url, definition in sorted(package.items()):
        if definition.get("type") != "Extension" or definition.get("derivation") != "constraint":
            continue
        compact = compact_profile(definition, package.get)
        profiles[url] = compact.profile
        value_sets |= compact.value_sets
    expansions, not_enumerable = _expansions(value_sets, terminology)
    return {
        "fhirVersion": VERSION,
        "canonical": "http://hl7.org/fhir",
        "profiles": profiles,
        "valueSets": expansions,
        "notEnumerable": not_enumerable,
    }


def _snapshots(sources: IgSources, package: dict[str, Definition]) -> dict[str, Definition]:
    raw = {d["url"]: d for d in sources.structure_definitions}
    snapshots: dict[str, Definition] = {}

    def definitions(url: str) -> Definition | None:
        return snapshots.get(url) or raw.get(url) or package.get(url)

    for definition in dependency_order(sources.structure_definitions):
        url = definition["url"]
        if definition.get("derivation") != "constraint":
            raise SnapshotError(f"{url}: only profiles (derivation constraint) are supported")
        if url in package:
            raise SnapshotError(f"{url}: an official R4 definition has that url")
        elements = generate_snapshot(definition, definitions)
        snapshots[url] = {**definition, "snapshot": {"element": elements}}
    return snapshots


def _expansions(urls: set[str], terminology: Terminology) -> tuple[dict[str, Any], dict[str, str]]:
    expansions: dict[str, Any] = {}
    not_enumerable: dict[str, str] = {}
    for url in sorted(urls):
        try:
            codes = terminology.expand(url)
        except NotEnumerableError as reason:
            not_enumerable[url] = str(reason)
            continue
        by_system: dict[str, list[str]] = {}
        for system, code in sorted(codes):
            by_system.setdefault(system, []).append(code)
        value_set = terminology.value_sets[url]
        title = value_set.get("title") or value_set.get("name") or url
        expansions[url] = {"title": title, "codes": by_system}
    return expansions, not_enumerable


def build_from(profiles: Path, tarball: Path) -> CompiledIg:
    """The compiled guide for the profiles folder `profiles`, against the package `tarball`."""
    sources = read_ig(profiles)
    return build(sources, package_definitions(tarball), _terminology(sources, tarball))


def build_extensions_from(tarball: Path) -> dict[str, Any]:
    """`r4_extensions.json`: the official extension definitions of the package `tarball`."""
    return build_extensions(package_definitions(tarball), _terminology(IgSources(), tarball))


def _terminology(sources: IgSources, tarball: Path) -> Terminology:
    package_terms = package_terminology(tarball)
    # Code systems the package only names (SNOMED CT is there with content "not-present") are
    # left out, so that a value set listing some of their codes is taken at its word, as one
    # listing codes of an unknown system is; including all of such a system stays unlistable.
    code_systems = {
        url: system
        for url, system in {**package_terms.code_systems, **sources.code_systems}.items()
        if system.get("content") == "complete"
    }
    return Terminology(code_systems, {**package_terms.value_sets, **sources.value_sets})


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profiles", type=Path, default=PROFILES, help="the profiles folder")
    parser.add_argument(
        "--output", type=Path, default=OUTPUT, help="the file to write (default: the package's)"
    )
    parser.add_argument(
        "--cache-dir",
        type=Path,
        default=Path(platformdirs.user_cache_dir("painfhir")),
        help="where the npm package tarball is kept (default: the user cache dir)",
    )
    parser.add_argument("--emit", type=Path, help="also write the profiles with snapshots here")
    args = parser.parse_args(argv)
    compiled = build_from(args.profiles, cached_tarball(args.cache_dir))
    text = json.dumps(compiled.table, separators=(",", ":"), ensure_ascii=False)
    args.output.write_text(text + "\n", encoding="utf-8")
    table = compiled.table
    print(
        f"wrote {args.output} ({len(text) // 1024} KiB, {len(compiled.snapshots)} painfhir "
        f"profiles, {len(table['profiles'])} compiled, {len(table['valueSets'])} value sets "
        f"enumerated, {len(table['notEnumerable'])} not enumerable)"
    )
    for url, reason in table["notEnumerable"].items():
        print(f"  not enumerable: {url}: {reason}")
    if args.output == OUTPUT:  # painfhir's own guide: the official extensions go beside it
        extensions = build_extensions_from(cached_tarball(args.cache_dir))
        text = json.dumps(extensions, separators=(",", ":"), ensure_ascii=False)
        EXTENSIONS_OUTPUT.write_text(text + "\n", encoding="utf-8")
        print(
            f"wrote {EXTENSIONS_OUTPUT} ({len(text) // 1024} KiB, "
            f"{len(extensions['profiles'])} official extension definitions)"
        )
    if args.emit is not None:
        args.emit.mkdir(parents=True, exist_ok=True)
        for definition in compiled.snapshots.values():
            path = args.emit / f"StructureDefinition-{definition['id']}.json"
            path.write_text(json.dumps(definition, indent=2, ensure_ascii=False) + "\n")
        print(f"wrote {len(compiled.snapshots)} StructureDefinitions with snapshots to {args.emit}")


if __name__ == "__main__":
    main()
