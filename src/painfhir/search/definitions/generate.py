"""Generate `r4_search_parameters.json` from the official R4 SearchParameters.

    python -m painfhir.search.definitions.generate [--cache-dir DIR]

The core parameters are the 1375 entries of `package/Bundle-searchParams.json` in the CC0 npm
package `hl7.fhir.r4.examples@4.0.1` (the spec's `search-parameters.json`). The package also
has one `SearchParameter-*.json` file per core parameter (identical to the Bundle entries) plus
25 that are not core: extension packs and examples (`patient-extensions-Patient-age`,
`example-extension` ...), several without an expression or with one about another type. Those
are left out: painfhir's own parameters will come from its profiles.

A parameter shared by several types (`clinical-code`, base AllergyIntolerance, Condition ...)
has one expression joining all of them with `|`; each type keeps only the parts about it. The
layout of the written file is described in `painfhir.search.definitions`.
"""

from __future__ import annotations

import argparse
import json
import re
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import platformdirs

from painfhir.fhir.definitions.generate import VERSION, cached_tarball

OUTPUT = Path(__file__).with_name("r4_search_parameters.json")
_BUNDLE = "package/Bundle-searchParams.json"
_HEAD = re.compile(r"\(*\s*([A-Za-z]+)")

# Where the published definitions are wrong. DocumentReference-relationship pairs each
# component definition with the other one's expression: `relatesto` (a reference) with `code`
# and `relation` (a token) with `target`. R5 pairs them the right way round, as here.
_COMPONENT_ERRATA = {
    "http://hl7.org/fhir/SearchParameter/DocumentReference-relationship": {
        "http://hl7.org/fhir/SearchParameter/DocumentReference-relatesto": "target",
        "http://hl7.org/fhir/SearchParameter/DocumentReference-relation": "code",
    },
}


def core_parameters(tarball: Path) -> list[dict[str, Any]]:
    """Every SearchParameter of the core R4 specification, in the package's order."""
    with tarfile.open(tarball, "r:gz") as archive:
        member = archive.extractfile(_BUNDLE)
        if member is None:
            raise ValueError(f"{_BUNDLE} is not a file in {tarball}")
        bundle = json.load(member)
    return [
        entry["resource"]
        for entry in bundle["entry"]
        if entry["resource"]["resourceType"] == "SearchParameter"
    ]


def union_parts(expression: str) -> Iterator[str]:
    """The operands of the top-level `|` unions (not those inside parentheses or quotes)."""
    depth, start, quoted = 0, 0, False
    for index, char in enumerate(expression):
        if char == "'":
            quoted = not quoted
        elif quoted:
            continue
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "|" and depth == 0:
            yield expression[start:index].strip()
            start = index + 1
    yield expression[start:].strip()


def restrict(expression: str, base: str) -> str:
    """The parts of a shared expression that start at `base` (`Condition.code`, not
    `Observation.code`), joined again; parenthesised parts are kept as written."""
    parts = []
    for part in union_parts(expression):
        head = _HEAD.match(part)
        if head is None:
            raise ValueError(f"cannot tell which type {part!r} starts at")
        if head.group(1) == base:
            parts.append(part)
        elif head.group(1)[0].islower():
            # One R4 expression (InsurancePlan-name: `name | alias`) leaves out the type.
            parts.append(f"{base}.{part}")
    if not parts:
        raise ValueError(f"no part of {expression!r} is about {base}")
    return " | ".join(parts)


def _components(parameter: dict[str, Any], codes: dict[str, str]) -> list[list[str]]:
    fixes = _COMPONENT_ERRATA.get(parameter["url"], {})
    return [
        [codes[part["definition"]], fixes.get(part["definition"], part["expression"])]
        for part in parameter.get("component", ())
    ]


def _row(parameter: dict[str, Any], base: str, codes: dict[str, str]) -> list[Any]:
    """[type, expression, targets, components, xpathUsage, url] for one base type."""
    return [
        parameter["type"],
        restrict(parameter["expression"], base),
        sorted(parameter.get("target", ())),
        _components(parameter, codes),
        parameter["xpathUsage"],
        parameter["url"],
    ]


def build_table(parameters: list[dict[str, Any]]) -> dict[str, dict[str, list[Any]]]:
    """base type → code → row. Parameters without an expression (`_text`, `_content`,
    `_query`) cannot be indexed and are left out."""
    codes = {parameter["url"]: parameter["code"] for parameter in parameters}
    table: dict[str, dict[str, list[Any]]] = {}
    for parameter in parameters:
        if "expression" not in parameter:
            continue
        for base in parameter["base"]:
            by_code = table.setdefault(base, {})
            if parameter["code"] in by_code:
                raise ValueError(f"{base} has two parameters named {parameter['code']!r}")
            by_code[parameter["code"]] = _row(parameter, base, codes)
    _check_components(table)
    return {base: dict(sorted(rows.items())) for base, rows in sorted(table.items())}


def _check_components(table: dict[str, dict[str, list[Any]]]) -> None:
    """A composite's components must be parameters of its own type: the query side reads
    each component's type from there."""
    for base, rows in table.items():
        for code, row in rows.items():
            for component, _ in row[3]:
                if component not in rows:
                    raise ValueError(f"{base}.{code}: component {component!r} is not a parameter")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--cache-dir",
        type=Path,
        default=Path(platformdirs.user_cache_dir("painfhir")),
        help="where the npm package tarball is kept (default: the user cache dir)",
    )
    args = parser.parse_args(argv)
    table = build_table(core_parameters(cached_tarball(args.cache_dir)))
    text = json.dumps({"fhirVersion": VERSION, "parameters": table}, separators=(",", ":"))
    OUTPUT.write_text(text + "\n", encoding="utf-8")
    count = sum(len(rows) for rows in table.values())
    print(f"wrote {OUTPUT} ({len(text) // 1024} KiB, {count} parameters on {len(table)} types)")


if __name__ == "__main__":
    main()
