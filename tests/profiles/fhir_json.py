"""How the JSON files of profiles/ are written: FHIR's element order, 2-space indent.

`fhir_ordered` puts the members of every object of a resource in the order the R4 definition
lists its elements (`resourceType` first, a primitive's `_name` right after `name`), following
the structure model of `painfhir.fhir.definitions`. `formatted` is the exact text a file must
hold. Run as a script to rewrite files in place after editing them by hand:

    python -m tests.profiles.fhir_json profiles/*.json profiles/examples/*.json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from painfhir.fhir.definitions import ANY_RESOURCE, TYPES


def fhir_ordered(resource: dict[str, Any]) -> dict[str, Any]:
    """A copy of the resource with the members of each object in FHIR's order."""
    ordered: dict[str, Any] = _ordered(resource, resource.get("resourceType"))
    return ordered


def formatted(resource: dict[str, Any]) -> str:
    """The text of a profiles/ file holding the resource."""
    return json.dumps(fhir_ordered(resource), indent=2, ensure_ascii=False) + "\n"


def _ordered(value: Any, type_name: str | None) -> Any:
    if isinstance(value, list):
        return [_ordered(item, type_name) for item in value]
    if not isinstance(value, dict):
        return value
    if type_name == ANY_RESOURCE:
        type_name = value.get("resourceType")
    rows = TYPES.get(type_name or "", ())
    rank = {row.name: index for index, row in enumerate(rows)}
    member_types = {row.name: row.type for row in rows}

    def position(key: str) -> tuple[int, int, str]:
        if key == "resourceType":
            return (-1, 0, key)
        name = key[1:] if key.startswith("_") else key
        # Unknown members (check_resource reports them) go last, in name order.
        return (rank.get(name, len(rank)), int(key.startswith("_")), key)

    return {key: _ordered(value[key], member_types.get(key)) for key in sorted(value, key=position)}


def main(paths: list[str]) -> int:
    for name in paths:
        path = Path(name)
        text = formatted(json.loads(path.read_text(encoding="utf-8")))
        if path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            print(f"reformatted {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
