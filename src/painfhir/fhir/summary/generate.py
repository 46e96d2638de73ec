"""Generate `r4_summary_elements.json`: each resource type's top-level elements marked
`isSummary` in the official StructureDefinitions (what `_summary=true` keeps).

    python -m painfhir.fhir.summary.generate [--cache-dir DIR]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import platformdirs

from painfhir.fhir.definitions.generate import base_definitions, cached_tarball

OUTPUT = Path(__file__).with_name("r4_summary_elements.json")


def summary_elements(definitions: list[dict[str, object]]) -> dict[str, list[str]]:
    table: dict[str, list[str]] = {}
    for definition in definitions:
        if definition.get("kind") != "resource" or definition.get("abstract"):
            continue
        res_type = str(definition["type"])
        names = []
        for element in definition["snapshot"]["element"]:  # type: ignore[index]
            path = element["path"].split(".")
            if len(path) == 2 and element.get("isSummary"):
                names.append(path[1])
        table[res_type] = names
    return table


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    default_cache = Path(platformdirs.user_cache_dir("painfhir"))
    parser.add_argument("--cache-dir", type=Path, default=default_cache)
    args = parser.parse_args(argv)
    definitions = list(base_definitions(cached_tarball(args.cache_dir)))
    table = summary_elements(definitions)
    OUTPUT.write_text(json.dumps(table, sort_keys=True, separators=(",", ":")) + "\n")
    print(f"wrote {OUTPUT} ({len(table)} resource types)")


if __name__ == "__main__":
    main()
