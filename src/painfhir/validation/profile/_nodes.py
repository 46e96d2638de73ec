"""A compiled profile: its elements as a tree of nodes, each with the checks it needs.

Built once per profile, at first use, from the compact elements of the compiled guide: a node
knows the JSON member it reads, whether that is an array, the cardinality to check (only
where the profile changes base R4's), the checks to run on each value (fixed, pattern,
maxLength, minValue and maxValue, binding, reference targets, profiles on the type,
constraints), the child nodes to descend into and, for a slicing entry, its slices with their
match predicates.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from painfhir.terminology import ValueSetCodes
from painfhir.validation.profile._bindings import BindingCheck
from painfhir.validation.profile._constraints import ConstraintCheck
from painfhir.validation.profile._limits import MaxLengthCheck, RangeCheck
from painfhir.validation.profile._references import ReferenceCheck
from painfhir.validation.profile._run import Run
from painfhir.validation.profile._slicing import Matcher, slice_matcher
from painfhir.validation.profile._values import FixedCheck, PatternCheck

ValueCheck = Callable[[Any, str, Run], None]
"""(a value of the element, its expression, the run) -> None; problems go to the run."""


class Node:
    __slots__ = (
        "allowed",
        "array",
        "checks",
        "children",
        "every_child",
        "extras",
        "key",
        "label",
        "many",
        "max",
        "members",
        "min",
        "must_support",
        "optional",
        "pardoned",
        "present_only",
        "profile",
        "simple",
        "slice_name",
        "slicing",
    )

    def __init__(self, element: dict[str, Any], profile: str) -> None:
        self.label: str = element["label"]
        self.profile = profile  # how messages name the profile
        self.key: str = element.get("key", "")
        self.extras = "_" + self.key  # the member with a primitive's id and extensions
        self.many: bool = element.get("many", False)
        self.min: int = element.get("min", 0)
        self.max: int | None = element.get("max")
        self.members: dict[str, str] | None = element.get("choice")
        self.allowed: frozenset[str] | None = None
        if self.members is not None and "types" in element:
            self.allowed = frozenset(t["code"] for t in element["types"])
        self.must_support: bool = element.get("mustSupport", False)
        # A type slice (value[x]:valueQuantity) is named as its member, not as a slice.
        self.slice_name: str | None = None if element.get("typeSlice") else element.get("sliceName")
        # Members whose presence excuses this one's absence (they are reported instead).
        self.pardoned: tuple[str, ...] = tuple(element.get("ruledOut", ()))
        self.checks: tuple[ValueCheck, ...] = ()
        # Every child, and the ones with something to check when must-support is not asked.
        self.every_child: list[Node] = []
        self.children: list[Node] = []
        self.slicing: Slicing | None = None
        self.simple = False  # one value, no choice, no slicing: the walk's fast path
        self.array = False  # an array, not a choice: the walk's other fast path
        # Simple, with nothing to check on a value but that there is one (when must-support
        # is not asked): a member the walk passes over when it is there.
        self.present_only = False
        # Not a choice, and its absence is no problem: an absent one is passed over.
        self.optional = self.min == 0 and self.members is None


class Slicing:
    __slots__ = (
        "by_target_type",
        "closed",
        "discriminators",
        "matchers",
        "names",
        "open_at_end",
        "ordered",
        "slices",
    )

    def __init__(self, slicing: dict[str, Any]) -> None:
        self.closed = slicing["rules"] == "closed"
        self.open_at_end = slicing["rules"] == "openAtEnd"
        self.ordered: bool = slicing["ordered"]
        self.slices: list[tuple[Node, Matcher]] = []
        self.matchers: tuple[Matcher, ...] = ()  # the slices' matchers alone, for the walk
        self.discriminators: list[list[dict[str, Any]]] = []  # each slice's, resolved
        self.names = ""  # the slice names, for messages
        # When every slice is by the type of the resource the reference resolves to (and by
        # nothing else): resource type -> the first slice that takes it.
        self.by_target_type: dict[str, int] | None = None


class Profile:
    """A compiled profile: the root node of a resource or datatype's checks."""

    __slots__ = ("root", "title", "type", "url")

    def __init__(self, url: str, title: str, type_: str, root: Node) -> None:
        self.url = url
        self.title = title
        self.type = type_
        self.root = root


class Lookups:
    """What building nodes needs from the guide: value sets and profile titles."""

    def __init__(
        self,
        value_sets: Callable[[str], ValueSetCodes | None],
        value_set_title: Callable[[str], str],
        profile_check: Callable[[list[str], str, str], ValueCheck],
    ) -> None:
        self.value_sets = value_sets
        self.value_set_title = value_set_title
        self.profile_check = profile_check  # (profile urls, label, profile name) -> check


def build_profile(compact: dict[str, Any], lookups: Lookups) -> Profile:
    title = compact.get("title") or compact.get("name") or compact["url"]
    name = f"Profile '{title}'"
    elements = compact["elements"]
    root = Node(elements[0], name)
    root.checks = _value_checks(elements[0], root, lookups)
    nodes = {elements[0]["id"]: root}
    slicings: dict[str, dict[str, Any]] = {elements[0]["id"]: elements[0]}
    for element in elements[1:]:
        node = Node(element, name)
        node.checks = _value_checks(element, node, lookups)
        element_id = element["id"]
        nodes[element_id] = node
        slicings[element_id] = element
        if "sliceName" in element and not element.get("typeSlice"):
            entry_id = element_id.rsplit(":", 1)[0]
            _add_slice(nodes[entry_id], slicings[entry_id], node, lookups)
        else:
            nodes[element_id.rpartition(".")[0]].every_child.append(node)
    for node in nodes.values():
        if node.slicing is not None:
            _drop_settled_checks(node.slicing)
            node.slicing.by_target_type = _by_target_type(node.slicing)
    _prune(root)
    return Profile(compact["url"], str(title), compact["type"], root)


def _prune(node: Node) -> bool:
    """Settle `children` (the children worth visiting when must-support is not asked) under
    `node`; whether `node` itself is worth visiting then."""
    node.children = [child for child in node.every_child if _prune(child)]
    node.simple = not node.many and node.members is None and node.slicing is None
    node.array = node.many and node.members is None
    node.present_only = node.simple and node.max != 0 and not (node.checks or node.children)
    if node.slicing is not None:
        for slice_, _ in node.slicing.slices:
            _prune(slice_)
    return bool(
        node.children
        or node.checks
        or node.min
        or node.max is not None
        or node.slicing
        or node.allowed is not None
    )


def _add_slice(entry: Node, element: dict[str, Any], node: Node, lookups: Lookups) -> None:
    if entry.slicing is None:
        entry.slicing = Slicing(element["slicing"])
    slicing = entry.slicing
    discriminators = element["slicing"]["slices"][node.slice_name]
    slicing.slices.append((node, slice_matcher(discriminators, lookups.value_sets)))
    slicing.matchers = tuple(match for _, match in slicing.slices)
    slicing.discriminators.append(discriminators)
    slicing.names = ", ".join(str(n.slice_name) for n, _ in slicing.slices)


def _drop_settled_checks(slicing: Slicing) -> None:
    """A slice's member matched its value or pattern discriminators, which were taken from the
    fixed or pattern value of the element they point at (the slice itself, or a member one step
    down): checking that value again on each member could only pass, so it is not done. Nor is
    a check of the reference's target type, when the slice is by the type of what it resolves
    to and every one of those types is allowed as it is (not only in particular profiles)."""
    for (node, _), discriminators in zip(slicing.slices, slicing.discriminators, strict=True):
        for found in discriminators:
            if found["kind"] == "type" and found["steps"] == [["resolve"]]:
                types = frozenset(found["types"])
                node.checks = tuple(c for c in node.checks if not _settles(c, types))
            if found["kind"] not in ("value", "pattern") or "valueSet" in found:
                continue
            steps = found["steps"]
            if not steps:
                settled: list[Node] = [node]
            elif len(steps) == 1 and steps[0][0] == "get":
                settled = [c for c in node.every_child if c.key == steps[0][1]]
            else:
                continue
            for target in settled:
                target.checks = tuple(
                    c for c in target.checks if not isinstance(c, FixedCheck | PatternCheck)
                )


def _by_target_type(slicing: Slicing) -> dict[str, int] | None:
    """The slice for each type of target, if every slice is by the target's type alone."""
    found: dict[str, int] = {}
    for index, discriminators in enumerate(slicing.discriminators):
        if len(discriminators) != 1:
            return None
        (discriminator,) = discriminators
        if discriminator["kind"] != "type" or discriminator["steps"] != [["resolve"]]:
            return None
        for type_ in discriminator["types"]:
            found.setdefault(type_, index)
    return found


def _settles(check: ValueCheck, types: frozenset[str]) -> bool:
    """Whether `check` can only pass on a reference whose target is known to be of `types`."""
    return (
        isinstance(check, ReferenceCheck)
        and (check.allowed is None or types <= check.allowed)
        and types.isdisjoint(check.profiles)
    )


def _value_checks(element: dict[str, Any], node: Node, lookups: Lookups) -> tuple[ValueCheck, ...]:
    label, profile = node.label, node.profile
    checks: list[ValueCheck] = []
    if "fixed" in element:
        checks.append(FixedCheck(element["fixed"]["value"], label, profile))
    if "pattern" in element:
        checks.append(PatternCheck(element["pattern"]["value"], label, profile))
    if "maxLength" in element:
        checks.append(MaxLengthCheck(element["maxLength"], label, profile))
    if "minValue" in element:
        checks.append(RangeCheck(True, element["minValue"], label, profile))
    if "maxValue" in element:
        checks.append(RangeCheck(False, element["maxValue"], label, profile))
    binding = element.get("binding")
    value_set = lookups.value_sets(binding["valueSet"]) if binding is not None else None
    if binding is not None and value_set is not None:
        title = lookups.value_set_title(binding["valueSet"])
        checks.append(BindingCheck(binding["strength"], value_set, title, label, profile))
    types = element.get("types", ())
    for type_ in types:
        if "targetProfile" in type_:
            checks.append(ReferenceCheck(type_["targetProfile"], label, profile))
        # A profile on one type of a choice would need the member's type: not supported.
        if "profile" in type_ and (node.members is None or len(types) == 1):
            checks.append(lookups.profile_check(type_["profile"], label, profile))
    for constraint in element.get("constraints", ()):
        fhir_type = element.get("fhirType") or node.members or ""
        checks.append(ConstraintCheck(constraint, fhir_type, label, profile))
    return tuple(checks)
