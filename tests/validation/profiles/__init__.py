"""A small implementation guide for the profile tests: one profile per rule the generator and
the validator support, valid examples of each (examples/), and its compiled form
(`compiled.json`), which `test_profile_generate` checks is what the generator makes:

    python -m painfhir.validation.profile.generate --profiles tests/validation/profiles \\
        --output tests/validation/profiles/compiled.json
"""

from __future__ import annotations

import json
import shutil
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

import platformdirs
import pytest

from painfhir.fhir.definitions.generate import cached_tarball
from painfhir.validation.profile import Guide

FIXTURES = Path(__file__).parent
COMPILED = FIXTURES / "compiled.json"
EXAMPLES = FIXTURES / "examples"
CANONICAL = "http://painfhir.org/fhir/StructureDefinition/"


@cache
def fixture_guide() -> Guide:
    return Guide.load(COMPILED)


@cache
def package_tarball() -> Path:
    """The official R4 package (from the user cache, fetched with npm once); skips without it."""
    if shutil.which("npm") is None:
        pytest.skip("npm is not installed: the R4 package cannot be fetched")
    try:
        return cached_tarball(Path(platformdirs.user_cache_dir("painfhir")))
    except subprocess.CalledProcessError as exc:
        pytest.skip(f"the npm registry did not hand out the R4 package: {exc}")


def example(name: str) -> dict[str, Any]:
    """A fresh copy of examples/<name>.json, to mutate."""
    loaded: dict[str, Any] = json.loads((EXAMPLES / f"{name}.json").read_text())
    return loaded
