"""A profile's snapshot reduced to what the validator checks (the layout is in `_ig`).

Only what the profile adds to base R4 is kept: an element whose cardinality, types, fixed or
pattern value, maxLength, minValue[x] or maxValue[x], binding, constraints or mustSupport
differ from its base R4 definition, every slicing entry and slice, and the ancestors of those
(so the validator can walk down to them).
What base R4 already says is checked by the structural validator, so it is left out here and
never reported twice. Slice discriminators are resolved against the full snapshot now, into
the JSON steps to take and the value, type or profile to expect, so the validator never reads
a snapshot. The value sets the profile binds, or its constraints ask memberOf(), are collected
for the generator to expand.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from painfhir.validation.profile.snapshot import (
    CORE,
    Definition,
    Definitions,
    SnapshotError,
    canonical,
    type_code,
)

_TOKEN = re.compile(r"\$this|resolve\(\)|extension\((['\"])(.+?)\1\)|ofType\((\w+)\)|(\w+)")
_MEMBER_OF = re.compile(r"memberOf\(\s*'([^']+)'\s*\)")
# The types of minValue[x] / maxValue[x] the validator compares (Quantity is not: comparing
# across units needs UCUM).
_ORDERED_TYPES = frozenset(
    {"Integer", "Decimal", "PositiveInt", "UnsignedInt", "Date", "DateTime", "Instant", "Time"}
)
_GENERIC_CONTEXTS = frozenset({"Element", "Base"})
_ROOT_CONTEXTS = frozenset({"Resource", "DomainResource"})


@dataclass
class CompactProfile:
    profile: dict[str, Any]
    value_sets: set[str] = field(default_factory=set)  # bound, or used by discriminators
    references: set[str] = field(default_factory=set)  # profiles on types and targets


def compact_profile(definition: Definition, definitions: Definitions) -> CompactProfile:
    snapshot = definition["snapshot"]["element"]
    compactor = _Compactor(definition, snapshot, definitions)
    return compactor.run()


class _Compactor:
    def __init__(
        self, definition: Definition, snapshot: list[dict[str, Any]], definitions: Definitions
    ) -> None:
        self.definition = definition
        self.url: str = definition["url"]
        self.snapshot = snapshot
        self.by_id = {e["id"]: e for e in snapshot}
        self.definitions = definitions
        self.result = CompactProfile({})

    def _fail(self, element_id: str, message: str) -> SnapshotError:
        return SnapshotError(f"{self.url}: {element_id}: {message}")

    def run(self) -> CompactProfile:
        kept: set[str] = {self.snapshot[0]["id"]}
        compact: dict[str, dict[str, Any]] = {}
        for element in self.snapshot[1:]:
            facts = self._facts(element)
            if facts is not None:
                compact[element["id"]] = facts
                kept.update(_ancestors(element["id"]))
                kept.add(element["id"])
        elements = []
        for element in self.snapshot:
            if element["id"] in kept:
                facts = compact.get(element["id"]) or self._facts(element, always=True)
                assert facts is not None
                elements.append(facts)
        head: dict[str, Any] = {
            key: self.definition[key]
            for key in ("url", "name", "title", "type", "kind", "version")
            if key in self.definition
        }
        if self.definition["type"] == "Extension":
            head["context"] = self.definition.get("context", [])
        self.result.profile = {**head, "elements": elements}
        return self.result

    # --- one element ------------------------------------------------------------------------

    def _facts(self, element: dict[str, Any], *, always: bool = False) -> dict[str, Any] | None:
        """The compact form of `element`, or None if it adds nothing to base R4."""
        core = self._core(element)
        checks = self._checks(element, core)
        if not checks and not always:
            return None
        name = element["path"].rsplit(".", 1)[-1]
        facts: dict[str, Any] = {"id": element["id"], "label": _label(element["id"])}
        if "." in element["path"]:
            facts["many"] = element["base"]["max"] != "1"
            if name.endswith("[x]") and "sliceName" in element:
                facts["key"] = element["sliceName"]  # a type slice is one JSON member
                facts["typeSlice"] = True
                facts["many"] = False
                facts["ruledOut"] = self._ruled_out(element, core)
            elif name.endswith("[x]"):
                facts["key"] = name[:-3]
                facts["choice"] = {
                    name[:-3] + _upper_first(type_code(t)): type_code(t) for t in core["type"]
                }
            else:
                facts["key"] = name
        facts.update(checks)
        return facts

    def _checks(self, element: dict[str, Any], core: dict[str, Any]) -> dict[str, Any]:
        checks: dict[str, Any] = {}
        sliced = "sliceName" in element
        cardinality = (element["min"], element["max"])
        if "." in element["path"] and (sliced or cardinality != (core["min"], core["max"])):
            checks["min"] = element["min"]
            checks["max"] = None if element["max"] == "*" else int(element["max"])
        types = _types(element)
        if types != _types(core):
            checks["types"] = [self._type(t) for t in element.get("type", ())]
        for key, value in element.items():
            if key.startswith("fixed"):
                checks["fixed"] = {"type": key[5:], "value": value}
            elif key.startswith("pattern"):
                checks["pattern"] = {"type": key[7:], "value": value}
        if "maxLength" in element and element["maxLength"] != core.get("maxLength"):
            checks["maxLength"] = element["maxLength"]
        for key, value in element.items():
            if key.startswith(("minValue", "maxValue")) and core.get(key) != value:
                if key[8:] not in _ORDERED_TYPES:
                    raise self._fail(element["id"], f"{key} is not supported")
                checks[key[:8]] = {"type": key[8:], "value": value}
        binding = _binding(element)
        if binding is not None and binding != _binding(core) and binding[0] != "example":
            checks["binding"] = {"strength": binding[0], "valueSet": binding[1]}
            self.result.value_sets.add(binding[1])
        core_keys = {c["key"] for c in core.get("constraint", ())}
        constraints = [
            {key: c[key] for key in ("key", "severity", "human", "expression")}
            for c in element.get("constraint", ())
            if c["key"] not in core_keys and "expression" in c
        ]
        if constraints:
            checks["constraints"] = constraints
            for constraint in constraints:  # value sets the constraints ask memberOf()
                self.result.value_sets.update(_MEMBER_OF.findall(constraint["expression"]))
            fhir_type = self._fhir_type(element)
            if fhir_type is not None:
                checks["fhirType"] = fhir_type
        if element.get("mustSupport"):
            checks["mustSupport"] = True
        if sliced:
            checks["sliceName"] = element["sliceName"]
        if self._is_sliced(element):
            checks["slicing"] = self._slicing(element)
        self._check_extension_context(element)
        return checks

    def _ruled_out(self, type_slice: dict[str, Any], core: dict[str, Any]) -> list[str]:
        """The members of a type slice's choice that the choice element rules out: when one
        of those is there, the choice reports it, and the type slice is not also missing."""
        choice = self.by_id[type_slice["id"].rsplit(":", 1)[0]]
        allowed = {type_code(t) for t in choice.get("type", ())}
        stem = choice["path"].rsplit(".", 1)[-1][:-3]
        return sorted(
            stem + _upper_first(type_code(t)) for t in core["type"] if type_code(t) not in allowed
        )

    def _fhir_type(self, element: dict[str, Any]) -> str | None:
        """The type FHIRPath sees the element as (a choice's is its JSON member's)."""
        if "." not in element["path"]:
            return str(self.definition["type"])
        codes = {type_code(t) for t in element.get("type", ())}
        if len(codes) != 1:
            return None
        code = codes.pop()
        return str(element["base"]["path"]) if code in ("BackboneElement", "Element") else code

    def _type(self, type_: dict[str, Any]) -> dict[str, Any]:
        compact: dict[str, Any] = {"code": type_code(type_)}
        profiles = [canonical(url) for url in type_.get("profile", ())]
        if profiles:
            compact["profile"] = profiles
        targets = [canonical(url) for url in type_.get("targetProfile", ())]
        if targets:
            compact["targetProfile"] = [[url, self._type_of(url)] for url in targets]
        self.result.references.update(u for u in profiles + targets if self._is_profile(u))
        return compact

    def _is_profile(self, url: str) -> bool:
        definition = self.definitions(url)
        return definition is not None and definition.get("derivation") == "constraint"

    def _type_of(self, url: str) -> str:
        definition = self.definitions(url)
        if definition is None:
            raise self._fail(self.url, f"{url} is not a known StructureDefinition")
        return str(definition["type"])

    def _core(self, element: dict[str, Any]) -> dict[str, Any]:
        """The base R4 definition of `element` (from the resource or datatype it comes from)."""
        path = element["base"]["path"]
        definition = self.definitions(CORE + path.split(".", 1)[0])
        if definition is not None:
            for candidate in definition["snapshot"]["element"]:
                if candidate["path"] == path:
                    found: dict[str, Any] = candidate
                    return found
        raise self._fail(element["id"], f"its base R4 element {path} is not known")

    # --- slicing ----------------------------------------------------------------------------

    def _is_sliced(self, element: dict[str, Any]) -> bool:
        """Whether the slicing needs checking: it has slices, or is closed to everything.
        (Base R4 datatypes declare every `extension` sliced by url, with no slices.)"""
        if "slicing" not in element or _is_type_slicing(element):
            return False
        prefix = element["id"] + ":"
        has_slices = any(e["id"].startswith(prefix) for e in self.snapshot)
        return has_slices or element["slicing"].get("rules") == "closed"

    def _slicing(self, element: dict[str, Any]) -> dict[str, Any]:
        slicing = element["slicing"]
        discriminators = slicing.get("discriminator", [])
        if not discriminators:
            raise self._fail(element["id"], "slicing without discriminators is not supported")
        slices = {}
        for candidate in self.snapshot:
            if (
                candidate["id"].startswith(element["id"] + ":")
                and "." not in candidate["id"][len(element["id"]) :]
            ):
                slices[candidate["sliceName"]] = [
                    self._discriminator(candidate, d) for d in discriminators
                ]
        return {
            "rules": slicing.get("rules", "open"),
            "ordered": bool(slicing.get("ordered", False)),
            "slices": slices,
        }

    def _discriminator(self, slice_: dict[str, Any], discriminator: dict[str, Any]) -> Any:
        kind, path = discriminator["type"], discriminator["path"]
        steps, target, resolved = self._walk(slice_, path)
        found: dict[str, Any] = {"kind": kind, "path": path, "steps": steps}
        where = f"{slice_['id']} (discriminator {kind} {path})"
        if kind in ("value", "pattern"):
            found.update(self._expected_value(slice_, path, target, where))
        elif kind == "exists":
            if target is None or (target["min"] == 0 and target["max"] != "0"):
                raise self._fail(where, "the slice neither requires nor forbids that element")
            found["present"] = target["min"] > 0
        elif kind == "type":
            found["types"] = sorted(self._discriminating_types(target, resolved, where))
        elif kind == "profile":
            found["profiles"] = self._discriminating_profiles(target, resolved, where)
            self.result.references.update(found["profiles"])
        else:
            raise self._fail(where, f"discriminator type {kind} is not supported")
        return found

    def _walk(
        self, slice_: dict[str, Any], path: str
    ) -> tuple[list[list[Any]], dict[str, Any] | None, bool]:
        """The JSON steps of a discriminator path, the element it ends on (None when the
        snapshot does not go that deep) and whether it went through resolve()."""
        steps: list[list[Any]] = []
        current: dict[str, Any] | None = slice_
        resolved = False
        for token in _tokens(path, slice_["id"], self._fail):
            if resolved:
                raise self._fail(slice_["id"], f"{path}: nothing may follow resolve()")
            if token[0] == "$this":
                continue
            if token[0] == "resolve":
                steps.append(["resolve"])
                resolved = True
                continue
            current = self._step(current, token, steps)
        return steps, current, resolved

    def _step(
        self, current: dict[str, Any] | None, token: tuple[str, str], steps: list[list[Any]]
    ) -> dict[str, Any] | None:
        kind, value = token
        at = current["id"] if current is not None else None
        if kind == "extension":
            steps.append(["extension", value])
            return self._extension_slice(at, value) if at is not None else None
        if kind == "ofType":
            steps.append(["ofType", value])
            if at is None or not at.endswith("[x]"):
                return None
            stem = at.rsplit(".", 1)[-1][:-3]
            return self.by_id.get(f"{at}:{stem}{_upper_first(value)}", current)
        child = self.by_id.get(f"{at}.{value}") if at is not None else None
        choice = self.by_id.get(f"{at}.{value}[x]") if at is not None else None
        if child is None and choice is not None:
            core = self._core(choice)
            members = {value + _upper_first(type_code(t)): type_code(t) for t in core["type"]}
            steps.append(["choice", members])
            return choice
        steps.append(["get", value])
        return child

    def _extension_slice(self, at: str, url: str) -> dict[str, Any] | None:
        for element in self.snapshot:
            if (
                element["id"].startswith(f"{at}.extension:")
                and "." not in element["id"][len(at) + len(".extension:") :]
            ):
                profiles = [p for t in element.get("type", ()) for p in t.get("profile", ())]
                if url in (canonical(p) for p in profiles):
                    return element
        return None

    def _expected_value(
        self, slice_: dict[str, Any], path: str, target: dict[str, Any] | None, where: str
    ) -> dict[str, Any]:
        if target is not None:
            for key, value in target.items():
                if key.startswith("fixed"):
                    return {"fixed": value}
                if key.startswith("pattern"):
                    return {"pattern": value}
            binding = _binding(target)
            if binding is not None and binding[0] == "required":
                self.result.value_sets.add(binding[1])
                return {"valueSet": binding[1]}
        profiles = [p for t in slice_.get("type", ()) for p in t.get("profile", ())]
        if path == "url" and len(profiles) == 1:
            return {"fixed": canonical(profiles[0])}  # an extension slice: its definition's url
        raise self._fail(where, "the slice has no fixed value, pattern or required binding there")

    def _discriminating_types(
        self, target: dict[str, Any] | None, resolved: bool, where: str
    ) -> set[str]:
        if target is None:
            raise self._fail(where, "the slice does not constrain that element's type")
        types = target.get("type", ())
        if resolved:
            targets = [canonical(u) for t in types for u in t.get("targetProfile", ())]
            return {self._type_of(u) for u in targets}
        return {type_code(t) for t in types}

    def _discriminating_profiles(
        self, target: dict[str, Any] | None, resolved: bool, where: str
    ) -> list[str]:
        key = "targetProfile" if resolved else "profile"
        profiles = [canonical(u) for t in (target or {}).get("type", ()) for u in t.get(key, ())]
        if not profiles:
            raise self._fail(where, f"the slice sets no {key} there")
        return profiles

    # --- extension context ------------------------------------------------------------------

    def _check_extension_context(self, element: dict[str, Any]) -> None:
        """An extension slice must sit where its definition's context allows it."""
        if not element["path"].endswith(("extension", "modifierExtension")):
            return
        owner_id = element["id"].rsplit(".", 1)[0]
        owner = self.by_id.get(owner_id)
        if owner is None:
            return
        for type_ in element.get("type", ()):
            for url in type_.get("profile", ()):
                definition = self.definitions(canonical(url))
                if definition is None:
                    raise self._fail(element["id"], f"the extension {url} is not known")
                if not self._context_allows(definition.get("context", ()), owner):
                    contexts = [c.get("expression") for c in definition.get("context", ())]
                    raise self._fail(
                        element["id"],
                        f"the extension {url} may only be used on {contexts}, "
                        f"not on {owner['path']}",
                    )

    def _context_allows(self, contexts: Any, owner: dict[str, Any]) -> bool:
        names = {owner["path"], owner["base"]["path"], *_GENERIC_CONTEXTS}
        names.update(type_code(t) for t in owner.get("type", ()))
        if "." not in owner["path"]:
            names.update(_ROOT_CONTEXTS)
        for context in contexts:
            if context.get("type") != "element" or context.get("expression") in names:
                return True  # fhirpath and extension contexts are not checked here
        return not contexts


def _tokens(
    path: str, where: str, fail: Callable[[str, str], SnapshotError]
) -> list[tuple[str, str]]:
    tokens = []
    for part in _split_path(path):
        match = _TOKEN.fullmatch(part)
        if match is None:
            raise fail(where, f"discriminator path {path!r}: {part!r} is not supported")
        if part == "$this":
            tokens.append(("$this", ""))
        elif part == "resolve()":
            tokens.append(("resolve", ""))
        elif match[2] is not None:
            tokens.append(("extension", match[2]))
        elif match[3] is not None:
            tokens.append(("ofType", match[3]))
        else:
            tokens.append(("name", match[4]))
    return tokens


def _split_path(path: str) -> list[str]:
    """`extension('http://x.org/a.b').value` -> ["extension('http://x.org/a.b')", "value"]."""
    parts, current, depth = [], "", 0
    for char in path:
        if char == "." and depth == 0:
            parts.append(current)
            current = ""
            continue
        depth += (char == "(") - (char == ")")
        current += char
    parts.append(current)
    return parts


def _ancestors(element_id: str) -> list[str]:
    """The ids of the elements above `element_id`, slicing entries of its slices included."""
    found = []
    current = element_id
    while True:
        head, _, last = current.rpartition(".")
        if ":" in last:
            found.append(f"{head}.{last.split(':', 1)[0]}" if head else last.split(":", 1)[0])
        if not head:
            return found
        found.append(head)
        current = head


def _label(element_id: str) -> str:
    """How messages name an element: the type slice `value[x]:valueQuantity` as valueQuantity."""
    return re.sub(r"\w+\[x\]:(\w+)", r"\1", element_id)


def _types(element: dict[str, Any]) -> list[tuple[str, tuple[str, ...], tuple[str, ...]]]:
    return sorted(
        (
            type_code(t),
            tuple(sorted(canonical(p) for p in t.get("profile", ()))),
            tuple(sorted(canonical(p) for p in t.get("targetProfile", ()))),
        )
        for t in element.get("type", ())
    )


def _binding(element: dict[str, Any]) -> tuple[str, str] | None:
    binding = element.get("binding")
    if binding is None or "valueSet" not in binding:
        return None
    return binding["strength"], canonical(binding["valueSet"])


def _is_type_slicing(element: dict[str, Any]) -> bool:
    """Type slices of a choice element are checked as the JSON members they are."""
    discriminators = element["slicing"].get("discriminator", [])
    return element["path"].endswith("[x]") and all(
        d["type"] == "type" and d["path"] == "$this" for d in discriminators
    )


def _upper_first(text: str) -> str:
    return text[:1].upper() + text[1:]
