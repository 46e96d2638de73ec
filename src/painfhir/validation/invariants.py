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
Three more have a Python verdict for the usual shapes of their data, and are evaluated as
FHIRPath otherwise: ref-1, dom-6 and per-1, which are met on almost every resource (`_FAST`).
It runs on every write, so it does no more than it must: an object without any of the members
that can hold something to check is not looked through, a constraint known to hold without the
members it reads is not evaluated when they are absent, and most expressions are evaluated
without making a FHIRPath scope. Not run: dom-6 on contained resources (see
`_NOT_ON_CONTAINED`).

The same walk checks every extension whose url is a known extension definition against it
(`validation.profile._extensions`): those with an official R4 definition are reported here,
as base R4 problems; painfhir's are handed back apart by `check_base`. An extension with an
unknown url costs one set look-up.
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
from painfhir.fhirpath._equality import compare
from painfhir.fhirpath._model import MEMBERS
from painfhir.validation.profile._extensions import known_extensions

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


# Verdicts in Python for the constraints checked on almost every resource, where evaluating the
# FHIRPath would cost more than the rest of the check: each gives the verdict the FHIRPath
# gives, for the shapes of JSON that occur in practice, and None for any other shape (an array
# where one value belongs, a `#` reference, a value that is not a string), which leaves the
# verdict to the FHIRPath; none raises. The expression in r4_invariants.json stays the
# definition; tests check the two agree on the official examples, on Synthea and on mutations.


def _reference_in_place(node: Any) -> bool | None:
    """ref-1, `reference.exists() implies (reference.startsWith('#').not() or ...)`: a
    Reference without a reference, or one that is not to a contained resource, meets it. Every
    Reference is checked, so this is the most frequent constraint of all; `#` references need
    %rootResource and are left to the FHIRPath."""
    if type(node[1]) is not dict:
        return None
    reference = node[1].get("reference")
    extras = node[1].get("_reference")
    if type(extras) is list:
        return None
    if type(reference) is str:
        return None if reference[:1] == "#" else True
    return True if reference is None and extras is None else None


def _has_narrative(node: Any) -> bool | None:
    """dom-6, `text.`div`.exists()`: asked of every resource that is not contained."""
    resource = node[1]
    if type(resource) is not dict:
        return None
    text = resource.get("text")
    if text is None:
        return False
    if type(text) is not dict:
        return None
    div, extras = text.get("div"), text.get("_div")
    if type(div) is list or type(extras) is list:
        return None
    return div is not None or extras is not None


def _period_in_order(node: Any) -> bool | None:
    """per-1, `start.hasValue().not() or end.hasValue().not() or (start <= end) or (start <=
    end).empty()`: on every Period (encounters, medications, names, identifiers ...). Both
    boundaries are compared by the engine's own ordering, so dates of different precision
    and time zones mean what they mean in FHIRPath."""
    period = node[1]
    if type(period) is not dict:
        return None
    start, end = period.get("start"), period.get("end")
    if list in (type(start), type(end), type(period.get("_start")), type(period.get("_end"))):
        return None
    if start is None or end is None:
        return True
    if type(start) is not str or type(end) is not str:
        return None
    try:
        order = compare(("dateTime", start, None), ("dateTime", end, None))
    except FhirPathError:  # a boundary that is not a date: the FHIRPath says what is wrong
        return None
    return order is None or order <= 0


_FAST: dict[str, Callable[[Any], bool | None]] = {
    "ref-1": _reference_in_place,
    "dom-6": _has_narrative,
    "per-1": _period_in_order,
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
    worked out once, here: `skip_without` are then their JSON keys, if that verdict is that it
    holds (see `_grouped`)."""

    __slots__ = ("broken", "fast", "invariant", "native", "skip_without")

    def __init__(self, invariant: Invariant, focus_type: str) -> None:
        self.invariant = invariant
        self.broken = f"{invariant.key}: {invariant.human}"  # the diagnostics when it fails
        self.native = _NATIVE.get(invariant.key)
        self.fast = _FAST.get(invariant.key)
        self.skip_without: frozenset[str] | None = None
        names = invariant.expression.focus_members
        in_python = self.native is not None or self.fast is not None
        if names is None or in_python or focus_type in PRIMITIVES:
            return
        if invariant.expression.holds_when_absent(focus_type):
            members = MEMBERS.get(focus_type, {})
            children = [child for name in names for child in members.get(name, ())]
            self.skip_without = frozenset(
                key for child in children for key in (child.key, child.extras_key)
            )

    def issue(self, node: Any, scope: _Scope, path: Path_) -> Issue | None:
        """The issue to report at `path` if the constraint fails on the node, or cannot be
        evaluated there (an error in FHIRPath's terms, on malformed data)."""
        problem = self.broken
        try:
            holds = None if self.fast is None else self.fast(node)
            if holds is None and self.native is not None:
                detail = self.native(node)
                holds, problem = detail is None, f"{problem} ({detail})"
            elif holds is None:
                expression = self.invariant.expression
                holds = expression.holds_alone([node])
                if holds is None:
                    holds = expression.holds_on([node], scope.fhirpath())
        except FhirPathError as exc:
            message = f"{problem} (could not be evaluated: {exc})"
            return Issue(self.invariant.severity, "processing", message, _expression_of(path))
        if holds:
            return None
        return Issue(self.invariant.severity, "invariant", problem, _expression_of(path))


Checks = tuple[tuple[frozenset[str] | None, tuple[_Check, ...]], ...]
"""The checks of one kind of element, in order, in groups: a group with keys holds on an element
without any of them, and is passed over with one test (the dom-2 to dom-5 on `contained`)."""


def _grouped(checks: list[_Check]) -> Checks:
    groups: list[tuple[frozenset[str] | None, list[_Check]]] = []
    for check in checks:
        keys = check.skip_without
        if groups and keys is not None and groups[-1][0] == keys:
            groups[-1][1].append(check)
        else:
            groups.append((keys, [check]))
    return tuple((keys, tuple(found)) for keys, found in groups)


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


def _sole(checks: Checks) -> _Check | None:
    """The one check of `checks`, if there is only one, and no keys guard it."""
    if len(checks) == 1 and checks[0][0] is None and len(checks[0][1]) == 1:
        return checks[0][1][0]
    return None


# --- the plan of each type -------------------------------------------------------------------

_COMPLEX, _PRIMITIVE, _RESOURCE = 0, 1, 2


class _Place:
    """Where an element is, for the contexts of extensions on it: its path (Patient.name), and
    every name a context may give it (its path, its type and the types that derives from)."""

    __slots__ = ("names", "path")

    def __init__(self, path: str, names: set[str]) -> None:
        self.path = path
        self.names = frozenset(names)


def _type_names(type_name: str) -> set[str]:
    names = set()
    current: str | None = type_name
    while current is not None:
        names.add(current)
        current = _BASES.get(current)
    return names


_RESOURCE_PLACES: dict[str, _Place] = {}


def _resource_place(kind: str) -> _Place:
    place = _RESOURCE_PLACES.get(kind)
    if place is None:
        place = _RESOURCE_PLACES[kind] = _Place(kind, _type_names(kind) | {"Resource"})
    return place


class _Member:
    """One JSON member of a type: its kind and what to check on each of its values."""

    __slots__ = (
        "checks",
        "extension",
        "extras",
        "fast",
        "kind",
        "many",
        "place",
        "plan",
        "quiet",
        "type",
    )

    def __init__(self, owner: str, name: str, type_: str, many: bool, choice: str | None) -> None:
        self.type = type_
        self.many = many
        self.extras = "_" + name
        self.extension = name in ("extension", "modifierExtension")
        names = {f"{owner}.{name}"} | _type_names(type_)
        if "." in type_:  # a BackboneElement, named by its path
            names.add("BackboneElement")
        if choice is not None:
            names.add(f"{owner}.{choice}[x]")
        path = f"{owner}.{name if choice is None else choice + '[x]'}"
        self.place = _Place(path, names)
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
        self.checks = _grouped([_Check(invariant, type_) for invariant in unique.values()])
        # The Python verdict of its one constraint, when that is all it has (ref-1 on every
        # Reference, per-1 on every Period): asked straight away, without going through report.
        sole = _sole(self.checks)
        self.fast = None if sole is None else sole.fast
        self.plan: _Plan | None = None  # the members of its type, once needed (type_plan)
        # Once the plan is made, for a complex element with nothing to check but ele-1 and its
        # Python verdict: the keys that make a value of it worth a visit (see _Walk.members).
        self.quiet: frozenset[str] | None = None

    def type_plan(self) -> _Plan:
        """The plan of its type, made at first need: types refer to one another."""
        plan = self.plan
        if plan is None:
            plan = self.plan = _plan(self.type)
            if self.kind == _COMPLEX and (not self.checks or self.fast is not None):
                self.quiet = plan.reached
        return plan


class _Plan:
    """The members of one type, and the JSON keys of an object of it that are worth a look:
    those of complex elements and resources, of primitives with constraints, and every `_x`
    (a primitive's id and extensions are elements). An object with none of these keys (most
    Codings, References, Quantities) has nothing below it to check, so the walk does not go
    through its members one by one."""

    __slots__ = ("members", "reached")

    def __init__(self, type_name: str) -> None:
        self.members = {
            row.name: _Member(type_name, row.name, row.type, row.many, row.choice)
            for row in TYPES[type_name]
        }
        self.reached = frozenset(
            key
            for name, member in self.members.items()
            for key in (name, member.extras)
            if key == member.extras or member.kind != _PRIMITIVE or member.checks
        )


_PLANS: dict[str, _Plan] = {}


def _plan(type_name: str) -> _Plan:
    plan = _PLANS.get(type_name)
    if plan is None:
        plan = _PLANS[type_name] = _Plan(type_name)
    return plan


_RESOURCE_CHECKS: dict[tuple[str, bool], Checks] = {}


def _resource_checks(type_name: str, *, contained: bool) -> Checks:
    found = _RESOURCE_CHECKS.get((type_name, contained))
    if found is None:
        invariants = _type_invariants(type_name)
        found = _grouped(
            [
                _Check(invariant, type_name)
                for invariant in invariants
                if not (contained and invariant.key in _NOT_ON_CONTAINED)
            ]
        )
        _RESOURCE_CHECKS[(type_name, contained)] = found
    return found


# --- the walk --------------------------------------------------------------------------------


class _Scope:
    """The resource the walk is in: its node, its %rootResource's node (its container, for a
    contained resource), the Bundle it is in. Made into a FHIRPath scope only for an expression
    that needs one (most read only their focus: see FhirPathExpression.holds_alone)."""

    __slots__ = ("bundle", "node", "root", "scope")

    def __init__(self, node: Any, root: Any, bundle: BundleIndex | None) -> None:
        self.node = node
        self.root = root
        self.bundle = bundle
        self.scope: Context | None = None

    def fhirpath(self) -> Context:
        if self.scope is None:
            self.scope = Context(
                resource=[self.node],
                root_resource=[self.root],
                context=[],
                variables={},
                services=None,
                bundle=self.bundle,
            )
        return self.scope


def check_invariants(resource: dict[str, Any]) -> list[Issue]:
    """Every failed base R4 invariant in `resource` (parsed JSON), one Issue each, and every
    problem of an extension with an official R4 definition against that definition."""
    return check_base(resource)[0]


def check_base(resource: dict[str, Any]) -> tuple[list[Issue], list[Issue]]:
    """check_invariants, and the problems of painfhir's extensions against their definitions
    (wherever they are), found on the same walk."""
    walk = _Walk([])
    kind = resource.get("resourceType") if type(resource) is dict else None
    if isinstance(kind, str) and kind in RESOURCE_TYPES:
        walk.resource(resource, kind, None, None)
    return walk.issues, walk.painfhir


class _Walk:
    __slots__ = ("issues", "painfhir")

    def __init__(self, issues: list[Issue]) -> None:
        self.issues = issues
        self.painfhir: list[Issue] = []  # painfhir's extensions against their definitions

    def report(self, checks: Checks, node: Any, scope: _Scope, path: Path_) -> None:
        for keys, group in checks:
            if keys is not None and keys.isdisjoint(node[1]):
                continue
            for check in group:
                if check.fast is not None and check.fast(node):
                    continue  # the usual verdict, known in Python
                issue = check.issue(node, scope, path)
                if issue is not None:
                    self.issues.append(issue)

    def resource(
        self, resource: dict[str, Any], path: Path_, container: Any, bundle: BundleIndex | None
    ) -> None:
        kind = resource.get("resourceType")
        if not isinstance(kind, str) or kind not in RESOURCE_TYPES:
            return  # not an R4 resource: the structure check says so
        if kind == "Bundle":
            bundle = BundleIndex(resource)
        node = (kind, resource, None)
        root = node if container is None else (container["resourceType"], container, None)
        scope = _Scope(node, root, bundle)
        self.report(_resource_checks(kind, contained=container is not None), node, scope, path)
        plan = _plan(kind)
        if not plan.reached.isdisjoint(resource):
            self.members(resource, plan, path, scope, _resource_place(kind))

    def members(
        self, obj: dict[str, Any], plan: _Plan, path: Path_, scope: _Scope, place: _Place
    ) -> None:
        """Every member of `obj` (an element at `place`, of the type of `plan`)."""
        members = plan.members
        for name, value in obj.items():
            member = members.get(name)
            if member is None:
                if name[:1] == "_" and name[1:] not in obj and name[1:] in members:
                    self.primitive(obj, name[1:], members[name[1:]], None, path, scope)
                continue
            if member.kind == _PRIMITIVE:
                # Most primitives have a value, no `_x` and no constraint: nothing to do (a
                # null, or an array with nulls, is a structural error when there is no `_x`).
                if member.checks or member.extras in obj:
                    self.primitive(obj, name, member, value, path, scope)
            elif member.many and type(value) is list:
                if member.extension:
                    self.extensions(obj, name, value, path, scope, place)
                quiet = member.quiet
                for index, item in enumerate(value):
                    # An item with only ele-1 and a Python verdict to meet, and none of the keys
                    # that lead further (most Codings and References), is done here.
                    if (
                        quiet is not None
                        and type(item) is dict
                        and quiet.isdisjoint(item)
                        and len(item) - ("id" in item) > 0
                        and (member.fast is None or member.fast((member.type, item, None)))
                    ):
                        continue
                    self.element(member, item, (path, name, index), scope)
            else:
                self.element(member, value, (path, name, None), scope)

    def element(self, member: _Member, value: Any, path: Path_, scope: _Scope) -> None:
        if type(value) is not dict:
            return  # the structure check reports values of the wrong shape
        if member.kind == _RESOURCE:
            # A contained resource's %rootResource is its container; a Bundle entry or
            # Parameters resource is a root of its own.
            contained = type(path) is tuple and path[1] == "contained"
            container = scope.root[1] if contained else None
            self.resource(value, path, container, scope.bundle)
            return
        if len(value) - ("id" in value) <= 0:
            self.ele_1(path)
        if member.checks:
            node = (member.type, value, None)
            if member.fast is None or not member.fast(node):
                self.report(member.checks, node, scope, path)
        plan = member.plan or member.type_plan()
        if not plan.reached.isdisjoint(value):
            self.members(value, plan, path, scope, member.place)

    def primitive(
        self,
        obj: dict[str, Any],
        name: str,
        member: _Member,
        value: Any,
        path: Path_,
        scope: _Scope,
    ) -> None:
        extras = obj.get(member.extras)
        if not member.many:
            self.primitive_value(member, value, extras, (path, name, None), scope)
            return
        values = value if type(value) is list else []
        extras = extras if type(extras) is list else []
        for index in range(max(len(values), len(extras))):
            item = values[index] if index < len(values) else None
            extra = extras[index] if index < len(extras) else None
            self.primitive_value(member, item, extra, (path, name, index), scope)

    def primitive_value(
        self, member: _Member, value: Any, extras: Any, path: Path_, scope: _Scope
    ) -> None:
        if type(extras) is not dict:
            extras = None
        if value is None and extras is None:
            return  # a null with nothing beside it: a structural error, reported there
        if value is None and len(extras) - ("id" in extras) <= 0:
            self.ele_1(path)
        if member.checks:
            self.report(member.checks, (member.type, value, extras), scope, path)
        if extras is not None:  # a primitive's extensions are elements too, at its own path
            self.members(extras, _plan("Element"), path, scope, member.place)

    def extensions(
        self,
        owner: dict[str, Any],
        name: str,
        extensions: list[Any],
        path: Path_,
        scope: _Scope,
        place: _Place,
    ) -> None:
        """The extensions of `owner` with a known url, against their definitions."""
        known = known_extensions()
        for index, extension in enumerate(extensions):
            if type(extension) is not dict or extension.get("url") not in known.urls:
                continue
            expression = _expression_of((path, name, index))
            found, official = known.check(
                extension, expression, place.path, place.names, owner, scope.node[1]
            )
            (self.issues if official else self.painfhir).extend(found)

    def ele_1(self, path: Path_) -> None:
        """ele-1, `hasValue() or (children().count() > id.count())`, said in Python: a
        primitive has a value, or an element has a child other than its id. It applies to every
        element, so evaluating the FHIRPath on each would cost more than all other
        constraints together; tests check the two agree."""
        message = f"{_EVERY_ELEMENT_KEY}: {_EVERY_ELEMENT_HUMAN}"
        self.issues.append(Issue("error", "invariant", message, _expression_of(path)))
