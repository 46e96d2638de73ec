"""Generate `r4_structure.json` from the official FHIR R4 StructureDefinitions.

    python -m painfhir.fhir.definitions.generate [--cache-dir DIR]

The definitions come from the CC0 npm package `hl7.fhir.r4.examples@4.0.1`. It is fetched with
`npm pack` into a cache directory outside the repository (the user cache dir by default) the
first time, and read from there afterwards; the tarball is never part of the project.

Only base definitions are used: resources, complex and primitive datatypes that are
specializations (no profiles, no logical models), plus the abstract `Element`, which is the
shape of the `_x` object that carries a primitive's id and extensions in JSON. The layout of
the written file is described in `painfhir.fhir.definitions`.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import platformdirs

PACKAGE = "hl7.fhir.r4.examples"
VERSION = "4.0.1"
TARBALL = f"{PACKAGE}-{VERSION}.tgz"
OUTPUT = Path(__file__).with_name("r4_structure.json")

_SD_PREFIX = "http://hl7.org/fhir/StructureDefinition/"
_FHIR_TYPE_EXT = _SD_PREFIX + "structuredefinition-fhir-type"
_REGEX_EXT = _SD_PREFIX + "regex"
_KINDS = ("resource", "complex-type", "primitive-type")
# The root FHIRPath system type of a primitive decides how its value is written in JSON.
_JSON_KIND = {
    "http://hl7.org/fhirpath/System.Boolean": "boolean",
    "http://hl7.org/fhirpath/System.Integer": "integer",
    "http://hl7.org/fhirpath/System.Decimal": "decimal",
}


def cached_tarball(cache_dir: Path) -> Path:
    """The package tarball, downloaded with `npm pack` into `cache_dir` unless already there."""
    tarball = cache_dir / TARBALL
    if tarball.exists():
        return tarball
    cache_dir.mkdir(parents=True, exist_ok=True)
    # Pack into a scratch directory and move into place, so an interrupted download
    # never leaves a truncated tarball that looks cached.
    with tempfile.TemporaryDirectory(dir=cache_dir) as scratch:
        subprocess.run(
            ["npm", "pack", f"{PACKAGE}@{VERSION}"],
            cwd=scratch,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        os.replace(Path(scratch) / TARBALL, tarball)
    return tarball


def base_definitions(tarball: Path) -> Iterator[dict[str, Any]]:
    """The StructureDefinitions in the package that define the base R4 structures."""
    with tarfile.open(tarball, "r:gz") as tar:
        for member in tar:
            name = member.name
            if not (name.startswith("package/StructureDefinition-") and name.endswith(".json")):
                continue
            file = tar.extractfile(member)
            if file is None:
                continue
            definition = json.load(file)
            if _is_base_structure(definition):
                yield definition


def _is_base_structure(definition: dict[str, Any]) -> bool:
    if definition.get("url") != _SD_PREFIX + definition.get("type", ""):
        return False  # profiles and extensions have urls of their own
    if definition["type"] == "Element":
        return True
    return (
        definition["kind"] in _KINDS
        and definition.get("derivation") == "specialization"
        and not definition["abstract"]
    )


def _extension_value(holder: dict[str, Any], url: str) -> str | None:
    for extension in holder.get("extension", ()):
        if extension["url"] == url:
            value = extension.get("valueString", extension.get("valueUrl"))
            return str(value)
    return None


def _primitive(definition: dict[str, Any], primitives: dict[str, dict[str, Any]]) -> list[Any]:
    """[json kind, regex or None, maxLength or None] for a primitive type."""
    value = next(e for e in definition["snapshot"]["element"] if e["path"].endswith(".value"))
    (value_type,) = value["type"]
    regex = _extension_value(value_type, _REGEX_EXT)
    # positiveInt/unsignedInt declare System.String; their base (integer) tells the JSON form.
    root = definition
    while (base := primitives.get(root["baseDefinition"].removeprefix(_SD_PREFIX))) is not None:
        root = base
    root_value = next(e for e in root["snapshot"]["element"] if e["path"].endswith(".value"))
    kind = _JSON_KIND.get(root_value["type"][0]["code"], "string")
    return [kind, regex, value.get("maxLength")]


def _type_codes(element: dict[str, Any]) -> list[str]:
    codes = []
    for type_ in element["type"]:
        code = type_["code"]
        if code.startswith("http://hl7.org/fhirpath/System."):
            # ids and Extension.url are written with FHIRPath system types in the snapshot;
            # the extension names the FHIR type they really are.
            code = _extension_value(type_, _FHIR_TYPE_EXT)
        if element["base"]["path"] == "Resource.id":
            code = "id"  # R4 renders Resource.id as System.String, but it is an `id`
        codes.append(code)
    return codes


def _element_rows(element: dict[str, Any], own_type: str | None) -> list[list[Any]]:
    """The JSON members one snapshot element allows: [name, type, min, many, choice group?]."""
    name = element["path"].rsplit(".", 1)[1]
    max_ = element["max"]
    if max_ not in ("1", "*"):
        raise ValueError(f"unexpected max {max_!r} at {element['path']}")
    if element["min"] not in (0, 1):
        # The validator checks min as "present or not"; a larger min would need a count.
        raise ValueError(f"unexpected min {element['min']!r} at {element['path']}")
    many = 1 if max_ == "*" else 0
    if own_type is not None:
        return [[name, own_type, element["min"], many]]
    if "contentReference" in element:
        return [[name, element["contentReference"].removeprefix("#"), element["min"], many]]
    codes = _type_codes(element)
    if not name.endswith("[x]"):
        (code,) = codes
        return [[name, code, element["min"], many]]
    stem = name[:-3]
    return [[stem + code[0].upper() + code[1:], code, element["min"], many, stem] for code in codes]


def _structure_tables(definition: dict[str, Any]) -> dict[str, list[list[Any]]]:
    """One table for the type itself and one per BackboneElement, keyed by its path."""
    elements = definition["snapshot"]["element"]
    parents = {e["path"].rsplit(".", 1)[0] for e in elements if "." in e["path"]}
    tables: dict[str, list[list[Any]]] = {definition["type"]: []}
    for element in elements:
        path = element["path"]
        if "." not in path:
            continue
        if "sliceName" in element:
            raise ValueError(f"unexpected slice in a base definition at {path}")
        # An element with children of its own is an anonymous type named by its path.
        own_type = path if path in parents else None
        if own_type is not None:
            tables[own_type] = []
        tables[path.rsplit(".", 1)[0]].extend(_element_rows(element, own_type))
    return tables


def build_model(definitions: list[dict[str, Any]]) -> dict[str, Any]:
    primitive_definitions = {d["type"]: d for d in definitions if d["kind"] == "primitive-type"}
    primitives = {
        name: _primitive(d, primitive_definitions) for name, d in primitive_definitions.items()
    }
    types: dict[str, list[list[Any]]] = {}
    for definition in definitions:
        if definition["kind"] != "primitive-type":
            types.update(_structure_tables(definition))
    resources = sorted(
        d["type"] for d in definitions if d["kind"] == "resource" and not d["abstract"]
    )
    _check_closed(types, primitives)
    return {
        "fhirVersion": VERSION,
        "resources": resources,
        "primitives": primitives,
        "types": types,
    }


def _check_closed(types: dict[str, list[list[Any]]], primitives: dict[str, list[Any]]) -> None:
    """Every type an element names must be defined here (or be `Resource`, any resource)."""
    known = types.keys() | primitives.keys() | {"Resource"}
    for key, rows in types.items():
        for row in rows:
            if row[1] not in known:
                raise ValueError(f"{key}.{row[0]} has unknown type {row[1]!r}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--cache-dir",
        type=Path,
        default=Path(platformdirs.user_cache_dir("painfhir")),
        help="where the npm package tarball is kept (default: the user cache dir)",
    )
    args = parser.parse_args(argv)
    definitions = sorted(base_definitions(cached_tarball(args.cache_dir)), key=lambda d: d["type"])
    model = build_model(definitions)
    text = json.dumps(model, separators=(",", ":"), ensure_ascii=False)
    OUTPUT.write_text(text + "\n", encoding="utf-8")
    print(f"wrote {OUTPUT} ({len(text) // 1024} KiB, {len(model['resources'])} resource types)")


if __name__ == "__main__":
    main()
