"""Generate `r4_required_bindings.json`: the required bindings of base R4 and their value sets.

    python -m painfhir.terminology.generate [--cache-dir DIR]

Every element of a base R4 resource or datatype StructureDefinition (the ones
`painfhir.fhir.definitions` is generated from) whose binding strength is `required` is recorded
with the canonical URL of its value set, `|4.0.1` left off. Each of those value sets is expanded
(`painfhir.terminology.expansion`) from the ValueSets and CodeSystems of the same CC0 npm package,
`hl7.fhir.r4.examples@4.0.1`, fetched with `npm pack` into the user cache; value sets that cannot
be enumerated are written with the reason instead. The layout of the written file is described
in `painfhir.terminology`.
"""

from __future__ import annotations

import argparse
import json
import tarfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import platformdirs

from painfhir.fhir.definitions.generate import VERSION, base_definitions, cached_tarball
from painfhir.terminology.expansion import NotEnumerableError, Terminology, canonical

OUTPUT = Path(__file__).with_name("r4_required_bindings.json")
# A binding is checked on these types of element; base R4 binds no other type as required.
_BINDABLE = frozenset({"code", "CodeableConcept"})


def package_terminology(tarball: Path) -> Terminology:
    """The package's CodeSystems and ValueSets, by canonical URL."""
    found: dict[str, dict[str, dict[str, Any]]] = {"CodeSystem": {}, "ValueSet": {}}
    with tarfile.open(tarball, "r:gz") as archive:
        for member in archive:
            kind = member.name.removeprefix("package/").split("-", 1)[0]
            if kind not in found or not member.name.endswith(".json"):
                continue
            file = archive.extractfile(member)
            if file is None:
                continue
            resource = json.load(file)
            if resource["url"] in found[kind]:
                raise ValueError(f"two {kind}s with the url {resource['url']}")
            found[kind][resource["url"]] = resource
    return Terminology(found["CodeSystem"], found["ValueSet"])


def required_bindings(definitions: Iterable[dict[str, Any]]) -> dict[str, dict[str, str]]:
    """Structure table key -> JSON member name -> value set, for every required binding.

    The keys are those of `painfhir.fhir.definitions.TYPES`: a type, or a backbone element's
    path ("Questionnaire.item"), so the check can follow the same structure model.
    """
    bindings: dict[str, dict[str, str]] = {}
    for definition in definitions:
        if definition["kind"] == "primitive-type":
            continue
        for element in definition["snapshot"]["element"]:
            binding = element.get("binding", {})
            if binding.get("strength") != "required":
                continue
            path = element["path"]
            owner, name = path.rsplit(".", 1)
            types = [type_["code"] for type_ in element.get("type", ())]
            if name.endswith("[x]") or len(types) != 1 or types[0] not in _BINDABLE:
                raise ValueError(f"a required binding on {path} of type {types} is not supported")
            if types[0] == "CodeableConcept" and element["max"] != "1":
                # The structure check looks at bound concepts one at a time, not in arrays.
                raise ValueError(f"a required binding on the repeating concept {path}")
            bindings.setdefault(owner, {})[name] = canonical(binding["valueSet"])
    return {owner: dict(sorted(rows.items())) for owner, rows in sorted(bindings.items())}


def build_table(definitions: Iterable[dict[str, Any]], terminology: Terminology) -> dict[str, Any]:
    bindings = required_bindings(definitions)
    value_sets: dict[str, dict[str, list[str]]] = {}
    not_enumerable: dict[str, str] = {}
    for url in sorted({url for rows in bindings.values() for url in rows.values()}):
        try:
            codes = terminology.expand(url)
        except NotEnumerableError as reason:
            not_enumerable[url] = str(reason)
            continue
        by_system: dict[str, list[str]] = {}
        for system, code in sorted(codes):
            by_system.setdefault(system, []).append(code)
        value_sets[url] = by_system
    return {
        "fhirVersion": VERSION,
        "bindings": bindings,
        "valueSets": value_sets,
        "notEnumerable": not_enumerable,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--cache-dir",
        type=Path,
        default=Path(platformdirs.user_cache_dir("painfhir")),
        help="where the npm package tarball is kept (default: the user cache dir)",
    )
    args = parser.parse_args(argv)
    tarball = cached_tarball(args.cache_dir)
    table = build_table(base_definitions(tarball), package_terminology(tarball))
    text = json.dumps(table, separators=(",", ":"), ensure_ascii=False)
    OUTPUT.write_text(text + "\n", encoding="utf-8")
    count = sum(len(rows) for rows in table["bindings"].values())
    print(
        f"wrote {OUTPUT} ({len(text) // 1024} KiB, {count} required bindings, "
        f"{len(table['valueSets'])} value sets enumerated, "
        f"{len(table['notEnumerable'])} not enumerable)"
    )
    for url, reason in table["notEnumerable"].items():
        print(f"  not enumerable: {url}: {reason}")


if __name__ == "__main__":
    main()
