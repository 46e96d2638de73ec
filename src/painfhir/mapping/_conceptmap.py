"""Code translation through a module's ConceptMaps (FHIR R4 JSON in `conceptmaps/`).

A translation looks for a group with the code's source system (and the target system, when
the rule names one), and the first group whose elements list the code answers. It answers
with the element's first target that matches; targets whose equivalence says they do not
(`unmatched`, `disjoint`) are skipped, and an element with no other target says the code
has no match: it is not translated, and neither the group's `unmapped` nor a later map is
asked (FHIR R4 ignores `unmapped` for a code specified as unmatched). That is how a site's
map in front of a module's un-maps a code. A code no group lists follows the groups'
`unmapped`, in order: `provided` keeps the source code, `fixed` gives the fixed code, and
`other-map` asks the map named there. Without `unmapped`, the code is not translated and the
rule decides what that means.

A map is checked as it is read, so that one a site got wrong fails at start-up with its
file and the element at fault (`group[0].element[2] has no code`), not in mid-message.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

_NO_MATCH = frozenset({"unmatched", "disjoint"})
_UNMAPPED_MODES = frozenset({"provided", "fixed", "other-map"})

Coding = dict[str, str]


class ConceptMapError(ValueError):
    """A ConceptMap that cannot be used: the message says what is wrong where (and in
    which file, for those read by `ConceptMaps.load`)."""


@dataclass(frozen=True, slots=True)
class _Unmapped:
    """What a group does with a code its elements do not list."""

    mode: str
    fixed: Coding | None  # for `fixed`
    url: str  # for `other-map`


@dataclass(frozen=True, slots=True)
class _Group:
    map_url: str
    source: str
    target: str
    targets: dict[str, Coding | None]  # None: the code has no match
    unmapped: _Unmapped | None


class ConceptMaps:
    """The ConceptMaps of one module, indexed by source system."""

    def __init__(self, concept_maps: Iterable[Any]) -> None:
        self.urls: list[str] = []
        self._maps: list[dict[str, Any]] = []
        self._groups: dict[str, list[_Group]] = {}
        self._by_url: dict[str, list[_Group]] = {}
        for concept_map in concept_maps:
            self._add(concept_map)

    def under(self, site: ConceptMaps) -> ConceptMaps:
        """These maps with a site's in front: a code the site's groups list is translated
        the site's way (or not at all, listed with no match), any other as before
        (`unmapped` fallbacks included)."""
        return ConceptMaps([*site._maps, *self._maps])

    @classmethod
    def load(cls, folder: Path) -> ConceptMaps:
        """Every `*.json` in `folder` (none when the folder is absent), in name order. A file
        that cannot be read or used raises ConceptMapError naming it."""
        maps = cls(())
        for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
            try:
                maps._add(_read(path))
            except ConceptMapError as error:
                raise ConceptMapError(f"{path}: {error}") from error
        return maps

    def _add(self, concept_map: Any) -> None:
        if not isinstance(concept_map, dict):
            raise ConceptMapError("not a ConceptMap: not a JSON object")
        if concept_map.get("resourceType") != "ConceptMap":
            raise ConceptMapError(f"not a ConceptMap: {concept_map.get('resourceType')!r}")
        url = _text(concept_map, "url", "", default="")
        groups = [
            _group(url, group, f"group[{n}]")
            for n, group in enumerate(_list(concept_map, "group", ""))
        ]
        self.urls.append(url)
        self._maps.append(concept_map)
        for entry in groups:
            self._groups.setdefault(entry.source, []).append(entry)
            self._by_url.setdefault(url, []).append(entry)

    def targets(self, system: str) -> list[str]:
        """The systems the maps translate `system` into, each once, in map order."""
        return list(dict.fromkeys(group.target for group in self._groups.get(system, ())))

    def translate(
        self,
        system: str,
        code: str,
        target: str | None = None,
        *,
        on_translate: Callable[[str, str], None] | None = None,
    ) -> Coding | None:
        """The target Coding for `code` of `system`, or None when no map translates it."""
        groups = [g for g in self._groups.get(system, ()) if target in (None, g.target)]
        coding = next(self._answers(groups, system, code, seen=set()), None)
        if coding is not None and on_translate is not None:
            on_translate(code, coding["code"])
        return coding

    def _answers(
        self, groups: list[_Group], system: str, code: str, seen: set[str]
    ) -> Iterator[Coding | None]:
        """What the groups say of `code`, the one to follow first: the first group listing
        it (None: no match, which ends the translation), else each `unmapped` in turn (an
        `other-map` that says nothing leaves it to the next)."""
        listing = next((group for group in groups if code in group.targets), None)
        if listing is not None:
            yield listing.targets[code]
            return
        for group in groups:
            unmapped = group.unmapped
            if unmapped is None:
                continue
            if unmapped.mode == "provided":
                yield {"system": system, "code": code}
            elif unmapped.fixed is not None:
                yield unmapped.fixed
            elif unmapped.url not in seen:
                seen.add(group.map_url)
                others = self._by_url.get(unmapped.url, [])
                yield from self._answers(others, system, code, seen)


def _read(path: Path) -> Any:
    try:
        return orjson.loads(path.read_bytes())
    except orjson.JSONDecodeError as error:
        raise ConceptMapError(f"not JSON ({error})") from error
    except OSError as error:
        raise ConceptMapError(f"cannot be read ({error.strerror})") from error


def _group(url: str, group: Any, where: str) -> _Group:
    group = _object(group, where)
    target = _text(group, "target", where, default="")
    return _Group(
        url,
        _text(group, "source", where, default=""),
        target,
        _targets(group, target, where),
        _unmapped(group, target, where),
    )


def _targets(group: dict[str, Any], system: str, where: str) -> dict[str, Coding | None]:
    """Each listed code with its first matching target, None when it has none; a code
    listed twice keeps what its first element says."""
    targets: dict[str, Coding | None] = {}
    for n, item in enumerate(_list(group, "element", where)):
        at = f"{where}.element[{n}]"
        element = _object(item, at)
        code = _text(element, "code", at)
        found = [
            _target(target, system, f"{at}.target[{m}]")
            for m, target in enumerate(_list(element, "target", at))
        ]
        targets.setdefault(code, next((c for c in found if c is not None), None))
    return targets


def _target(target: Any, system: str, where: str) -> Coding | None:
    """The Coding a target maps to; None for one that says the code does not match."""
    target = _object(target, where)
    if _text(target, "equivalence", where, default="equivalent") in _NO_MATCH:
        return None
    return _coding(system, target, where)


def _unmapped(group: dict[str, Any], system: str, where: str) -> _Unmapped | None:
    """The group's `unmapped`, with what its mode needs (FHIR invariants cmd-2, cmd-3)."""
    if "unmapped" not in group:
        return None
    at = f"{where}.unmapped"
    unmapped = _object(group["unmapped"], at)
    mode = _text(unmapped, "mode", at)
    if mode not in _UNMAPPED_MODES:
        raise ConceptMapError(f"{at}.mode is not provided, fixed or other-map: {mode!r}")
    fixed = _coding(system, unmapped, at) if mode == "fixed" else None
    url = _text(unmapped, "url", at) if mode == "other-map" else ""
    return _Unmapped(mode, fixed, url)


def _coding(system: str, target: dict[str, Any], where: str) -> Coding:
    coding = {"system": system, "code": _text(target, "code", where)}
    if "display" in target:
        coding["display"] = _text(target, "display", where)
    return coding


def _object(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ConceptMapError(f"{where} is not an object")
    return value


def _list(parent: dict[str, Any], key: str, where: str) -> list[Any]:
    value = parent.get(key, [])
    if not isinstance(value, list):
        raise ConceptMapError(f"{_at(where, key)} is not a list")
    return value


def _text(parent: dict[str, Any], key: str, where: str, default: str | None = None) -> str:
    """`parent[key]`, a string; `default` when it is absent, an error without one."""
    value = parent.get(key, default)
    if value is None:
        raise ConceptMapError(f"{where} has no {key}")
    if not isinstance(value, str):
        raise ConceptMapError(f"{_at(where, key)} is not a string: {value!r}")
    return value


def _at(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key
