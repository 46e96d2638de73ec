"""Code translation through a module's ConceptMaps (FHIR R4 JSON in `conceptmaps/`).

A translation looks for a group with the code's source system (and the target system, when
the rule names one) and an element with the code; targets whose equivalence says they do
not match (`unmatched`, `disjoint`) are skipped. A code the groups do not hold follows the
group's `unmapped`: `provided` keeps the source code, `fixed` gives the fixed code, and
`other-map` asks the map named there. Without `unmapped`, the code is not translated and the
rule decides what that means.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

_NO_MATCH = frozenset({"unmatched", "disjoint"})

Coding = dict[str, str]


@dataclass(frozen=True, slots=True)
class _Group:
    map_url: str
    source: str
    target: str
    targets: dict[str, Coding]
    unmapped: dict[str, Any] | None


class ConceptMaps:
    """The ConceptMaps of one module, indexed by source system."""

    def __init__(self, concept_maps: Iterable[dict[str, Any]]) -> None:
        self.urls: list[str] = []
        self._maps: list[dict[str, Any]] = []
        self._groups: dict[str, list[_Group]] = {}
        self._by_url: dict[str, list[_Group]] = {}
        for concept_map in concept_maps:
            self._add(concept_map)

    def under(self, site: ConceptMaps) -> ConceptMaps:
        """These maps with a site's in front: a code the site's groups hold is translated
        the site's way, any other as before (`unmapped` fallbacks included)."""
        return ConceptMaps([*site._maps, *self._maps])

    @classmethod
    def load(cls, folder: Path) -> ConceptMaps:
        """Every `*.json` in `folder` (none when the folder is absent), in name order."""
        files = sorted(folder.glob("*.json")) if folder.is_dir() else []
        return cls(orjson.loads(path.read_bytes()) for path in files)

    def _add(self, concept_map: dict[str, Any]) -> None:
        if concept_map.get("resourceType") != "ConceptMap":
            raise ValueError(f"not a ConceptMap: {concept_map.get('resourceType')!r}")
        url = concept_map.get("url", "")
        self.urls.append(url)
        self._maps.append(concept_map)
        for group in concept_map.get("group", []):
            entry = _Group(
                url,
                group.get("source", ""),
                group.get("target", ""),
                _targets(group),
                group.get("unmapped"),
            )
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
        coding = _look_up(groups, code) or self._unmapped(groups, system, code, seen=set())
        if coding is not None and on_translate is not None:
            on_translate(code, coding["code"])
        return coding

    def _unmapped(
        self, groups: list[_Group], system: str, code: str, seen: set[str]
    ) -> Coding | None:
        for group in groups:
            unmapped = group.unmapped or {}
            mode = unmapped.get("mode")
            if mode == "provided":
                return {"system": system, "code": code}
            if mode == "fixed":
                return _coding(group.target, unmapped)
            if mode == "other-map" and unmapped.get("url") not in seen:
                seen.add(group.map_url)
                others = self._by_url.get(unmapped["url"], [])
                found = _look_up(others, code) or self._unmapped(others, system, code, seen)
                if found is not None:
                    return found
        return None


def _look_up(groups: list[_Group], code: str) -> Coding | None:
    for group in groups:
        if code in group.targets:
            return group.targets[code]
    return None


def _targets(group: dict[str, Any]) -> dict[str, Coding]:
    targets: dict[str, Coding] = {}
    for element in group.get("element", []):
        for target in element.get("target", []):
            if target.get("equivalence") not in _NO_MATCH and "code" in target:
                targets.setdefault(element["code"], _coding(group.get("target", ""), target))
    return targets


def _coding(system: str, target: dict[str, Any]) -> Coding:
    coding = {"system": system, "code": target["code"]}
    if "display" in target:
        coding["display"] = target["display"]
    return coding
