"""Generate `r4_compartments.json` from the official CompartmentDefinitions.

    python -m painfhir.search.compartments.generate [--cache-dir DIR]

For each compartment (Patient, Encounter, RelatedPerson, Practitioner, Device) and each
resource type in it, the search parameters that place a resource in someone's compartment
(CarePlan is in Patient/x's compartment when its `subject` or `performer` is Patient/x).
"""

from __future__ import annotations

import argparse
import json
import tarfile
from pathlib import Path

import platformdirs

from painfhir.fhir.definitions.generate import cached_tarball

OUTPUT = Path(__file__).with_name("r4_compartments.json")
_COMPARTMENTS = ("patient", "encounter", "relatedPerson", "practitioner", "device")


def compartments(tarball: Path) -> dict[str, dict[str, list[str]]]:
    found: dict[str, dict[str, list[str]]] = {}
    with tarfile.open(tarball) as archive:
        for name in _COMPARTMENTS:
            member = archive.extractfile(f"package/CompartmentDefinition-{name}.json")
            assert member is not None
            definition = json.load(member)
            found[definition["code"]] = {
                entry["code"]: entry["param"]
                for entry in definition.get("resource", [])
                if entry.get("param")
            }
    return found


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--cache-dir", type=Path, default=Path(platformdirs.user_cache_dir("painfhir"))
    )
    args = parser.parse_args(argv)
    table = compartments(cached_tarball(args.cache_dir))
    OUTPUT.write_text(json.dumps(table, sort_keys=True, separators=(",", ":")) + "\n")
    print(f"wrote {OUTPUT} ({sum(len(v) for v in table.values())} compartment memberships)")


if __name__ == "__main__":
    main()
