"""Finding mapping modules: the built-in ones and each folder a site adds.

A module is a folder holding `module.py`; a folder given on `PAINFHIR_MAPPINGS_PATH` may be
one module or hold several (one per sub-folder). A site folder with `conceptmaps/` but no
`module.py` adds ConceptMaps to the module of its name (the built-in `hl7v2`, say) instead:
the site's local codes and namespaces, without a copy of the module.

Each `module.py` is loaded under a name of its own (`painfhir_mapping_<n>_<folder>`), so two
modules may both call their file `module.py` and neither shadows the other; it is loaded as
a package, so a module may split its rules over sibling files and import them relatively.
"""

from __future__ import annotations

import importlib.util
import itertools
import re
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from types import ModuleType

import painfhir
from painfhir.mapping._conceptmap import ConceptMapError, ConceptMaps
from painfhir.mapping._errors import ModuleLoadError
from painfhir.mapping._module import Case, FhirMapping, Hl7v2Mapping, MappingModule

_loaded = itertools.count(1)
_CASE_INPUTS = ("input.hl7", "input.json")
_NOT_IN_NAME = re.compile(r"\W")


def builtin_folder() -> Path:
    """The built-in `mappings/`: inside the package when installed from a wheel (the build
    copies it there), else at the top of the source checkout (editable installs, tests)."""
    package = Path(painfhir.__file__).parent
    installed = package / "_builtin_mappings"
    return installed if installed.is_dir() else package.parent.parent / "mappings"


@dataclass(frozen=True, slots=True)
class Discovered:
    """The modules that loaded, and why each of the others did not."""

    modules: list[MappingModule]
    failures: dict[str, ModuleLoadError]  # by folder name


def discover(extra_paths: Sequence[Path]) -> Discovered:
    """Every module of the built-in folder and of `extra_paths`. A module that fails to load
    is set aside with its error rather than stopping the others: one broken site module must
    not take down the modules, or the server, that work."""
    found = Discovered([], {})
    _load_all(found, builtin_folder(), builtin=True)
    overlays: list[Path] = []
    for path in extra_paths:
        if path.is_dir():
            _load_all(found, path, builtin=False)
            overlays += _overlay_folders(path)
        else:
            _fail(found, path.name, ModuleLoadError(f"mappings path {path} is not a folder"))
    for folder in overlays:
        _apply_overlay(found, folder)
    return found


def _overlay_folders(path: Path) -> Iterator[Path]:
    for folder in (path, *sorted(p for p in path.iterdir() if p.is_dir())):
        if (folder / "conceptmaps").is_dir() and not (folder / "module.py").is_file():
            yield folder


def _apply_overlay(found: Discovered, folder: Path) -> None:
    """Put the site's ConceptMaps in front of those of every module named like `folder`. A
    broken overlay leaves its module out, as a broken module would be: mapping with half a
    site's codes would store wrong data without a word."""
    name = folder.name
    targets = [i for i, module in enumerate(found.modules) if module.name == name]
    if not targets:
        _fail(found, name, ModuleLoadError(f"{folder / 'conceptmaps'}: {_missing(found, name)}"))
        return
    try:
        site = ConceptMaps.load(folder / "conceptmaps")
    except ConceptMapError as error:
        _fail(found, name, ModuleLoadError(str(error)))
        found.modules[:] = [m for m in found.modules if m.name != name]
        return
    for i in targets:
        module = found.modules[i]
        found.modules[i] = replace(module, concept_maps=module.concept_maps.under(site))


def _missing(found: Discovered, name: str) -> str:
    """Why there is no module `name` for a site's ConceptMaps. One that failed (its own code,
    or a site's map before these) is not there either, but "no module" would send the site
    looking for the wrong fault."""
    if name in found.failures:
        return f"not applied, module {name!r} already failed"
    return f"no module {name!r}"


def _fail(found: Discovered, name: str, error: ModuleLoadError) -> None:
    """Set `name` aside for `error`, after any failure it already has: the first is the one
    to fix, what follows may be no more than its consequence."""
    earlier = found.failures.get(name)
    found.failures[name] = (
        ModuleLoadError(f"{earlier.reason}; {error.reason}") if earlier else error
    )


def _load_all(found: Discovered, path: Path, *, builtin: bool) -> None:
    for folder in _module_folders(path):
        try:
            found.modules.append(load_module(folder, builtin=builtin))
        except ModuleLoadError as error:
            _fail(found, folder.name, error)


def _module_folders(path: Path) -> Iterator[Path]:
    if (path / "module.py").is_file():
        yield path
        return
    for child in sorted(path.iterdir()):
        if (child / "module.py").is_file():
            yield child


def load_module(folder: Path, *, builtin: bool) -> MappingModule:
    code = _import(folder)
    mapping = getattr(code, "MAPPING", None)
    if not isinstance(mapping, Hl7v2Mapping | FhirMapping):
        raise ModuleLoadError(f"{folder / 'module.py'} defines no MAPPING")
    try:
        concept_maps = ConceptMaps.load(folder / "conceptmaps")
    except ConceptMapError as error:  # a malformed map (no code, a wrong type) names itself
        raise ModuleLoadError(str(error)) from error
    name = folder.name
    return MappingModule(name, folder, mapping, concept_maps, builtin, _cases(name, folder))


def _import(folder: Path) -> ModuleType:
    unique = f"painfhir_mapping_{next(_loaded)}_{_NOT_IN_NAME.sub('_', folder.name)}"
    spec = importlib.util.spec_from_file_location(
        unique, folder / "module.py", submodule_search_locations=[str(folder)]
    )
    if spec is None or spec.loader is None:
        raise ModuleLoadError(f"cannot load {folder / 'module.py'}")
    code = importlib.util.module_from_spec(spec)
    sys.modules[unique] = code  # relative imports between the module's files look it up here
    try:
        spec.loader.exec_module(code)
    except Exception as error:  # a broken site module must name itself, whatever it raised
        del sys.modules[unique]
        raise ModuleLoadError(f"{folder / 'module.py'}: {error!r}") from error
    return code


def _cases(module: str, folder: Path) -> tuple[Case, ...]:
    cases_folder = folder / "cases"
    if not cases_folder.is_dir():
        return ()
    found = []
    for case in sorted(cases_folder.iterdir()):
        inputs = [case / name for name in _CASE_INPUTS if (case / name).is_file()]
        if inputs:
            found.append(Case(module, case.name, inputs[0], case / "expected.json"))
    return tuple(found)
