"""Snapshot generation: a profile's differential laid onto the snapshot of its base, as R4 says.

`generate_snapshot(profile, definitions)` starts from a copy of the base's snapshot (an official
R4 definition from the package, or another profile whose snapshot was generated first) and
walks the differential in order (https://hl7.org/fhir/R4/profiling.html):

- an element already in the snapshot (same id) takes the differential's constraints: min and max
  may only narrow, types and their profiles / targetProfiles may only narrow, fixed[x] and
  pattern[x] are set (never changed once set), a binding may not get weaker than
  extensible/required, constraints are appended (with their `source`), conditions are added,
  mustSupport may be switched on, texts (short, definition, ...) replace the base's;
- a slice (`Observation.category:VSCat`) is inserted at the end of its slicing entry's group,
  a copy of the sliced element and its children; a new slice starts at min 0 (each slice has
  its own cardinality; the slicing entry's keeps counting all members);
- a renamed choice (`Observation.valueQuantity`) narrows `value[x]` to that type and becomes
  its type slice `value[x]:valueQuantity`, with `value[x]` sliced by type, closed, as the R4
  publication tooling writes it;
- an element inside a complex type whose children are not in the snapshot yet
  (`Observation.code.coding`) first unrolls those children from the type's definition, or from
  the profile on the type (an extension definition, for an extension slice);
- an extension slice given its extension's definition as type profile takes that definition's
  cardinality when the differential states none.

Anything else is refused with a `SnapshotError` naming the profile and the element: widening,
a type or target the base does not allow, a slice with no slicing, re-slicing, an element that
does not exist in the base.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterator
from typing import Any

Definition = dict[str, Any]
Definitions = Callable[[str], Definition | None]
"""Canonical URL -> StructureDefinition (with its snapshot, for those used as bases or types)."""

CORE = "http://hl7.org/fhir/StructureDefinition/"
_FHIR_TYPE = CORE + "structuredefinition-fhir-type"
_STRENGTH = {"example": 0, "preferred": 1, "extensible": 2, "required": 3}
# Texts a differential may simply replace.
_TEXTS = (
    "short",
    "definition",
    "comment",
    "requirements",
    "label",
    "alias",
    "meaningWhenMissing",
    "orderMeaning",
    "example",
    "code",
    "isModifierReason",
    "minValueInteger",
    "maxValueInteger",
    "minValueDecimal",
    "maxValueDecimal",
    "minValueQuantity",
    "maxValueQuantity",
    "minValuePositiveInt",
    "maxValuePositiveInt",
    "minValueUnsignedInt",
    "maxValueUnsignedInt",
    "minValueDate",
    "maxValueDate",
    "minValueDateTime",
    "maxValueDateTime",
    "minValueInstant",
    "maxValueInstant",
    "minValueTime",
    "maxValueTime",
    "mapping",
)
_SEGMENT = re.compile(r"([^.:]+(?:\[x\])?)(?::([^.]+))?")


class SnapshotError(ValueError):
    """A differential that cannot be laid onto its base; the message says where and why."""


def generate_snapshot(profile: Definition, definitions: Definitions) -> list[dict[str, Any]]:
    """The snapshot elements of `profile`, whose base must be found by `definitions`."""
    url = profile["url"]
    base = definitions(profile["baseDefinition"])
    if base is None or "snapshot" not in base:
        raise SnapshotError(f"{url}: the base {profile['baseDefinition']} is not known")
    if base["type"] != profile["type"]:
        raise SnapshotError(f"{url}: its type {profile['type']} is not its base's {base['type']}")
    builder = _Snapshot(url, base["snapshot"]["element"], definitions)
    for element in differential_with_ids(profile):
        builder.apply(element)
    return builder.elements


def differential_with_ids(profile: Definition) -> Iterator[dict[str, Any]]:
    """The differential's elements, each with an id (derived from path and slice if absent)."""
    latest: dict[str, str] = {}  # path -> id of the latest element with that path

    def id_of(path: str) -> str:
        if path in latest:
            return latest[path]
        parent, _, name = path.rpartition(".")
        return f"{id_of(parent)}.{name}" if parent else path

    for element in profile.get("differential", {}).get("element", ()):
        path = element["path"]
        element_id = element.get("id")
        if element_id is None:
            parent, _, name = path.rpartition(".")
            element_id = f"{id_of(parent)}.{name}" if parent else path
            if "sliceName" in element:
                element_id += ":" + element["sliceName"]
        latest[path] = element_id
        yield {**element, "id": element_id}


def type_code(type_: dict[str, Any]) -> str:
    """A type's FHIR code: R4 writes ids and Extension.url as FHIRPath System types."""
    code: str = type_["code"]
    if code.startswith("http://hl7.org/fhirpath/System."):
        for extension in type_.get("extension", ()):
            if extension.get("url") == _FHIR_TYPE:
                return str(extension.get("valueUrl", extension.get("valueUri", code)))
    return code


def canonical(url: str) -> str:
    return url.split("|", 1)[0]


def _segments(element_id: str) -> list[tuple[str, str | None]]:
    found = []
    for part in element_id.split("."):
        match = _SEGMENT.fullmatch(part)
        if match is None:
            raise ValueError(part)
        found.append((match[1], match[2]))
    return found


def _max(value: str) -> float:
    return float("inf") if value == "*" else int(value)


class _Snapshot:
    def __init__(self, url: str, base: list[dict[str, Any]], definitions: Definitions) -> None:
        self.url = url
        self.definitions = definitions
        self.elements: list[dict[str, Any]] = copy.deepcopy(base)
        self.index: dict[str, int] = {}
        self._reindex()

    def _reindex(self) -> None:
        self.index = {element["id"]: at for at, element in enumerate(self.elements)}

    def _fail(self, element_id: str, message: str) -> SnapshotError:
        return SnapshotError(f"{self.url}: {element_id}: {message}")

    # --- finding (and making) the element a differential entry constrains -----------------

    def apply(self, diff: dict[str, Any]) -> None:
        if "/" in diff["id"] or "@" in diff["id"]:
            raise self._fail(diff["id"], "re-slicing and @default slices are not supported")
        try:
            segments = _segments(diff["id"])
        except ValueError as exc:
            raise self._fail(diff["id"], "this is not a valid element id") from exc
        target_id = self._resolve(diff["id"], segments)
        target = self.elements[self.index[target_id]]
        self._merge(target, diff)

    def _resolve(self, diff_id: str, segments: list[tuple[str, str | None]]) -> str:
        root, root_slice = segments[0]
        if root != self.elements[0]["id"] or root_slice is not None:
            raise self._fail(diff_id, f"ids must start with {self.elements[0]['id']}")
        current = root
        for name, slice_name in segments[1:]:
            child = f"{current}.{name}"
            if child not in self.index:
                self._unroll(current)
            slice_of = slice_name
            if child not in self.index:
                child, slice_of = self._renamed_choice(diff_id, current, name, slice_name)
            if slice_of is not None:
                sliced = f"{child}:{slice_of}"
                if sliced not in self.index:
                    self._add_slice(child, slice_of)
                child = sliced
            current = child
        return current

    def _renamed_choice(
        self, diff_id: str, parent: str, name: str, slice_name: str | None
    ) -> tuple[str, str]:
        """`valueQuantity` under `parent`: the type slice `value[x]:valueQuantity`."""
        choices = [
            (f"{parent}.{stem}[x]", code)
            for stem, code in _choice_splits(name)
            if f"{parent}.{stem}[x]" in self.index
        ]
        for choice, code in choices:
            element = self.elements[self.index[choice]]
            types = [t for t in element.get("type", ()) if type_code(t) == code]
            if not types:
                continue
            if slice_name is not None:
                raise self._fail(diff_id, "slicing a renamed choice element is not supported")
            element["type"] = types
            element.setdefault("slicing", _type_slicing())
            return choice, name
        if choices:
            allowed = [type_code(t) for t in self.elements[self.index[choices[0][0]]]["type"]]
            raise self._fail(diff_id, f"{choices[0][0]} allows {allowed}, not {name}")
        raise self._fail(diff_id, f"there is no element {parent}.{name} in the base")

    def _unroll(self, element_id: str) -> None:
        """Insert the children of `element_id` from its type, if it has none yet."""
        at = self.index[element_id]
        if any(key.startswith(element_id + ".") for key in self.index):
            return
        element = self.elements[at]
        if "contentReference" in element:
            children = self._referenced_children(element_id, element["contentReference"])
        else:
            children = self._type_children(element_id, element)
        self.elements[at + 1 : at + 1] = children
        self._reindex()

    def _referenced_children(self, element_id: str, reference: str) -> list[dict[str, Any]]:
        source = reference.removeprefix("#")
        target = self.elements[self.index[element_id]]
        return [
            _moved(element, source, element_id, source, target["path"])
            for element in self.elements
            if element["id"].startswith(source + ".")
        ]

    def _type_children(self, element_id: str, element: dict[str, Any]) -> list[dict[str, Any]]:
        types = element.get("type", ())
        codes = {type_code(t) for t in types}
        if len(codes) != 1:
            raise self._fail(
                element_id,
                f"it has the types {sorted(codes)}: constrain it to one type before "
                "constraining inside it",
            )
        profiles = [p for t in types for p in t.get("profile", ())]
        url = profiles[0] if len(profiles) == 1 else CORE + codes.pop()
        definition = self.definitions(canonical(url))
        if definition is None or "snapshot" not in definition:
            raise self._fail(element_id, f"the definition of its type ({url}) is not known")
        elements = definition["snapshot"]["element"]
        root = elements[0]
        return [
            _moved(child, root["id"], element_id, root["path"], element["path"])
            for child in elements[1:]
        ]

    def _add_slice(self, sliced_id: str, slice_name: str) -> None:
        at = self.index[sliced_id]
        sliced = self.elements[at]
        is_choice = sliced["path"].endswith("[x]")
        if "slicing" not in sliced:
            if is_choice:
                sliced["slicing"] = _type_slicing()
            elif sliced["path"].rsplit(".", 1)[-1] in ("extension", "modifierExtension"):
                # Extensions are always sliced by url; profiles need not say so.
                sliced["slicing"] = {
                    "discriminator": [{"type": "value", "path": "url"}],
                    "ordered": False,
                    "rules": "open",
                }
            else:
                raise self._fail(f"{sliced_id}:{slice_name}", f"{sliced_id} is not sliced")
        group = [sliced] + [
            e for e in self.elements if e["id"].startswith(sliced_id + ".")
        ]  # the sliced element and its children, not its other slices
        copies = [_moved(e, sliced_id, f"{sliced_id}:{slice_name}") for e in group]
        head = copies[0]
        head.pop("slicing", None)
        head["sliceName"] = slice_name
        head["min"] = 0
        if is_choice:
            self._narrow_type_slice(head, sliced["path"], slice_name)
        end = at + 1
        while end < len(self.elements) and self.elements[end]["id"].startswith(
            (sliced_id + ".", sliced_id + ":")
        ):
            end += 1
        self.elements[end:end] = copies
        self._reindex()

    def _narrow_type_slice(self, head: dict[str, Any], path: str, slice_name: str) -> None:
        stem = path.rsplit(".", 1)[-1][:-3]
        types = [t for t in head.get("type", ()) if stem + _upper_first(type_code(t)) == slice_name]
        if not types:
            raise self._fail(head["id"], f"{slice_name} is not a type slice of {path}")
        head["type"] = types

    # --- merging a differential entry onto its snapshot element ---------------------------

    def _merge(self, target: dict[str, Any], diff: dict[str, Any]) -> None:
        where = target["id"]
        if diff.get("sliceName", target.get("sliceName")) != target.get("sliceName"):
            raise self._fail(where, f"sliceName {diff['sliceName']!r} does not match its id")
        if "contentReference" in diff:
            raise self._fail(where, "a profile cannot set contentReference")
        if diff.get("isModifier", target.get("isModifier")) != target.get("isModifier"):
            raise self._fail(where, "a profile cannot change isModifier")
        self._merge_cardinality(target, diff)
        if "type" in diff:
            target["type"] = self._merged_types(where, target.get("type", []), diff["type"])
            self._take_extension_cardinality(target, diff)
        self._merge_values(target, diff)
        if "binding" in diff:
            self._merge_binding(target, diff["binding"])
        if "constraint" in diff:
            self._merge_constraints(target, diff["constraint"])
        if "condition" in diff:
            held = target.get("condition", [])
            target["condition"] = list(dict.fromkeys([*held, *diff["condition"]]))
        if "slicing" in diff:
            self._merge_slicing(target, diff["slicing"])
        if "mustSupport" in diff:
            if target.get("mustSupport") and not diff["mustSupport"]:
                raise self._fail(where, "mustSupport cannot be switched off once on")
            target["mustSupport"] = diff["mustSupport"]
        if "maxLength" in diff:
            if "maxLength" in target and diff["maxLength"] > target["maxLength"]:
                raise self._fail(where, f"maxLength {diff['maxLength']} widens the base's")
            target["maxLength"] = diff["maxLength"]
        for key in _TEXTS:
            if key in diff:
                target[key] = copy.deepcopy(diff[key])

    def _merge_cardinality(self, target: dict[str, Any], diff: dict[str, Any]) -> None:
        where = target["id"]
        low, high = diff.get("min", target["min"]), diff.get("max", target["max"])
        if low < target["min"]:
            raise self._fail(where, f"min {low} is below the base's min {target['min']}")
        if _max(high) > _max(target["max"]):
            raise self._fail(where, f"max {high} is above the base's max {target['max']}")
        if low > _max(high):
            raise self._fail(where, f"min {low} is above max {high}")
        target["min"], target["max"] = low, high

    def _merged_types(
        self, where: str, base: list[dict[str, Any]], diff: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        by_code = {type_code(t): t for t in base}
        merged = []
        for type_ in diff:
            code = type_code(type_)
            if code not in by_code:
                allowed = sorted(by_code)
                raise self._fail(where, f"type {code} is not allowed by the base ({allowed})")
            kept = copy.deepcopy(by_code[code])
            if "profile" in type_:
                kept["profile"] = self._narrowed(
                    where, "profile", kept.get("profile", [CORE + code]), type_["profile"]
                )
            if "targetProfile" in type_:
                kept["targetProfile"] = self._narrowed(
                    where,
                    "target",
                    kept.get("targetProfile", [CORE + "Resource"]),
                    type_["targetProfile"],
                )
            for key in ("aggregation", "versioning"):
                if key in type_:
                    kept[key] = type_[key]
            merged.append(kept)
        return merged

    def _narrowed(self, where: str, what: str, base: list[str], urls: list[str]) -> list[str]:
        """`urls` if each is allowed by one of `base`: same type (or any resource), or derived."""
        allowed_types = {self._type_of(where, url) for url in base}
        for url in urls:
            if "Resource" in allowed_types or url in base or self._derives_from(url, base):
                continue
            if what == "target" and self._type_of(where, url) in allowed_types:
                continue
            raise self._fail(where, f"{what} {url} is not allowed by the base ({base})")
        return list(urls)

    def _type_of(self, where: str, url: str) -> str:
        definition = self.definitions(canonical(url))
        if definition is None:
            raise self._fail(where, f"{url} is not a known StructureDefinition")
        return str(definition["type"])

    def _derives_from(self, url: str, bases: list[str]) -> bool:
        seen = canonical(url)
        wanted = {canonical(b) for b in bases}
        while seen not in wanted:
            definition = self.definitions(seen)
            if definition is None or "baseDefinition" not in definition:
                return False
            seen = canonical(definition["baseDefinition"])
        return True

    def _take_extension_cardinality(self, target: dict[str, Any], diff: dict[str, Any]) -> None:
        """An extension slice with no max of its own has its definition's (`0..1`, say)."""
        profiles = [p for t in target["type"] for p in t.get("profile", ())]
        if "max" in diff or len(profiles) != 1 or type_code(target["type"][0]) != "Extension":
            return
        definition = self.definitions(canonical(profiles[0]))
        if definition is None or "snapshot" not in definition:
            raise self._fail(target["id"], f"the extension {profiles[0]} is not known")
        root_max = definition["snapshot"]["element"][0]["max"]
        if _max(root_max) < _max(target["max"]):
            target["max"] = root_max

    def _merge_values(self, target: dict[str, Any], diff: dict[str, Any]) -> None:
        where = target["id"]
        codes = {type_code(t) for t in target.get("type", ())}
        for key, value in diff.items():
            kind = next((k for k in ("fixed", "pattern") if key.startswith(k)), None)
            if kind is None:
                continue
            suffix = key[len(kind) :]
            if suffix not in codes and _lower_first(suffix) not in codes:
                raise self._fail(where, f"{key} does not fit its types ({sorted(codes)})")
            for held in (k for k in target if k.startswith(("fixed", "pattern"))):
                if held != key or target[held] != value:
                    raise self._fail(where, f"{key} conflicts with the base's {held}")
            target[key] = copy.deepcopy(value)

    def _merge_binding(self, target: dict[str, Any], binding: dict[str, Any]) -> None:
        base = target.get("binding")
        weaker = base is not None and _STRENGTH[binding["strength"]] < _STRENGTH[base["strength"]]
        if weaker and base is not None and base["strength"] in ("required", "extensible"):
            raise self._fail(
                target["id"],
                f"a {binding['strength']} binding weakens the base's {base['strength']} one",
            )
        target["binding"] = copy.deepcopy(binding)

    def _merge_constraints(self, target: dict[str, Any], constraints: list[dict[str, Any]]) -> None:
        held = {c["key"]: c for c in target.get("constraint", ())}
        for constraint in constraints:
            same = held.get(constraint["key"])
            if same is not None:
                if same.get("expression") != constraint.get("expression"):
                    raise self._fail(target["id"], f"constraint {constraint['key']} is redefined")
                continue
            target.setdefault("constraint", []).append({**constraint, "source": self.url})

    def _merge_slicing(self, target: dict[str, Any], slicing: dict[str, Any]) -> None:
        base = target.get("slicing")
        if base is not None:
            if slicing.get("discriminator", base.get("discriminator")) != base.get("discriminator"):
                raise self._fail(target["id"], "the slicing discriminators differ from the base's")
            if base.get("rules") == "closed" and slicing.get("rules", "closed") != "closed":
                raise self._fail(target["id"], "closed slicing cannot be reopened")
        target["slicing"] = {**(base or {}), **copy.deepcopy(slicing)}


def _moved(
    element: dict[str, Any],
    old_id: str,
    new_id: str,
    old_path: str | None = None,
    new_path: str | None = None,
) -> dict[str, Any]:
    """A copy of `element` with its id (and path) prefix replaced."""
    moved = copy.deepcopy(element)
    moved["id"] = new_id + element["id"][len(old_id) :]
    if old_path is not None and new_path is not None:
        moved["path"] = new_path + element["path"][len(old_path) :]
    return moved


def _type_slicing() -> dict[str, Any]:
    return {
        "discriminator": [{"type": "type", "path": "$this"}],
        "ordered": False,
        "rules": "closed",
    }


def _choice_splits(name: str) -> Iterator[tuple[str, str]]:
    """The ways `valueQuantity` reads as a choice stem and type: ("value", "Quantity") ..."""
    for at in range(1, len(name)):
        if name[at].isupper():
            type_name = name[at:]
            yield name[:at], type_name
            yield name[:at], _lower_first(type_name)


def _upper_first(text: str) -> str:
    return text[:1].upper() + text[1:]


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]
