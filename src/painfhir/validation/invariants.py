"""The FHIRPath invariants of base R4, checked on a whole resource.

`check_invariants(resource)` walks the resource with the structure model, so it knows the type
of every element, and checks at each one the constraints `r4_invariants.json` places there
(see `invariants_generate` for the table): the element's type's own constraints and those of
the types it derives from (qty-3 on an Age, dom-* on every resource), and the constraints
of the element's path (Observation.referenceRange: obs-3; Range.low: sqty-1). Contained
resources, Bundle entries and Parameters resources are resources like the top one, each with
its own `%resource`; a contained resource's `%rootResource` is its container, and references
inside a Bundle resolve to its entries.

One Issue per failed constraint: the constraint's severity (error or warning), code
`invariant`, diagnostics "<key>: <human>", and the exact path of the element
(`Observation.referenceRange[0]`, `Bundle.entry[2].resource`). A constraint whose evaluation
fails (an error in FHIRPath's terms, on malformed data) is never taken as passed: it is
reported with code `processing` and the reason.

Expressions are compiled once per (type, path), when the type is first met, not per resource.
Three constraints are checked by Python code with the same meaning, for the reasons given where
they are defined: ele-1 (on every element: specialised for speed), txt-1 and txt-2 (R4 gives
both the same expression, `htmlChecks()`, which would report both when a narrative breaks one).
Not run: dom-6 on contained resources (see `_NOT_ON_CONTAINED`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import orjson

from painfhir.fhir.definitions import ANY_RESOURCE, PRIMITIVES, RESOURCE_TYPES, TYPES
from painfhir.fhir.outcome import Issue, Severity
from painfhir.fhirpath import (
    BundleIndex,
    Context,
    FhirPathError,
    FhirPathExpression,
    check_narrative,
    compile_fhirpath,
)
from painfhir.fhirpath._model import MEMBERS

_TABLE = cast(
    dict[str, Any], orjson.loads(Path(__file__).with_name("r4_invariants.json").read_bytes())
)
_BASES: dict[str, str] = _TABLE["bases"]
_PLACES: dict[str, list[list[Any]]] = _TABLE["constraints"]
_EVERY_ELEMENT_KEY, _, _EVERY_ELEMENT_HUMAN, _ = _TABLE["everyElement"][0]

# R4 narratives are the container's business: a contained resource is not managed on its own,
# and the container's narrative covers it, so "a resource should have narrative" is not asked
# of one (R4 examples routinely contain resources without text).
_NOT_ON_CONTAINED = frozenset({"dom-6"})

Path_ = str | tuple[Any, str, int | None]
"""Where an element is: a finished expression, or (parent, member, index) made into one only
when an issue needs it (most elements never do)."""


def _expression_of(path: Path_) -> str:
    if type(path) is str:
        return path
    parent, member, index = cast(tuple[Path_, str, int | None], path)
    text = f"{_expression_of(parent)}.{member}"
    return text if index is None else f"{text}[{index}]"


# --- the constraints -------------------------------------------------------------------------


def _narrative_markup(node: Any) -> str | None:
    """txt-1 by itself: the problem with the div's elements and attributes, if any."""
    return check_narrative(node[1]).markup_problem if isinstance(node[1], str) else None


def _narrative_content(node: Any) -> str | None:
    """txt-2 by itself: the div says something (text other than whitespace, or an image)."""
    if not isinstance(node[1], str) or check_narrative(node[1]).has_content:
        return None
    return "it has only whitespace"


# R4 gives txt-1 and txt-2 the one expression `htmlChecks()`, which answers for both rules at
# once: evaluated per key it would report both for a narrative that breaks one. Each key is
# checked for its own rule instead (one parse of the div, cached); tests check that together
# they agree with htmlChecks().
_NATIVE: dict[str, Callable[[Any], str | None]] = {
    "txt-1": _narrative_markup,
    "txt-2": _narrative_content,
}


@dataclass(frozen=True, slots=True)
class Invariant:
    key: str
    severity: Severity
    human: str
    expression: FhirPathExpression


class _Check:
    """An invariant on elements of one type. When the expression depends only on some members
    of its focus (dom-2 on `contained`), its verdict on an element without any of them is
    worked out once, here, and not evaluated again for each such element."""

    __slots__ = ("invariant", "keys", "native", "verdict_without_keys")

    def __init__(self, invariant: Invariant, focus_type: str) -> None:
        self.invariant = invariant
        self.native = _NATIVE.get(invariant.key)
        self.keys: frozenset[str] | None = None
        self.verdict_without_keys = False
        names = invariant.expression.focus_members
        if names is None or self.native is not None or focus_type in PRIMITIVES:
            return
        bare = invariant.expression.holds_when_absent(focus_type)
        if bare is None:
            return
        members = MEMBERS.get(focus_type, {})
        keys = {
            key for name in names for c in members.get(name, ()) for key in (c.key, c.extras_key)
        }
        self.keys, self.verdict_without_keys = frozenset(keys), bare

    def problem(self, node: Any, context: Context) -> str | None:
        """None if the constraint holds on the node, else the diagnostics to report."""
        invariant = self.invariant
        if self.native is not None:
            detail = self.native(node)
            return None if detail is None else f"{invariant.key}: {invariant.human} ({detail})"
        keys = self.keys
        if keys is not None and self.verdict_without_keys and keys.isdisjoint(node[1]):
            return None
        if invariant.expression.holds_on([node], context):
            return None
        return f"{invariant.key}: {invariant.human}"


# txt-2 ("the narrative SHALL have some non-whitespace content") is reported as a warning, not
# an error. The reference validator's htmlChecks() checks only element and attribute names,
# so R4 was published with examples whose narrative is blank, and R4 calls them valid: refusing
# what the spec itself publishes would refuse real senders' data for a cosmetic fault. The
# problem is still reported, where a person sees it.
_SEVERITY = {"txt-2": "warning"}


def _invariants(place: str) -> tuple[Invariant, ...]:
    return tuple(
        Invariant(
            key, cast(Severity, _SEVERITY.get(key, severity)), human, compile_fhirpath(expression)
        )
        for key, severity, human, expression in _PLACES.get(place, ())
    )


def _type_invariants(type_name: str) -> tuple[Invariant, ...]:
    """The constraints of a type and of every type it derives from."""
    found: list[Invariant] = []
    current: str | None = type_name
    while current is not None:
        found.extend(_invariants(current))
        current = _BASES.get(current)
    return tuple(found)


# --- the plan of each type -------------------------------------------------------------------

_COMPLEX, _PRIMITIVE, _RESOURCE = 0, 1, 2


class _Member:
    """One JSON member of a type: its kind and what to check on each of its values."""

    __slots__ = ("checks", "extras", "kind", "many", "plan", "type")

    def __init__(self, owner: str, name: str, type_: str, many: bool, choice: str | None) -> None:
        self.type = type_
        self.many = many
        self.extras = "_" + name
        self.kind = (
            _RESOURCE if type_ == ANY_RESOURCE else _PRIMITIVE if type_ in PRIMITIVES else _COMPLEX
        )
        places = [f"{owner}.{name}"]
        if choice is not None:
            places.append(f"{owner}.{choice}[x]")
        found = [invariant for place in places for invariant in _invariants(place)]
        if self.kind != _RESOURCE:
            found.extend(_type_invariants(type_))
        unique = {invariant.key: invariant for invariant in found}  # a backbone is both
        self.checks = tuple(_Check(invariant, type_) for invariant in unique.values())
        self.plan: dict[str, _Member] | None = None  # the members of its type, once needed


_PLANS: dict[str, dict[str, _Member]] = {}


def _plan(type_name: str) -> dict[str, _Member]:
    plan = _PLANS.get(type_name)
    if plan is None:
        plan = _PLANS[type_name] = {
            row.name: _Member(type_name, row.name, row.type, row.many, row.choice)
            for row in TYPES[type_name]
        }
    return plan


_RESOURCE_CHECKS: dict[tuple[str, bool], tuple[_Check, ...]] = {}


def _resource_checks(type_name: str, *, contained: bool) -> tuple[_Check, ...]:
    found = _RESOURCE_CHECKS.get((type_name, contained))
    if found is None:
        invariants = _type_invariants(type_name)
        found = tuple(
            _Check(invariant, type_name)
            for invariant in invariants
            if not (contained and invariant.key in _NOT_ON_CONTAINED)
        )
        _RESOURCE_CHECKS[(type_name, contained)] = found
    return found


# --- the walk --------------------------------------------------------------------------------


def check_invariants(resource: dict[str, Any]) -> list[Issue]:
    """Every failed base R4 invariant in `resource` (parsed JSON), one Issue each."""
    issues: list[Issue] = []
    kind = resource.get("resourceType") if type(resource) is dict else None
    if isinstance(kind, str) and kind in RESOURCE_TYPES:
        _Walk(issues).resource(resource, kind, None, None)
    return issues


class _Walk:
    __slots__ = ("issues",)

    def __init__(self, issues: list[Issue]) -> None:
        self.issues = issues

    def report(self, check: _Check, node: Any, context: Context, path: Path_) -> None:
        invariant = check.invariant
        try:
            problem = check.problem(node, context)
        except FhirPathError as exc:
            message = f"{invariant.key}: {invariant.human} (could not be evaluated: {exc})"
            self.issues.append(
                Issue(invariant.severity, "processing", message, _expression_of(path))
            )
            return
        if problem is not None:
            self.issues.append(
                Issue(invariant.severity, "invariant", problem, _expression_of(path))
            )

    def resource(
        self, resource: dict[str, Any], path: Path_, container: Any, bundle: BundleIndex | None
    ) -> None:
        kind = resource.get("resourceType")
        if not isinstance(kind, str) or kind not in RESOURCE_TYPES:
            return  # not an R4 resource: the structure check says so
        if kind == "Bundle":
            bundle = BundleIndex(resource)
        node = (kind, resource, None)
        root = [node] if container is None else [(container["resourceType"], container, None)]
        context = Context(
            resource=[node],
            root_resource=root,
            context=[],
            variables={},
            services=None,
            bundle=bundle,
        )
        for check in _resource_checks(kind, contained=container is not None):
            self.report(check, node, context, path)
        self.members(resource, _plan(kind), path, context)

    def members(
        self, obj: dict[str, Any], plan: dict[str, _Member], path: Path_, context: Context
    ) -> None:
        for name, value in obj.items():
            member = plan.get(name)
            if member is None:
                if name[:1] == "_" and name[1:] not in obj and name[1:] in plan:
                    self.primitive(obj, name[1:], plan[name[1:]], None, path, context)
                continue
            if member.kind == _PRIMITIVE:
                # Most primitives have a value, no `_x` and no constraint: nothing to do.
                if (
                    member.checks
                    or member.extras in obj
                    or value is None
                    or (member.many and (type(value) is not list or None in value))
                ):
                    self.primitive(obj, name, member, value, path, context)
            elif member.many and type(value) is list:
                for index, item in enumerate(value):
                    self.element(member, item, (path, name, index), context)
            else:
                self.element(member, value, (path, name, None), context)

    def element(self, member: _Member, value: Any, path: Path_, context: Context) -> None:
        if type(value) is not dict:
            return  # the structure check reports values of the wrong shape
        if member.kind == _RESOURCE:
            # A contained resource's %rootResource is its container; a Bundle entry or
            # Parameters resource is a root of its own.
            contained = type(path) is tuple and path[1] == "contained"
            container = context.root_resource[0][1] if contained else None
            self.resource(value, path, container, context.bundle)
            return
        if len(value) - ("id" in value) <= 0:
            self.ele_1(path)
        node = (member.type, value, None)
        for check in member.checks:
            self.report(check, node, context, path)
        plan = member.plan
        if plan is None:
            plan = member.plan = _plan(member.type)
        self.members(value, plan, path, context)

    def primitive(
        self,
        obj: dict[str, Any],
        name: str,
        member: _Member,
        value: Any,
        path: Path_,
        context: Context,
    ) -> None:
        extras = obj.get(member.extras)
        if not member.many:
            self.primitive_value(member, value, extras, (path, name, None), context)
            return
        values = value if type(value) is list else []
        extras = extras if type(extras) is list else []
        for index in range(max(len(values), len(extras))):
            item = values[index] if index < len(values) else None
            extra = extras[index] if index < len(extras) else None
            self.primitive_value(member, item, extra, (path, name, index), context)

    def primitive_value(
        self, member: _Member, value: Any, extras: Any, path: Path_, context: Context
    ) -> None:
        if type(extras) is not dict:
            extras = None
        if value is None and extras is None:
            return  # a null with nothing beside it: a structural error, reported there
        if value is None and len(extras) - ("id" in extras) <= 0:
            self.ele_1(path)
        node = (member.type, value, extras)
        for check in member.checks:
            self.report(check, node, context, path)
        if extras is not None:  # a primitive's extensions are elements too, at its own path
            self.members(extras, _plan("Element"), path, context)

    def ele_1(self, path: Path_) -> None:
        """ele-1, `hasValue() or (children().count() > id.count())`, said in Python: a
        primitive has a value, or an element has a child other than its id. It applies to every
        element, so evaluating the FHIRPath on each would cost more than all other
        constraints together; tests check the two agree."""
        message = f"{_EVERY_ELEMENT_KEY}: {_EVERY_ELEMENT_HUMAN}"
        self.issues.append(Issue("error", "invariant", message, _expression_of(path)))
