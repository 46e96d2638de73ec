"""The tables generated from the official R4 package are exactly what their generators make.

The package (`hl7.fhir.r4.examples@4.0.1`) comes from the npm registry through `npm pack`, once
per machine, into the user cache folder the generators use.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import platformdirs
import pytest

from painfhir.fhir.definitions import generate as structure
from painfhir.fhir.summary import generate as summary
from painfhir.search.compartments import generate as compartments
from painfhir.search.definitions import generate as search_parameters
from painfhir.terminology import generate as required_bindings
from painfhir.validation import invariants_generate as invariants
from painfhir.validation.profile import generate as profiles


@pytest.fixture(scope="module")
def tarball() -> Path:
    if shutil.which("npm") is None:
        pytest.skip("npm is not installed: the R4 package cannot be fetched")
    try:
        return structure.cached_tarball(Path(platformdirs.user_cache_dir("painfhir")))
    except subprocess.CalledProcessError as exc:
        pytest.skip(f"the npm registry did not hand out the R4 package: {exc}")


def _structures(tarball: Path) -> Any:
    definitions = sorted(structure.base_definitions(tarball), key=lambda d: d["type"])
    return structure.build_model(definitions)


def _search_parameters(tarball: Path) -> Any:
    table = search_parameters.build_table(search_parameters.core_parameters(tarball))
    return {"fhirVersion": structure.VERSION, "parameters": table}


def _summary(tarball: Path) -> Any:
    return summary.summary_elements(list(structure.base_definitions(tarball)))


def _required_bindings(tarball: Path) -> Any:
    terminology = required_bindings.package_terminology(tarball)
    return required_bindings.build_table(structure.base_definitions(tarball), terminology)


def _profiles(tarball: Path) -> Any:
    return profiles.build_from(profiles.PROFILES, tarball).table


GENERATED: dict[str, tuple[Path, Callable[[Path], Any]]] = {
    "structures": (structure.OUTPUT, _structures),
    "search-parameters": (search_parameters.OUTPUT, _search_parameters),
    "compartments": (compartments.OUTPUT, compartments.compartments),
    "summary-elements": (summary.OUTPUT, _summary),
    "required-bindings": (required_bindings.OUTPUT, _required_bindings),
    "painfhir-profiles": (profiles.OUTPUT, _profiles),
    "r4-extensions": (profiles.EXTENSIONS_OUTPUT, profiles.build_extensions_from),
    "r4-invariants": (invariants.OUTPUT, invariants.generate),
}


@pytest.mark.parametrize("table", GENERATED)
def test_the_committed_table_is_what_its_generator_makes(tarball: Path, table: str) -> None:
    output, build = GENERATED[table]
    assert orjson.loads(orjson.dumps(build(tarball))) == orjson.loads(output.read_bytes())
